"""Calls: audio and video in breakout rooms and interactive sessions (peer to peer, or a Janus SFU),
and in matchmaking meetings (peer to peer, on the meeting's call page)."""


def init_app(app) -> None:
    """The meeting call page, the call events on /live, the call's part of a room's join state, and
    the receivers that end a person's part in a call when they leave the room and a round's calls at
    its recall."""
    from . import (
        models,  # noqa: F401 - the tables
        sockets,
    )
    from .views import bp

    app.register_blueprint(bp)
    sockets.init_app(app)
