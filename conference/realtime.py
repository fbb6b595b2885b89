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

- `lean_event(Schema)` is for the `join`: a detached User read as one Core row, registered as the
  hot events are (below), the handler run in its turn (ROOMS_JOIN_CONCURRENCY).
- `hot_event(Schema)` is the same for the hot events (votes, upvotes, questions, chat), run thousands
  of times a second in a storm: the login is checked in memory, and the handler is registered on the
  python-socketio server itself, inside an app context only. Flask-SocketIO's dispatch would push a
  request context for each event (a werkzeug Request built from the socket's environ, its URL
  adapter, the session copy), which these handlers never read: they get the socket id as an argument.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime
from functools import wraps
from typing import Any

from flask import Flask, current_app, has_app_context, request
from flask_login import current_user, user_logged_out
from flask_socketio import ConnectionRefusedError  # type: ignore[attr-defined]  # re-exported by flask_socketio, missing from its stubs; the builtin one would lose the reason
from pydantic import BaseModel
from sqlalchemy import bindparam, select
from sqlalchemy.exc import SQLAlchemyError

from . import fanout, group_commit, hooks
from .accounts.models import ApiToken, User
from .accounts.scopes import scope_for_live_event
from .accounts.services import live_token, socket_person, token_needs_touch, touch_tokens
from .db_types import utcnow
from .errors import ServiceError
from .extensions import db, socketio
from .observability import database_unreachable, log_event
from .wire import validate

LIVE = "/live"
SOCKET_SCOPES = frozenset({"live", "checkin", "read"})
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class SocketIdentity:
    user_id: int
    session_version: int | None  # set for cookie logins
    token_hash: str | None  # set for token logins
    scopes: frozenset[str] | None = None  # the token's scopes (None: a cookie login, no narrowing)
    expires_at: datetime | None = None  # the token's expiry: refused from then on, closed at it


# Connection state is per process by nature: a socket lives in the process that accepted it.
_identities: dict[str, SocketIdentity] = {}
_revoked: set[str] = set()  # sids being closed because their login ended: refused from now on
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
        server = socketio.server  # type: ignore[attr-defined]  # the stubs leave .server out
        if server is None:
            raise RuntimeError("call socketio.init_app(app) before registering /live handlers")
        for event, handler in self._handlers:
            if getattr(handler, HOT, False):
                server.on(event, _in_app_context(server, event, handler), namespace=LIVE)
            else:
                socketio.on_event(event, handler, namespace=LIVE)


HOT = "__hot_event__"  # set on `hot_event` handlers, run(sid, event, data): see LiveEvents.register


def _in_app_context(server, event: str, run: Callable) -> Callable:
    """A python-socketio handler calling `run(sid, event, data)` in the socket's app's context."""

    def dispatch(sid: str, data=None, *_extra):
        environ = server.get_environ(sid, namespace=LIVE)
        if not environ:  # not (or no longer) connected
            return _signed_out()
        with environ["flask.app"].app_context():
            return run(sid, event, data)

    return dispatch


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


def on_disconnect(app: Flask, hook: Callable[[str, int | None], None]) -> None:
    """Register `hook(sid, user_id)` to run when one of `app`'s `/live` sockets goes away, after the
    socket left its rooms and before its identity is forgotten (presence, calls...). `user_id` is
    who the socket was connected as (None if unknown), from memory: a storm of disconnects must not
    need a query, let alone a pooled connection, per socket (see `handle_disconnect`).

    A hook must be idempotent: one that raises is rolled back, logged, and run again later
    (DISCONNECT_RETRY_DELAYS_S) until it succeeds or its last attempt fails (then an ERROR event
    `disconnect_cleanup_abandoned`); the other hooks still run at once."""
    hooks = app.extensions.setdefault(DISCONNECT_HOOKS, [])
    if hook not in hooks:
        hooks.append(hook)


