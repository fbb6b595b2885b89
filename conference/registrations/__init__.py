"""Registrations: who takes part in which event, in person or online."""


def init_app(app) -> None:
    """Sign-up pages, the organisers' participants pages and API, and the confirmation e-mails."""
    from . import mailings
    from .api import bp as api_bp
    from .manage_views import bp as manage_bp
    from .views import bp as views_bp

    for blueprint in (views_bp, manage_bp, api_bp):
        app.register_blueprint(blueprint)
    mailings.connect_signals()  # confirmations and cancellation notices by e-mail
