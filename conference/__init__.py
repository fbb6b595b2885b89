"""conference: a platform for hybrid events.

`create_app(config=None)` builds the Flask application; `socketio` is the Flask-SocketIO server
that carries the live rooms, polls, breakouts and check-in numbers.

Both are loaded on first use so that `conference serve` can monkey-patch eventlet before Flask,
SQLAlchemy or the database drivers are imported.
"""

from __future__ import annotations

__all__ = ["create_app", "db", "socketio"]


def __getattr__(name: str):
    if name == "create_app":
        from .app import create_app

        return create_app
    if name in ("socketio", "db"):
        from . import extensions

        return getattr(extensions, name)
    raise AttributeError(f"module 'conference' has no attribute {name!r}")
