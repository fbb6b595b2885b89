"""Documents attached to an event or one of its sessions (aide memoire, agenda, slides...)."""


def init_app(app) -> None:
    """Document pages and API, and `conference documents prune`."""
    from .api import bp as api_bp
    from .views import bp as views_bp
    from .views import documents_cli

    app.register_blueprint(views_bp)
    app.register_blueprint(api_bp)
    app.cli.add_command(documents_cli)
