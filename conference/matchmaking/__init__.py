"""Matchmaking between countries: practices, expressions of interest, the matchmaking table and its
follow-up, one-to-one meetings in each person's agenda, and live updates in matchmaking sessions."""


def init_app(app) -> None:
    """Pages, back-office section, JSON API and the live rooms' matchmaking state."""
    from . import live
    from .api import bp as api_bp
    from .manage import bp as manage_bp
    from .views import bp as views_bp

    for blueprint in (views_bp, manage_bp, api_bp):
        app.register_blueprint(blueprint)
    live.init_app(app)
