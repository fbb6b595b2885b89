"""Breakout events on /live: thin handlers around services.py, plus the round's countdown task.

Broadcasts (each sent to a room once):
- `breakout:created` / `breakout:rooms` → moderators (draft) or the main room (running): rooms and counts;
- `breakout:opened` → the main room when a round starts;
- `breakout:assigned` → each placed person's user room;
- `breakout:timer`, `breakout:message`, `breakout:recalled` → the main room and every breakout room;
- `breakout:alert` → the moderators of the main session and of every breakout of the round;
- `breakout:record` → the main session's moderators after a recall.
"""
from __future__ import annotations

import logging
import threading

from flask import current_app

from ... import hooks
from ...extensions import db, socketio
from ...programme.services import iso_utc
from ...realtime import LIVE, live_event, ok
from ..access import moderators_room, room_name, user_room
from . import schemas, services
from .models import BreakoutRound, RoundStatus

log = logging.getLogger(__name__)


def _emit(event: str, payload: dict, rooms: list[str]) -> None:
    socketio.emit(event, payload, to=rooms, namespace=LIVE)


def everywhere(round_: BreakoutRound) -> list[str]:
    """The main room and every breakout room of a round."""
    return [room_name(round_.session_id)] + [room_name(r.session_id) for r in round_.rooms]


def _announce_rooms(round_: BreakoutRound, event: str = "breakout:rooms") -> dict:
    payload = {"round": services.round_json(round_), "rooms": services.rooms_json(db.session, round_)}
    if round_.status == RoundStatus.RUNNING.value:
        _emit(event, payload, [room_name(round_.session_id)])
    else:  # a draft is for the moderators' eyes only
        _emit(event, payload, [moderators_room(round_.session_id)])
    return payload


_pending_counts: set[tuple[int, int]] = set()
_pending_lock = threading.Lock()


def announce_counts_soon(round_: BreakoutRound) -> None:
    """Coalesce `breakout:rooms`: when hundreds choose a room within a minute, the main room gets
    at most one update per BREAKOUT_COUNTS_INTERVAL_S, and the last one is read after the last change."""
    interval = float(current_app.config.get("BREAKOUT_COUNTS_INTERVAL_S", 0.5))
    if interval <= 0:
        _announce_rooms(round_)
        return
    server = socketio.server
    key = (id(server), round_.id)
    with _pending_lock:
        if key in _pending_counts:
            return
        _pending_counts.add(key)
    socketio.start_background_task(_announce_counts_later, current_app._get_current_object(), server, round_.id,
                                   interval)


def _announce_counts_later(app, server, round_id: int, interval: float) -> None:
    socketio.sleep(interval)
    with _pending_lock:
        # Released before reading: a change committed after this read schedules a fresh update.
        _pending_counts.discard((id(server), round_id))
    if socketio.server is not server:
        return
    with app.app_context():
        try:
            _announce_rooms(services.get_round(db.session, round_id))
        except Exception:
            log.exception("breakout counts of round %s not sent", round_id)
        finally:
            db.session.remove()


@socketio.on("breakout:create", namespace=LIVE)
@live_event(schemas.CreateRound)
def create(user, payload: schemas.CreateRound):
    specs = [services.RoomSpec(r.name, r.language, r.capacity) for r in payload.rooms]
    round_ = services.create_round(db.session, user, payload.session_id, specs,
                                   mode=payload.mode, duration_s=payload.duration_s)
    return ok(**_announce_rooms(round_, "breakout:created"))


@socketio.on("breakout:assign", namespace=LIVE)
@live_event(schemas.Assign)
def assign(user, payload: schemas.Assign):
    if payload.auto:
        round_ = services.get_round(db.session, payload.round_id)
        services.ensure_can_moderate(db.session, user, round_.session)
        candidates = payload.user_ids if payload.user_ids is not None else \
            services.balance_candidates(db.session, round_, payload.among)
        result = services.auto_assign(db.session, user, payload.round_id, candidates, by=payload.by)
        changes, unplaced = result.changes, result.unplaced
    else:
        pairs = [(p.user_id, p.room_id) for p in payload.assignments]
        changes, unplaced = services.assign(db.session, user, payload.round_id, pairs), []
    for change in changes:
        _emit("breakout:assigned", {
            "round_id": payload.round_id,
            "room": services.room_json(change.room) if change.room else None,
        }, [user_room(change.user_id)])
    round_ = services.get_round(db.session, payload.round_id)
    return ok(assigned=len(changes), unplaced=unplaced, **_announce_rooms(round_))


@socketio.on("breakout:start", namespace=LIVE)
@live_event(schemas.Start)
def start(user, payload: schemas.Start):
    round_ = services.start_round(db.session, user, payload.round_id, payload.duration_s)
    state = {"round": services.round_json(round_), "rooms": services.rooms_json(db.session, round_)}
    _emit("breakout:opened", state, [room_name(round_.session_id)])
    ensure_timer(round_.id)
    return ok(**state)