def authenticate_connection(auth) -> SocketIdentity:
    """The identity of a connecting socket, or ConnectionRefusedError with a reason."""
    token = auth.get("token") if isinstance(auth, dict) else None
    if token is not None:
        row = live_token(db.session, token if isinstance(token, str) else None)
        if row is None:
            raise ConnectionRefusedError("the API token is not valid", {"code": "invalid_token"})
        if not row.scope_set & SOCKET_SCOPES:
            raise ConnectionRefusedError(
                "this API token has no live, checkin or read scope", {"code": "insufficient_scope"}
            )
        identity = SocketIdentity(row.user_id, None, row.token_hash, row.scope_set, row.expires_at)
        now = utcnow()
        if token_needs_touch(row, now):
            # With the other connects of the moment, in one commit and one executemany UPDATE (a
            # connect storm of fresh tokens would otherwise commit once per socket).
            group_commit.submit_bulk(touch_tokens, (row.id, now))
        return identity
    if current_user.is_authenticated:
        return SocketIdentity(current_user.id, current_user.session_version, None)
    raise ConnectionRefusedError(
        "sign in, or connect with auth={'token': <api token>}", {"code": "unauthenticated"}
    )


# Built once: every socket event that checks its login runs it.
_TOKEN_BY_HASH = select(ApiToken).where(ApiToken.token_hash == bindparam("token_hash"))


def socket_user(sid: str | None = None, *, lean: bool = False) -> User | None:
    """The user behind this socket if their login is still valid, else None. `lean`: checked and
    read with one Core statement, the User detached (its columns only: see
    accounts.services.socket_person), for the handlers that need no more (the `join`)."""
    sid = sid or request.sid  # type: ignore[attr-defined]  # Flask-SocketIO sets request.sid
    identity = _identities.get(sid)
    if identity is None or sid in _revoked:
        return None
    if lean:
        return socket_person(
            db.session,
            identity.user_id,
            session_version=identity.session_version,
            token_hash=identity.token_hash,
        )
    user = db.session.get(User, identity.user_id)
    if user is None:
        return None
    if identity.session_version is not None and user.session_version != identity.session_version:
        return None
    if identity.token_hash is not None:
        token = db.session.scalars(_TOKEN_BY_HASH, {"token_hash": identity.token_hash}).one_or_none()
        if token is None or not token.is_live(utcnow()):
            return None
    return user


def still_connected(sid: str) -> bool:
    """Whether the /live socket `sid` is still connected: False from the moment its disconnect began
    (python-socketio marks it before the disconnect handler runs), so a handler that waited (a queue,
    a commit) can tell that the disconnect clean-up may already have run without what it wrote."""
    server = socketio.server  # type: ignore[attr-defined]  # the stubs leave .server out
    return server is not None and bool(server.manager.is_connected(sid, LIVE))


def identity_alive(sid: str) -> bool:
    """Without a query: the socket's login has not been ended by an order (sign-out, revoked token,
    lost grant: see conference.fanout) and its token has not expired."""
    identity = _identities.get(sid)
    if identity is None or sid in _revoked:
        return False
    return identity.expires_at is None or identity.expires_at > utcnow()


def socket_scopes(sid: str | None = None) -> frozenset[str] | None:
    """The scopes of the token behind this socket, or None for a cookie login (no narrowing)."""
    identity = _identities.get(sid or request.sid)  # type: ignore[attr-defined]
    return identity.scopes if identity is not None else None


def close_local_sockets(matches: Callable[[SocketIdentity], bool]) -> int:
    """Disconnect this process's /live sockets whose identity `matches`; the number closed.
    (conference.fanout sends the same order to every other process.)"""
    server = socketio.server  # type: ignore[attr-defined]
    closed = 0
    for sid, identity in list(_identities.items()):
        if not matches(identity):
            continue
        _revoked.add(sid)  # refused at once, even before the disconnect below has run
        try:
            if server is not None:
                server.disconnect(sid, namespace=LIVE, ignore_queue=True)
            closed += 1
        except Exception:  # a socket that is already going away
            log.debug("could not close socket %s", sid, exc_info=True)
    return closed


def close_local_sockets_by_sid(sids: list[str]) -> int:
    """Disconnect these sockets of this process (refused from now on); the number closed."""
    return sum(_close_sid(sid) for sid in sids if sid in _identities)


