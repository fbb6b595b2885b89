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

from flask import current_app

from ... import hooks, realtime_tasks
from ...extensions import db, socketio
from ...realtime import LIVE, LiveEvents, live_event, ok
from ...wire import isoformat_utc
from ..access import moderators_room, room_name, user_room
from . import schemas, services
from .models import BreakoutRound, RoundStatus

log = logging.getLogger(__name__)


def _emit(event: str, payload: dict, rooms: list[str]) -> None:
    socketio.emit(event, payload, to=rooms, namespace=LIVE)  # type: ignore[arg-type]  # the stubs say str; Flask-SocketIO takes a list of rooms too


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


COUNTS = "breakouts.counts"


def announce_counts_soon(round_: BreakoutRound) -> None:
    """Coalesce `breakout:rooms`: when hundreds choose a room within a minute, the main room gets
    at most one update per BREAKOUT_COUNTS_INTERVAL_S, and the last one is read after the last change."""
    realtime_tasks.coalescer(current_app, COUNTS).touch(round_.id)


def _announce_counts(round_id: int) -> None:
    _announce_rooms(services.get_round(db.session, round_id))


live = LiveEvents()  # registered by init_app


def init_app(app) -> None:
    """The breakout events, the counts coalescer, the entry rule, and the breakouts' part of a join."""
    live.register()
    realtime_tasks.Coalescer(app, COUNTS, lambda: app.config["BREAKOUT_COUNTS_INTERVAL_S"], _announce_counts)
    hooks.add_join_state_part(
        services.join_state_shared, services.join_state_personal, services.join_state_rooms, app=app
    )
    hooks.add_after_join(resume_countdown_after_join, app)
    hooks.add_entry_rule(services.ensure_may_enter, app)


@live.on("breakout:create")
@live_event(schemas.CreateRound)
def create(user, payload: schemas.CreateRound):
    specs = [services.RoomSpec(r.name, r.language, r.capacity) for r in payload.rooms]
    round_ = services.create_round(
        db.session, user, payload.session_id, specs, mode=payload.mode, duration_s=payload.duration_s
    )
    return ok(**_announce_rooms(round_, "breakout:created"))


@live.on("breakout:assign")
@live_event(schemas.Assign)
def assign(user, payload: schemas.Assign):
    if payload.auto:
        round_ = services.get_round(db.session, payload.round_id)
        services.ensure_can_moderate(db.session, user, round_.session)
        candidates = (
            payload.user_ids
            if payload.user_ids is not None
            else services.balance_candidates(db.session, round_, payload.among)
        )
        result = services.auto_assign(db.session, user, payload.round_id, candidates, by=payload.by)
        changes, unplaced = result.changes, result.unplaced
    else:
        pairs = [(p.user_id, p.room_id) for p in payload.assignments]
        changes, unplaced = services.assign(db.session, user, payload.round_id, pairs), []
    for change in changes:
        _emit(
            "breakout:assigned",
            {
                "round_id": payload.round_id,
                "room": services.room_json(change.room) if change.room else None,
            },
            [user_room(change.user_id)],
        )
    round_ = services.get_round(db.session, payload.round_id)
    return ok(assigned=len(changes), unplaced=unplaced, **_announce_rooms(round_))


@live.on("breakout:start")
@live_event(schemas.Start)
def start(user, payload: schemas.Start):
    round_ = services.start_round(db.session, user, payload.round_id, payload.duration_s)
    state = {"round": services.round_json(round_), "rooms": services.rooms_json(db.session, round_)}
    _emit("breakout:opened", state, [room_name(round_.session_id)])
    ensure_timer(round_.id)
    return ok(**state)


@live.on("breakout:join")
@live_event(schemas.Join)
def join(user, payload: schemas.Join):
    round_, room = services.enter_breakout(db.session, user, payload.round_id, payload.room_id)
    mine = services.assignment_of(db.session, round_.id, user.id)
    if mine is not None:  # a moderator dropping in changes no count
        announce_counts_soon(round_)
    return ok(
        session_id=room.session_id,
        room=services.room_json(room),
        my_assignment=services.assignment_json(mine),
    )


@live.on("breakout:message")
@live_event(schemas.Message)
def message(user, payload: schemas.Message):
    round_ = services.post_message(db.session, user, payload.round_id, payload.text)
    body = {
        "round_id": round_.id,
        "text": round_.last_message,
        "at": isoformat_utc(round_.last_message_at),
        "from": user.name,
    }
    _emit("breakout:message", body, everywhere(round_))
    return ok(message=body)


@live.on("breakout:extend")
@live_event(schemas.Extend)
def extend(user, payload: schemas.Extend):
    round_ = services.extend_round(db.session, user, payload.round_id, payload.seconds)
    _emit("breakout:timer", timer_payload(round_, "extended"), everywhere(round_))
    ensure_timer(round_.id)
    return ok(round=services.round_json(round_))


@live.on("breakout:recall")
@live_event(schemas.RoundRef)
def recall(user, payload: schemas.RoundRef):
    round_ = services.recall_round(db.session, user, payload.round_id)
    announce_recall(round_)
    return ok(round=services.round_json(round_))


@live.on("breakout:call_moderator")
@live_event(schemas.CallModerator)
def call_moderator(user, payload: schemas.CallModerator):
    alert = services.call_moderator(db.session, user, payload.session_id, payload.message)
    round_ = services.get_round(db.session, alert["round_id"])
    # Every moderator of the round hears it, in the main room or dropped into any breakout.
    _emit(
        "breakout:alert",
        alert,
        [
            moderators_room(session_id)
            for session_id in [round_.session_id] + [r.session_id for r in round_.rooms]
        ],
    )
    return ok()


def announce_recall(round_: BreakoutRound) -> None:
    """Everyone goes back to the main session; its moderators get the record of the round."""
    _emit(
        "breakout:recalled",
        {
            "round_id": round_.id,
            "session_id": round_.session_id,
            "main_session_id": round_.session_id,
            "by": round_.recalled_by,
            "round": services.round_json(round_),
        },
        everywhere(round_),
    )
    _emit(
        "breakout:record",
        {"round_id": round_.id, "rooms": services.round_record(db.session, round_)},
        [moderators_room(round_.session_id)],
    )
    hooks.breakout_round_ended.send(
        round_.session_id, session_ids=[r.session_id for r in round_.rooms], reason="recalled"
    )


def timer_payload(round_: BreakoutRound, kind: str = "countdown") -> dict:
    as_json = services.round_json(round_)
    return {
        "round_id": round_.id,
        "ends_at": as_json["ends_at"],
        "remaining_s": as_json["remaining_s"],
        "kind": kind,
        "warning": kind == "warning",
    }


# --- the countdown -----------------------------------------------------------------------------


def ensure_timer(round_id: int) -> None:
    """Run the countdown of a running round in this process, once (also after a restart, on join)."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]  # Flask types current_app as the app it proxies
    interval = float(app.config["BREAKOUT_TIMER_INTERVAL_S"])
    realtime_tasks.run_at(app, 0, lambda: _tick(round_id, interval), key=("breakout countdown", round_id))


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


def resume_countdown_after_join(db_session, _user, session) -> None:
    """A restarted server resumes the countdown of a running round when someone joins."""
    round_id = services.running_round_id(db_session, services.main_session_of(session).id)
    if round_id is not None:
        ensure_timer(round_id)
