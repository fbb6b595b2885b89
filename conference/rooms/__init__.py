"""Live session rooms: presence, stream, chat, moderated Q&A, polls and breakouts."""


def init_app(app) -> None:
    """Rooms with their Q&A and chat, the agenda's live updates, announcements, polls and breakouts:
    pages, /live events, background tasks, join hooks and `conference rooms-reset`."""
    from .. import hooks
    from . import live_updates, session_end, snapshots, sockets, startup
    from .announcements import sockets as announcement_sockets
    from .announcements.views import bp as announcements_bp
    from .breakouts import sockets as breakout_sockets
    from .breakouts.views import bp as breakouts_bp
    from .commands import rooms_reset
    from .polls import sockets as poll_sockets
    from .polls.views import api as polls_api
    from .polls.views import bp as polls_bp
    from .views import bp as rooms_bp

    for blueprint in (rooms_bp, polls_bp, polls_api, breakouts_bp, announcements_bp):
        app.register_blueprint(blueprint)
    for part in (
        snapshots,
        sockets,
        live_updates,
        session_end,
        announcement_sockets,
        poll_sockets,
        breakout_sockets,
    ):
        part.init_app(app)
    app.cli.add_command(rooms_reset)
    hooks.server_starting.connect(startup.on_server_starting)