@socketio.on("breakout:join", namespace=LIVE)
@live_event(schemas.Join)
def join(user, payload: schemas.Join):
    round_, room = services.enter_breakout(db.session, user, payload.round_id, payload.room_id)
    mine = services.assignment_of(db.session, round_.id, user.id)
    if mine is not None:  # a moderator dropping in changes no count
        announce_counts_soon(round_)
    return ok(session_id=room.session_id, room=services.room_json(room), my_assignment=services.assignment_json(mine))


@socketio.on("breakout:message", namespace=LIVE)
@live_event(schemas.Message)
def message(user, payload: schemas.Message):
    round_ = services.post_message(db.session, user, payload.round_id, payload.text)
    body = {"round_id": round_.id, "text": round_.last_message, "at": iso_utc(round_.last_message_at),
            "from": user.name}
    _emit("breakout:message", body, everywhere(round_))
    return ok(message=body)


@socketio.on("breakout:extend", namespace=LIVE)
@live_event(schemas.Extend)
def extend(user, payload: schemas.Extend):
    round_ = services.extend_round(db.session, user, payload.round_id, payload.seconds)
    _emit("breakout:timer", timer_payload(round_, "extended"), everywhere(round_))
    ensure_timer(round_.id)
    return ok(round=services.round_json(round_))


@socketio.on("breakout:recall", namespace=LIVE)
@live_event(schemas.RoundRef)
def recall(user, payload: schemas.RoundRef):
    round_ = services.recall_round(db.session, user, payload.round_id)
    announce_recall(round_)
    return ok(round=services.round_json(round_))


@socketio.on("breakout:call_moderator", namespace=LIVE)
@live_event(schemas.CallModerator)
def call_moderator(user, payload: schemas.CallModerator):
    alert = services.call_moderator(db.session, user, payload.session_id, payload.message)
    round_ = services.get_round(db.session, alert["round_id"])
    # Every moderator of the round hears it, in the main room or dropped into any breakout.
    _emit("breakout:alert", alert, [moderators_room(session_id) for session_id in
                                    [round_.session_id] + [r.session_id for r in round_.rooms]])
    return ok()


def announce_recall(round_: BreakoutRound) -> None:
    """Everyone goes back to the main session; its moderators get the record of the round."""
    _emit("breakout:recalled", {
        "round_id": round_.id, "session_id": round_.session_id, "main_session_id": round_.session_id,
        "by": round_.recalled_by, "round": services.round_json(round_),
    }, everywhere(round_))
    _emit("breakout:record", {"round_id": round_.id, "rooms": services.round_record(db.session, round_)},
          [moderators_room(round_.session_id)])


def timer_payload(round_: BreakoutRound, kind: str = "countdown") -> dict:
    as_json = services.round_json(round_)
    return {"round_id": round_.id, "ends_at": as_json["ends_at"], "remaining_s": as_json["remaining_s"],
            "kind": kind, "warning": kind == "warning"}


# --- the countdown -----------------------------------------------------------------------------

_timers: set[tuple[int, int]] = set()  # (Socket.IO server, round) pairs counting down in this process
_timers_lock = threading.Lock()


def ensure_timer(round_id: int) -> None:
    """Run the countdown of a running round in this process, once (also after a restart, on join)."""
    server = socketio.server
    key = (id(server), round_id)
    with _timers_lock:
        if key in _timers:
            return
        _timers.add(key)
    socketio.start_background_task(_run_timer, current_app._get_current_object(), server, round_id)


def _run_timer(app, server, round_id: int) -> None:
    interval = float(app.config.get("BREAKOUT_TIMER_INTERVAL_S", 10))
    try:
        # A new app (tests build one each) replaces the server: this countdown belongs to the old one.
        while socketio.server is server:
            with app.app_context():
                try:
                    pause = _tick(round_id, interval)
                finally:
                    db.session.remove()
            if pause is None:
                return
            socketio.sleep(pause)
    except Exception:  # the database failed or went away: stop counting, a later join restarts it
        log.exception("breakout timer of round %s stopped", round_id)
    finally:
        with _timers_lock:
            _timers.discard((id(server), round_id))


def _tick(round_id: int, interval: float) -> float | None:
    """One step of the countdown; returns how long to sleep, or None when the round is over."""
    tick = services.timer_tick(db.session, round_id)
    if tick.action == "stop":
        return None
    if tick.action == "recalled":
        announce_recall(tick.round)
        return None
    _emit("breakout:timer", timer_payload(tick.round, tick.action), everywhere(tick.round))
    remaining = tick.remaining_s
    until_warning = remaining - services.WARNING_BEFORE_END_S
    next_event = until_warning if (until_warning > 0 and not tick.round.warned) else remaining
    return max(0.2, min(interval, next_event))


def _join_state(session_db, user, session) -> dict:
    state = services.join_state(session_db, user, session)
    round_ = state["breakouts"].get("round")
    if round_ and round_["status"] == RoundStatus.RUNNING.value:
        ensure_timer(round_["id"])  # a restarted server resumes the countdown of a running round
    return state


hooks.add_join_state(_join_state)
hooks.add_entry_rule(services.ensure_may_enter)
