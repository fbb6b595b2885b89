"""Socket.IO plumbing shared by every live feature on the `/live` namespace.

- `connect` authenticates once, with the Flask-Login cookie or `auth={"token": ...}`, and refuses
  anything else with a reason.
- `live_event(Schema)` wraps each client→server handler: it re-checks the identity (a user who signed
  out over HTTP is refused from then on), validates the payload (`wire.validate`, code
  "invalid_payload"), runs the handler, and turns a ServiceError (a validation error is one) into the
  `{"ok": false, "error": {...}}` ack.

Feature modules collect their handlers with `live = LiveEvents()` and `@live.on(EVENT)` above this
decorator; their feature's `init_app` registers them on the app's Socket.IO server (`live.register()`).
Nothing is registered by importing a module.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps
from typing import Any

from flask import Flask, current_app, request
from flask_login import current_user, user_logged_out
from flask_socketio import ConnectionRefusedError  # type: ignore[attr-defined]  # re-exported by flask_socketio, missing from its stubs; the builtin one would lose the reason
from pydantic import BaseModel
from sqlalchemy.exc import SQLAlchemyError

from .accounts.models import User
from .accounts.services import _digest, user_for_token
from .errors import ServiceError
from .extensions import db, socketio
from .wire import validate

LIVE = "/live"
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class SocketIdentity:
    user_id: int
    session_version: int | None  # set for cookie logins
    token_hash: str | None  # set for token logins


# Connection state is per process by nature: a socket lives in the process that accepted it.
_identities: dict[str, SocketIdentity] = {}
DISCONNECT_HOOKS = "conference.disconnect_hooks"


class LiveEvents:
    """The `/live` handlers of one module: `@live.on(EVENT)` collects, `live.register()` registers.

    Registration goes to the Socket.IO server `socketio.init_app` just made for the app being built
    (upstream Flask-SocketIO binds a handler to the current server once one exists), so every app
    the factory builds (tests build many) gets each handler exactly once.
    """

    def __init__(self) -> None:
        self._handlers: list[tuple[str, Callable]] = []

    def on(self, event: str) -> Callable:
        def decorator(handler: Callable) -> Callable:
            self._handlers.append((event, handler))
            return handler

        return decorator

    def register(self) -> None:
        if socketio.server is None:  # type: ignore[attr-defined]  # the stubs leave .server out
            raise RuntimeError("call socketio.init_app(app) before registering /live handlers")
        for event, handler in self._handlers:
            socketio.on_event(event, handler, namespace=LIVE)


def registered_events(namespace: str = LIVE) -> list[str]:
    """The events the current app's Socket.IO server handles on `namespace`."""
    return list((socketio.server.handlers if socketio.server else {}).get(namespace, {}))  # type: ignore[attr-defined]  # the stubs leave .server out


def ok(**fields) -> dict:
    return {"ok": True, **fields}


def error(code: str, message: str, **details) -> dict:
    body: dict[str, Any] = {"code": code, "message": message}
    if details:
        body["details"] = details
    return {"ok": False, "error": body}


def on_disconnect(app: Flask, hook: Callable[[str, User | None], None]) -> None:
    """Register `hook(sid, user)` to run when one of `app`'s `/live` sockets goes away, after the
    socket left its rooms and before its identity is forgotten (presence, breakouts...). A failing
    hook is logged and rolled back; the others still run."""
    hooks = app.extensions.setdefault(DISCONNECT_HOOKS, [])
    if hook not in hooks:
        hooks.append(hook)


def authenticate_connection(auth) -> SocketIdentity:
    """The identity of a connecting socket, or ConnectionRefusedError with a reason."""
    token = auth.get("token") if isinstance(auth, dict) else None
    if token is not None:
        user = user_for_token(db.session, token)
        if user is None:
            raise ConnectionRefusedError("the API token is not valid", {"code": "invalid_token"})
        return SocketIdentity(user.id, None, _digest(token.strip()))
    if current_user.is_authenticated:
        return SocketIdentity(current_user.id, current_user.session_version, None)
    raise ConnectionRefusedError(
        "sign in, or connect with auth={'token': <api token>}", {"code": "unauthenticated"}
    )


