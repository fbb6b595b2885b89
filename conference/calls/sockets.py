"""Call events on /live: join and leave a room's call, relay WebRTC signalling, media and hands,
and what moderators do. Thin handlers around services.py.

Who hears what:
- `call:member-joined`, `call:member-left`, `call:member-updated`, `call:locked`, `call:ended` go to
  the call's Socket.IO room `call:<session id>` (a meeting's: `call:meeting:<meeting id>`), whose
  sockets are exactly the call's members;
- `call:signal` (an offer, answer or ICE candidate) goes to ONE socket: the member it is for, and
  only when sender and receiver are in the same call (checked in the database on every signal);
- `call:muted` and `call:removed` go to the socket of the member a moderator acted on.

The signalling rate is limited per socket in this process (a socket lives in one process): a burst
of CALLS_SIGNAL_BURST, then CALLS_SIGNAL_PER_S a second.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from typing import Any

from flask import Flask, current_app, request
from flask_socketio import join_room as enter_socket_room
from flask_socketio import leave_room as leave_socket_room

from .. import hooks
from ..extensions import db, socketio
from ..realtime import LIVE, LiveEvents, error, live_event, ok, on_disconnect
from ..rooms.ratelimit import consume
from . import meetings as meeting_calls
from . import schemas, services
from .ice import ice_servers_for
from .janus import JanusClient

log = logging.getLogger(__name__)
live = LiveEvents()
BUCKETS = "conference.calls.signal_buckets"
# The sockets of this process that asked to join a call (a socket lives in one process): only they
# can have a member row, so only their disconnect asks the database (a storm of thousands of
# disconnects from a room without calls runs no query here).
CALL_SOCKETS = "conference.calls.sockets"


def call_room(session_id: int) -> str:
    return f"call:{session_id}"


def meeting_call_room(meeting_id: int) -> str:
    return f"call:meeting:{meeting_id}"


def room_of_key(key: dict[str, int]) -> str:
    """The Socket.IO room of the call `key` names ({"session_id": ...} or {"meeting_id": ...})."""
    if "meeting_id" in key:
        return meeting_call_room(key["meeting_id"])
    return call_room(key["session_id"])


def _key(payload: schemas.CallRef) -> dict[str, int]:
    if payload.meeting_id is not None:
        return {"meeting_id": payload.meeting_id}
    assert payload.session_id is not None  # the schema: one of the two
    return {"session_id": payload.session_id}


def init_app(app: Flask) -> None:
    live.register()
    app.extensions[BUCKETS] = _SignalBuckets()
    app.extensions[CALL_SOCKETS] = set()
    on_disconnect(app, _leave_on_disconnect)
    hooks.add_join_state_part(_join_state, rooms=lambda session: [call_room(session.id)], app=app)
    hooks.presence_changed.connect(_prune_after_presence_change)
    hooks.breakout_round_ended.connect(_end_calls_of_round)


def limits() -> services.CallLimits:
    config = current_app.config
    return services.CallLimits(
        max_video=config["CALLS_MAX_VIDEO"],
        max_members=config["CALLS_MAX_MEMBERS"],
        audiobridge_from=config["CALLS_AUDIOBRIDGE_FROM"],
        audiobridge_max_members=config["CALLS_AUDIOBRIDGE_MAX_MEMBERS"],
    )


def sfu() -> JanusClient | None:
    config = current_app.config
    if not config["JANUS_URL"]:
        return None
    return JanusClient(config["JANUS_URL"], config["JANUS_API_SECRET"], config["JANUS_ADMIN_KEY"])


def _join_state(db_session, session) -> dict:
    """The call as everyone in the room sees it (its members change with `call:*` broadcasts)."""
    state = services.call_state(db_session, session)
    state["mode"] = "janus" if current_app.config["JANUS_URL"] else "mesh"
    state["max_video"] = current_app.config["CALLS_MAX_VIDEO"]
    return {"call": state}


def _emit(event: str, payload: dict, to: str, skip_sid: str | None = None) -> None:
    socketio.emit(event, payload, to=to, namespace=LIVE, skip_sid=skip_sid)


@live.on("call:join")
@live_event(schemas.JoinCall)
def on_join(user, payload: schemas.JoinCall):
    current_app.extensions[CALL_SOCKETS].add(request.sid)  # type: ignore[attr-defined]  # before any row exists
    consume(db.session, f"call-join:{user.id}", "call_join")
    if payload.meeting_id is not None:
        return _join_meeting_call(user, payload.meeting_id, payload.video)
    assert payload.session_id is not None  # the schema: one of the two
    joined = services.join_call(
        db.session,
        user,
        payload.session_id,
        request.sid,  # type: ignore[attr-defined]  # Flask-SocketIO sets request.sid
        limits=limits(),
        with_video=payload.video,
        sfu=sfu(),
    )
    if joined.replaced is not None:  # the other call (a meeting's, say) hears that this socket left it
        _out_of_call_room(joined.replaced.sid, services.call_key(joined.replaced))
        _announce_left(joined.replaced, "left")
    enter_socket_room(call_room(payload.session_id))
    me = services.member_json(joined.member, user.name)
    if joined.created:
        _emit(
            "call:member-joined",
            {"session_id": payload.session_id, "member": me},
            call_room(payload.session_id),
            request.sid,  # type: ignore[attr-defined]  # Flask-SocketIO sets request.sid
        )
    config = current_app.config
    answer = {
        "session_id": payload.session_id,
        "mode": "janus" if joined.room.janus_room is not None else "mesh",
        "me": me,
        "members": services.members_json(db.session, payload.session_id),
        "locked": joined.room.locked,
        "audio_only": services.audio_only(joined.room),
        "max_video": 0 if services.audio_only(joined.room) else config["CALLS_MAX_VIDEO"],
        "ice_servers": ice_servers_for(config["CALLS_ICE_SERVERS"], user.id),
    }
    if joined.room.janus_room is not None:
        answer["janus"] = {
            "url": config["JANUS_PUBLIC_URL"] or config["JANUS_URL"],
            "room": joined.room.janus_room,
            "token": joined.member.janus_token,
            "publisher_id": joined.member.id,
            "plugin": joined.room.janus_plugin,
        }
    return ok(call=answer)


def _join_meeting_call(user, meeting_id: int, video: bool) -> dict:
    """A meeting's call: its two people, always peer to peer (Janus is for rooms)."""
    joined = meeting_calls.join_meeting_call(
        db.session,
        user,
        meeting_id,
        request.sid,  # type: ignore[attr-defined]  # Flask-SocketIO sets request.sid
        limits=limits(),
        with_video=video,
    )
    for gone in joined.replaced:
        _out_of_call_room(gone.sid, services.call_key(gone))
        _announce_left(gone, "replaced" if gone.meeting_id == meeting_id else "left")
        if gone.sid != request.sid:  # type: ignore[attr-defined]  # Flask-SocketIO sets request.sid
            # the person's other tab: its part ended here
            socketio.emit(
                "call:ended",
                {"meeting_id": meeting_id, "reason": "joined_elsewhere"},
                to=gone.sid,
                namespace=LIVE,
            )
    room = meeting_call_room(meeting_id)
    enter_socket_room(room)
    me = services.member_json(joined.member, user.name)
    if joined.created:
        _emit("call:member-joined", {"meeting_id": meeting_id, "member": me}, room, request.sid)  # type: ignore[attr-defined]  # Flask-SocketIO sets request.sid
    config = current_app.config
    return ok(
        call={
            "meeting_id": meeting_id,
            "mode": "mesh",
            "me": me,
            "members": meeting_calls.meeting_members_json(db.session, meeting_id),
            "locked": False,
            "audio_only": False,
            "max_video": config["CALLS_MAX_VIDEO"],
            "ice_servers": ice_servers_for(config["CALLS_ICE_SERVERS"], user.id),
        }
    )