def _close_sid(sid: str) -> int:
    _revoked.add(sid)
    server = socketio.server  # type: ignore[attr-defined]
    try:
        if server is not None:
            server.disconnect(sid, namespace=LIVE, ignore_queue=True)
        return 1
    except Exception:  # a socket that is already going away
        log.debug("could not close socket %s", sid, exc_info=True)
        return 0


def _close_at_expiry(sid: str, identity: SocketIdentity) -> None:
    """A background task: close the token socket `sid` when its token expires (if still open)."""
    while _identities.get(sid) is identity:
        assert identity.expires_at is not None
        left = (identity.expires_at - utcnow()).total_seconds()
        if left <= 0:
            _close_sid(sid)
            return
        socketio.sleep(min(left, 30.0))  # type: ignore[arg-type]  # the stubs say int; any number works. Wakes now and then to notice a socket that went away


def _end_live_sockets_of_signed_out_user(app, user=None, **_extra) -> None:
    """Close this person's cookie-authenticated sockets, in every process, when they sign out.

    Their events would be refused anyway (the session version moved on), but a socket left open in a
    shared browser would keep receiving the room's broadcasts. Sockets opened with an API token are
    left alone: signing out of the website does not revoke a device's token.
    """
    if user is None or getattr(user, "id", None) is None:
        return
    fanout.close_sockets(app, "session", user_id=user.id, session_version=user.session_version)


def _close_sockets_of_lost_access(kind, *, app=None, **fields) -> None:
    """hooks.access_lost: close the sockets that relied on what was lost, in every process."""
    target = app or (current_app._get_current_object() if has_app_context() else None)  # type: ignore[attr-defined]
    if target is None:
        return
    if kind == "grant":
        fanout.close_sockets(target, "user", user_id=fields["user_id"])
    elif kind == "session":
        fanout.close_sockets(
            target, "session", user_id=fields["user_id"], session_version=fields["session_version"]
        )
    elif kind == "token":
        fanout.close_sockets(target, "token", token_hash=fields["token_hash"])


_live = LiveEvents()


def init_app(app: Flask) -> None:
    """The /live door (connect, disconnect, unknown events) and the sign-out receiver."""
    _live.register()
    user_logged_out.connect(_end_live_sockets_of_signed_out_user)
    hooks.access_lost.connect(_close_sockets_of_lost_access)


@_live.on("connect")
def handle_connect(auth=None):
    """Accept the socket, or refuse it with a reason. Every connect gets one of the two answers:
    python-socketio answers nothing when this raises anything but ConnectionRefusedError, and
    socket.io-client then waits for the namespace for ever (its timeout covers the transport only)."""
    try:
        identity = authenticate_connection(auth)
    except ConnectionRefusedError:
        raise
    except SQLAlchemyError as exc:
        _rollback_quietly()
        log_event(log, logging.ERROR, "database_unavailable", handler="connect", error=type(exc).__name__)
        raise ConnectionRefusedError(
            "the database is not reachable at the moment; try again shortly", {"code": "database_unavailable"}
        ) from None
    except Exception:
        _rollback_quietly()
        log.exception("unexpected error in connect")
        raise ConnectionRefusedError(
            "something went wrong on the server; try again shortly", {"code": "internal_error"}
        ) from None
    sid = request.sid  # type: ignore[attr-defined]
    _identities[sid] = identity
    _revoked.discard(sid)
    if identity.expires_at is not None:
        socketio.start_background_task(_close_at_expiry, sid, identity)
    return True


def _database_unavailable() -> dict:
    return error(
        "database_unavailable",
        "the database is not reachable at the moment; nothing was changed, try again shortly",
    )


def _rollback_quietly() -> None:
    try:
        db.session.rollback()
    except Exception:
        log.debug("rollback failed", exc_info=True)


