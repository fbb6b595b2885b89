"""The programme: events, tracks, sessions and speakers."""


def init_app(app) -> None:
    """The public programme pages and API, and the organisers' programme pages and API."""
    from .api import bp as api_bp
    from .manage import bp as manage_bp
    from .manage_api import bp as manage_api_bp
    from .views import bp as views_bp

    for blueprint in (views_bp, api_bp, manage_bp, manage_api_bp):
        app.register_blueprint(blueprint)
