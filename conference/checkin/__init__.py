"""QR badges and check-in at the venue: lists, scans, exits, undo, offline sync and live numbers."""


def init_app(app) -> None:
    """Check-in pages and API, the organisers' door lists, live numbers, `conference checkin ...`,
    the on-site counter of the live rooms, and the door lists that follow a moved session."""
    from .. import hooks
    from . import sockets
    from .api import bp as api_bp
    from .cli import checkin_cli
    from .manage import api_bp as manage_api_bp
    from .manage import bp as manage_bp
    from .session_moves import connect_session_moves
    from .stats import on_site_count
    from .views import bp as views_bp

    for blueprint in (views_bp, api_bp, manage_bp, manage_api_bp):
        app.register_blueprint(blueprint)
    sockets.init_app(app)
    hooks.set_on_site_counter(on_site_count, app)
    connect_session_moves()
    app.cli.add_command(checkin_cli)
