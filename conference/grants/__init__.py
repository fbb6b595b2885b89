"""Per-event grants and the permission checks every feature asks (`checks`)."""


def init_app(app) -> None:
    """The grants pages and `conference grant`."""
    from . import models  # noqa: F401 - the tables every permission check reads
    from .cli import grant_command
    from .views import bp

    app.register_blueprint(bp)
    app.cli.add_command(grant_command)