@_live.on("disconnect")
def handle_disconnect(*_args):
    """Run the features' disconnect hooks. Nothing here reads the database: who the socket was is
    known from its connect, and the hooks batch their writes (group commit), so a storm of thousands
    of disconnects never queues one pooled connection per socket (whose wait, the pool's timeout,
    used to kill the clean-up). May run nested inside another handler (a socket closed by a join):
    it takes no turn that handler could hold (no join turn, no semaphore), and leaves that handler's
    session alone."""
    sid = request.sid  # type: ignore[attr-defined]  # Flask-SocketIO sets request.sid
    identity = _identities.get(sid)
    user_id = identity.user_id if identity is not None else None
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    try:
        # An app context of its own, hence a database session of its own: nested in a handler,
        # the hooks neither commit nor roll back that handler's work.
        with app.app_context():
            for hook in app.extensions.get(DISCONNECT_HOOKS, ()):
                _run_disconnect_hook(app, hook, sid, user_id)
    finally:
        _identities.pop(sid, None)
        _revoked.discard(sid)


DISCONNECT_RETRY_DELAYS_S = (0.5, 1.0, 2.0, 5.0, 10.0, 30.0, 60.0, 120.0)
DISCONNECT_CLEANUP = "conference.disconnect_cleanup"


@dataclass
class DisconnectCleanup:
    """This process's disconnect clean-ups that failed: waiting for another attempt, and given up."""

    retrying: int = 0
    abandoned: int = 0


def disconnect_cleanup(app: Flask) -> DisconnectCleanup:
    found = app.extensions.get(DISCONNECT_CLEANUP)
    if found is None:
        found = app.extensions.setdefault(DISCONNECT_CLEANUP, DisconnectCleanup())
    return found


def _run_disconnect_hook(app: Flask, hook: Callable, sid: str, user_id: int | None, attempt: int = 0) -> bool:
    """`hook(sid, user_id)`; on failure, another attempt is scheduled (or the failure recorded)."""
    try:
        hook(sid, user_id)
        return True
    except Exception:  # noqa: BLE001 - logged below; one feature's failure must not skip the others' clean-up
        _rollback_quietly()
        name = getattr(hook, "__name__", repr(hook))
        if attempt >= len(DISCONNECT_RETRY_DELAYS_S):
            disconnect_cleanup(app).abandoned += 1
            log_event(
                log,
                logging.ERROR,
                "disconnect_cleanup_abandoned",
                hook=name,
                sid=sid,
                attempts=attempt + 1,
                exc_info=True,
            )
            return False
        log_event(
            log,
            logging.WARNING,
            "disconnect_cleanup_failed",
            hook=name,
            sid=sid,
            attempt=attempt + 1,
            exc_info=True,
        )
        disconnect_cleanup(app).retrying += 1
        socketio.start_background_task(_retry_disconnect_hook, app, hook, sid, user_id, attempt)
        return False


def _retry_disconnect_hook(app: Flask, hook: Callable, sid: str, user_id: int | None, attempt: int) -> None:
    """A background task: `hook` again after the attempt's delay, in the app's context."""
    socketio.sleep(DISCONNECT_RETRY_DELAYS_S[attempt])  # type: ignore[arg-type]  # the stubs say int
    try:
        with app.app_context():
            _run_disconnect_hook(app, hook, sid, user_id, attempt + 1)
    finally:
        disconnect_cleanup(app).retrying -= 1


@_live.on("*")
def handle_unknown_event(event, *_args):
    """Any event no feature handles gets a clear error ack instead of silence."""
    return error("unknown_event", f"there is no event {str(event)[:80]!r} on {LIVE}")


def live_event(schema: type[BaseModel] | None = None) -> Callable:
    """Wrap a handler `fn(user, payload)` that returns the ack dict; see the module docstring."""

    def decorator(fn: Callable) -> Callable:
        @wraps(fn)
        def handler(data=None, *_extra):
            try:
                user = socket_user()
            except SQLAlchemyError as exc:
                return _login_check_failed(fn, exc)
            if user is None:
                return _signed_out()
            return _guarded(fn, schema, data, user)

        return handler

    return decorator


def _login_check_failed(fn: Callable, exc: SQLAlchemyError) -> dict:
    _rollback_quietly()
    if not database_unreachable(exc):
        raise exc
    log_event(log, logging.ERROR, "database_unavailable", handler=fn.__name__, error=type(exc).__name__)
    return _database_unavailable()