@live.on("call:leave")
@live_event(schemas.CallRef)
def on_leave(user, payload: schemas.CallRef):
    member = services.leave_call(db.session, request.sid, sfu())  # type: ignore[attr-defined]  # Flask-SocketIO sets request.sid
    leave_socket_room(room_of_key(_key(payload)))
    if member is not None:
        _announce_left(member, "left")
    return ok(left=member is not None)


@live.on("call:signal")
@live_event(schemas.Signal)
def on_signal(user, payload: schemas.Signal):
    if not current_app.extensions[BUCKETS].take(request.sid, current_app.config):  # type: ignore[attr-defined]  # Flask-SocketIO sets request.sid
        return error("rate_limited", "too many call signals at once; slow down", retry_after=1)
    sender, target_sid = services.relay_target(
        db.session,
        request.sid,  # type: ignore[attr-defined]  # Flask-SocketIO sets request.sid
        payload.to,
        session_id=payload.session_id,
        meeting_id=payload.meeting_id,
    )
    message: dict[str, Any] = {**_key(payload), "from": sender.id, "kind": payload.kind}
    if payload.sdp is not None:
        message["sdp"] = payload.sdp
    if payload.candidate is not None:
        message["candidate"] = payload.candidate.model_dump()
    socketio.emit("call:signal", message, to=target_sid, namespace=LIVE)
    return ok()


@live.on("call:media")
@live_event(schemas.Media)
def on_media(user, payload: schemas.Media):
    consume(db.session, f"call-state:{request.sid}", "call_state")  # type: ignore[attr-defined]  # Flask-SocketIO sets request.sid
    member = services.set_media(
        db.session,
        request.sid,  # type: ignore[attr-defined]  # Flask-SocketIO sets request.sid
        audio=payload.audio,
        video=payload.video,
        screen=payload.screen,
        limits=limits(),
    )
    return _announce_updated(member, user.name)