def socket_user(sid: str | None = None) -> User | None:
    """The user behind this socket if their login is still valid, else None."""
    identity = _identities.get(sid or request.sid)  # type: ignore[attr-defined]  # Flask-SocketIO sets request.sid
    if identity is None:
        return None
    user = db.session.get(User, identity.user_id)
    if user is None:
        return None
    if identity.session_version is not None and user.session_version != identity.session_version:
        return None
    if identity.token_hash is not None:
        from .accounts.models import ApiToken

        token = db.session.query(ApiToken).filter_by(token_hash=identity.token_hash).one_or_none()
        if token is None or token.revoked_at is not None:
            return None
    return user


def _end_live_sockets_of_signed_out_user(_app, user=None, **_extra) -> None:
    """Close this person's cookie-authenticated sockets when they sign out.

    Their events would be refused anyway (the session version moved on), but a socket left open in a
    shared browser would keep receiving the room's broadcasts. Sockets opened with an API token are
    left alone: signing out of the website does not revoke a device's token. With several server
    processes this closes the sockets of the process that served the sign-out; the others refuse
    the remaining sockets' events from then on.
    """
    if user is None or getattr(user, "id", None) is None:
        return
    stale = [
        sid
        for sid, identity in list(_identities.items())
        if identity.user_id == user.id and identity.session_version is not None
    ]
    for sid in stale:
        try:
            socketio.server.disconnect(sid, namespace=LIVE)  # type: ignore[attr-defined]  # the stubs leave .server out
        except Exception:  # a socket that is already going away
            log.debug("could not close socket %s after sign-out", sid, exc_info=True)


_live = LiveEvents()


def init_app(app: Flask) -> None:
    """The /live door (connect, disconnect, unknown events) and the sign-out receiver."""
    _live.register()
    user_logged_out.connect(_end_live_sockets_of_signed_out_user)


@_live.on("connect")
def handle_connect(auth=None):
    identity = authenticate_connection(auth)
    _identities[request.sid] = identity  # type: ignore[attr-defined]  # Flask-SocketIO sets request.sid
    return True


@_live.on("disconnect")
def handle_disconnect(*_args):
    sid = request.sid  # type: ignore[attr-defined]  # Flask-SocketIO sets request.sid
    user = socket_user(sid)
    try:
        for hook in current_app.extensions.get(DISCONNECT_HOOKS, ()):
            try:
                hook(sid, user)
            except Exception:  # one feature's failure must not skip the others' clean-up
                db.session.rollback()
                log.exception("disconnect hook %s failed", getattr(hook, "__name__", hook))
    finally:
        _identities.pop(sid, None)


@_live.on("*")
def handle_unknown_event(event, *_args):
    """Any event no feature handles gets a clear error ack instead of silence."""
    return error("unknown_event", f"there is no event {str(event)[:80]!r} on {LIVE}")


def live_event(schema: type[BaseModel] | None = None) -> Callable:
    """Wrap a handler `fn(user, payload)` that returns the ack dict; see the module docstring."""

    def decorator(fn: Callable) -> Callable:
        @wraps(fn)
        def handler(data=None, *_extra):
            user = socket_user()
            if user is None:
                return error("unauthenticated", "your sign-in has ended; please sign in again")
            try:
                payload = data if schema is None else validate(schema, data, code="invalid_payload")
                return fn(user, payload)
            except ServiceError as exc:
                db.session.rollback()
                return {"ok": False, "error": exc.to_dict()}
            except SQLAlchemyError:
                db.session.rollback()
                log.exception("database error in %s", fn.__name__)
                return error("storage_failed", "the server could not save this; nothing was changed")
            except Exception:
                db.session.rollback()
                log.exception("unexpected error in %s", fn.__name__)
                return error("internal_error", "something went wrong on the server; nothing was changed")

        return handler

    return decorator


def connected_sids() -> list[str]:
    return list(_identities)