def lean_event(
    schema: type[BaseModel], *, turn: Callable[[], AbstractContextManager[None]] | None = None
) -> Callable:
    """`live_event` for a handler `fn(user, payload, sid)` that needs the person's columns only and
    reads nothing of the request (the `join`, a whole storm of them when a plenary starts):

    - the login is checked, and the person read, with one Core statement (`socket_user(lean=True)`:
      the User is detached);
    - registered like a hot event, in an app context only: no request context per event (see the
      module docstring), the socket id is the handler's argument;
    - `turn()`, when given, is a context manager the login check and the handler run in (the
      join's turns: a join waiting for its turn holds no pooled connection); its ServiceError (e.g.
      `server_busy`) is the ack."""

    def decorator(fn: Callable) -> Callable:
        def checked(sid: str, event: str, data: Any) -> dict:
            try:
                user = socket_user(sid, lean=True)
            except SQLAlchemyError as exc:
                return _login_check_failed(fn, exc)
            if user is None:
                return _signed_out()
            return _guarded(fn, schema, data, user, event, sid=sid)

        @wraps(fn)
        def run(sid: str, event: str, data: Any) -> dict:
            if turn is None:
                return checked(sid, event, data)
            try:
                with turn():
                    return checked(sid, event, data)
            except ServiceError as exc:
                return {"ok": False, "error": exc.to_dict()}

        setattr(run, HOT, True)
        return run

    return decorator


def hot_event(schema: type[BaseModel]) -> Callable:
    """Like `live_event` for the hot events (votes, questions, chat), without a query: the login is
    checked in memory (`identity_alive`), and the handler `fn(sid, payload)` finds who the person is
    and what they may do in conference.rooms.hot, which is kept up to date by invalidation orders.
    Registered by LiveEvents without Flask-SocketIO's request context (see the module docstring):
    `fn` must not read `flask.request` (its socket id is its argument)."""

    def decorator(fn: Callable) -> Callable:
        @wraps(fn)
        def run(sid: str, event: str, data: Any) -> dict:
            if not identity_alive(sid):
                return _signed_out()
            return _guarded(fn, schema, data, sid, event)

        setattr(run, HOT, True)
        return run

    return decorator


def _signed_out() -> dict:
    return error("unauthenticated", "your sign-in has ended; please sign in again")


def _guarded(
    fn: Callable,
    schema: type[BaseModel] | None,
    data: Any,
    who: Any,
    event: str | None = None,
    *,
    sid: str | None = None,
) -> dict:
    """The scope check, the payload's validation, `fn(who, payload)` (`fn(who, payload, sid)` when
    `sid` is given: a `lean_event`), and its errors as acks. The socket and the event are `who` and
    `event` for a hot event (`sid` and `event` for a lean one), else read from the request."""
    scopes = socket_scopes(sid if sid is not None else who if event is not None else None)
    if scopes is not None:
        if event is None:
            event = str((getattr(request, "event", None) or {}).get("message") or "")
        needed = scope_for_live_event(event)
        if needed not in scopes:
            return error(
                "insufficient_scope",
                f"this API token lacks the {needed!r} scope",
                required_scope=needed,
            )
    try:
        payload = data if schema is None else validate(schema, data, code="invalid_payload")
        return fn(who, payload) if sid is None else fn(who, payload, sid)
    except ServiceError as exc:
        _rollback_quietly()
        return {"ok": False, "error": exc.to_dict()}
    except SQLAlchemyError as exc:
        _rollback_quietly()
        if database_unreachable(exc):
            log_event(
                log, logging.ERROR, "database_unavailable", handler=fn.__name__, error=type(exc).__name__
            )
            return _database_unavailable()
        log.exception("database error in %s", fn.__name__)
        return error("storage_failed", "the server could not save this; nothing was changed")
    except Exception:
        _rollback_quietly()
        log.exception("unexpected error in %s", fn.__name__)
        return error("internal_error", "something went wrong on the server; nothing was changed")


def connected_sids() -> list[str]:
    return list(_identities)