@live.on("call:hand")
@live_event(schemas.Hand)
def on_hand(user, payload: schemas.Hand):
    consume(db.session, f"call-state:{request.sid}", "call_state")  # type: ignore[attr-defined]  # Flask-SocketIO sets request.sid
    member = services.raise_hand(db.session, request.sid, payload.raised)  # type: ignore[attr-defined]  # Flask-SocketIO sets request.sid
    return _announce_updated(member, user.name)


@live.on("call:moderate")
@live_event(schemas.Moderate)
def on_moderate(user, payload: schemas.Moderate):
    done = services.moderate(db.session, user, payload.session_id, payload.action, payload.member_id, sfu())
    room = call_room(payload.session_id)
    if payload.action in ("lock", "unlock"):
        _emit("call:locked", {"session_id": payload.session_id, "locked": done.room.locked}, room)
        return ok(locked=done.room.locked)
    target = done.target
    assert target is not None
    if payload.action == "remove":
        socketio.emit(
            "call:removed", {"session_id": payload.session_id, "by": user.name}, to=target.sid, namespace=LIVE
        )
        socketio.server.leave_room(target.sid, room, namespace=LIVE)  # type: ignore[attr-defined]  # the stubs leave .server out
        _announce_left(target, "removed")
        return ok()
    if payload.action == "mute":
        socketio.emit(
            "call:muted", {"session_id": payload.session_id, "by": user.name}, to=target.sid, namespace=LIVE
        )
    name = db.session.get_one(type(user), target.user_id).name
    return _announce_updated(target, name)


def _announce_updated(member, name: str) -> dict:
    as_json = services.member_json(member, name)
    key = services.call_key(member)
    _emit("call:member-updated", {**key, "member": as_json}, room_of_key(key))
    return ok(member=as_json)


def _announce_left(member, reason: str) -> None:
    key = services.call_key(member)
    _emit("call:member-left", {**key, "member_id": member.id, "reason": reason}, room_of_key(key))


# --- the call follows the room -------------------------------------------------------------------


def _leave_on_disconnect(sid: str, _user_id) -> None:
    current_app.extensions[BUCKETS].forget(sid)
    in_calls: set[str] = current_app.extensions[CALL_SOCKETS]
    if sid not in in_calls:
        return  # never asked to join a call: no member row to remove
    member = services.leave_call(db.session, sid, sfu())
    in_calls.discard(sid)  # done (a failure above keeps it for the next attempt)
    if member is not None:
        _announce_left(member, "disconnected")


def _prune_after_presence_change(_event_id, session_ids=(), left_ids=None, **_extra) -> None:
    """Someone entered, left or switched rooms: whoever is no longer in a room leaves its call (only
    the rooms someone left can have such a member: a join alone costs no query)."""
    session_ids = session_ids if left_ids is None else left_ids
    if not session_ids:
        return
    try:
        gone = services.prune_absent(db.session, list(session_ids), sfu())
    except Exception:  # the move is committed already: a failure here must not undo or fail it
        db.session.rollback()
        log.exception("calls of sessions %s not pruned", list(session_ids))
        return
    for member in gone:
        _out_of_call_room(member.sid, services.call_key(member))
        _announce_left(member, "left_room")


def _end_calls_of_round(_main_session_id, session_ids=(), reason="recalled", **_extra) -> None:
    """A breakout round ended (recall or timer): its rooms' calls end, with everyone in them."""
    try:
        ended = services.end_calls(db.session, list(session_ids), sfu())
    except Exception:
        db.session.rollback()
        log.exception("calls of breakout rooms %s not ended", list(session_ids))
        return
    for session_id in session_ids:
        _emit("call:ended", {"session_id": session_id, "reason": reason}, call_room(session_id))
        for sid in ended.get(session_id, []):
            _out_of_call_room(sid, {"session_id": session_id})


def _out_of_call_room(sid: str, key: dict[str, int]) -> None:
    """Take a socket out of the call's Socket.IO room (it may be on another worker, or gone)."""
    with contextlib.suppress(KeyError, ValueError):
        socketio.server.leave_room(sid, room_of_key(key), namespace=LIVE)  # type: ignore[attr-defined]  # the stubs leave .server out


class _SignalBuckets:
    """A token bucket per socket: a burst of offers and candidates at join, then a steady trickle."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._buckets: dict[str, tuple[float, float]] = {}

    def take(self, sid: str, config) -> bool:
        burst, rate = float(config["CALLS_SIGNAL_BURST"]), float(config["CALLS_SIGNAL_PER_S"])
        now = time.monotonic()
        with self._lock:
            tokens, at = self._buckets.get(sid, (burst, now))
            tokens = min(burst, tokens + (now - at) * rate)
            if tokens < 1:
                self._buckets[sid] = (tokens, now)
                return False
            self._buckets[sid] = (tokens - 1, now)
            return True

    def forget(self, sid: str) -> None:
        with self._lock:
            self._buckets.pop(sid, None)
