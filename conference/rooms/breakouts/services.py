"""Breakout rules: rounds, rooms, assignments, the timer and the record. No `request`, no `emit`.

Every state change is one conditional UPDATE (or an INSERT under a UNIQUE constraint) whose row
count decides: starting twice, recalling twice, a timer racing a moderator's recall, two people
taking the last place of a room — the database answers, on SQLite and PostgreSQL alike.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import bindparam, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

from ...accounts.models import User
from ...db_session import DbSession, execute_dml
from ...db_types import utcnow
from ...errors import Conflict, Forbidden, NotFound, ServiceError
from ...grants.services import user_ids_with_grant
from ...hooks import Joiner
from ...programme.models import ProgrammeSession, SessionKind
from ...registrations.models import Registration
from ...wire import BREAKOUT_DURATION_MAX_S, isoformat_utc
from ..access import (
    can_moderate,
    ensure_can_join,
    ensure_can_moderate,
    get_live_session,
    moderators_room,
    room_name,
)
from . import balancing
from .models import (
    ROUND_MODES,
    AssignmentSource,
    BreakoutAssignment,
    BreakoutRoom,
    BreakoutRound,
    RoundMode,
    RoundStatus,
)

WARNING_BEFORE_END_S = 60
ALERT_INTERVAL_S = 30
MAX_DURATION_S = BREAKOUT_DURATION_MAX_S  # stated once in conference.wire
OPEN_STATUSES = (RoundStatus.DRAFT.value, RoundStatus.RUNNING.value)


@dataclass(frozen=True)
class RoomSpec:
    name: str
    language: str = "en"
    capacity: int | None = None


@dataclass
class AssignmentChange:
    """One person's new place (room None: unassigned), for the `breakout:assigned` broadcast."""

    user_id: int
    room: BreakoutRoom | None


@dataclass
class AutoResult:
    changes: list[AssignmentChange] = field(default_factory=list)
    unplaced: list[int] = field(default_factory=list)


@dataclass
class TimerTick:
    action: str  # "countdown", "warning", "recalled" or "stop"
    round: BreakoutRound
    remaining_s: int = 0


# --- lookups ---------------------------------------------------------------------------------


def get_round(db: DbSession, round_id: int) -> BreakoutRound:
    found = db.get(BreakoutRound, round_id)
    if found is None:
        raise NotFound("round_not_found", f"there is no breakout round {round_id}")
    db.refresh(found)  # other processes and threads change rounds: read the row as it is now
    return found


def get_room(db: DbSession, round_: BreakoutRound, room_id: int) -> BreakoutRoom:
    room = db.get(BreakoutRoom, room_id)
    if room is None or room.round_id != round_.id:
        raise NotFound("room_not_found", f"breakout room {room_id} is not part of this round")
    return room


def main_session_of(session: ProgrammeSession) -> ProgrammeSession:
    """A breakout's parent, or the session itself."""
    if session.kind == SessionKind.BREAKOUT.value and session.parent is not None:
        return session.parent
    return session


def open_round(db: DbSession, main_session_id: int) -> BreakoutRound | None:
    return db.scalar(select(BreakoutRound).where(BreakoutRound.open_session_id == main_session_id))


_RUNNING_ROUND = select(BreakoutRound.id).where(
    BreakoutRound.open_session_id == bindparam("main_session_id"),
    BreakoutRound.status == RoundStatus.RUNNING.value,
)


def running_round_id(db: DbSession, main_session_id: int) -> int | None:
    """The session's running round, if any (a running round is always its session's open one):
    one small query, built once, as every join asks it."""
    return db.connection().execute(_RUNNING_ROUND, {"main_session_id": main_session_id}).scalar()


def latest_round(db: DbSession, main_session_id: int) -> BreakoutRound | None:
    return db.scalar(
        select(BreakoutRound)
        .where(BreakoutRound.session_id == main_session_id)
        .order_by(BreakoutRound.id.desc())
    )


def rounds_of(db: DbSession, main_session_id: int) -> list[BreakoutRound]:
    return list(
        db.scalars(
            select(BreakoutRound)
            .where(BreakoutRound.session_id == main_session_id)
            .order_by(BreakoutRound.id)
        )
    )


def assignment_of(db: DbSession, round_id: int, user_id: int) -> BreakoutAssignment | None:
    return db.scalar(
        select(BreakoutAssignment).where(
            BreakoutAssignment.round_id == round_id, BreakoutAssignment.user_id == user_id
        )
    )


def ensure_may_enter(db: DbSession, user: User, session: ProgrammeSession) -> None:
    """While a round runs, each of its rooms admits only the people placed in it.

    Without this a plain `join` to a breakout's session would get around the round's capacity and
    mode; moderators and staff never reach this rule (they may drop in anywhere).
    """
    if session.parent_id is None:
        return
    room = db.scalar(
        select(BreakoutRoom)
        .join(BreakoutRound, BreakoutRoom.round_id == BreakoutRound.id)
        .where(BreakoutRoom.session_id == session.id, BreakoutRound.status == RoundStatus.RUNNING.value)
    )
    if room is None:
        return
    assignment = assignment_of(db, room.round_id, user.id)
    if assignment is None or assignment.room_id != room.id:
        raise Forbidden(
            "not_in_this_breakout",
            "this breakout is running: choose a room with breakout:join, or wait to be assigned",
        )


def _ensure_open(round_: BreakoutRound) -> None:
    if round_.status == RoundStatus.RECALLED.value:
        raise Conflict("round_closed", "this breakout round is over")


def _ensure_running(round_: BreakoutRound) -> None:
    if round_.status != RoundStatus.RUNNING.value:
        raise Conflict("round_not_running", "this breakout round is not running")


def _running_end(round_: BreakoutRound) -> datetime:
    """The end of a running round: set when it starts, so only a draft has none."""
    if round_.ends_at is None:
        raise Conflict("round_not_running", "this breakout round is not running")
    return round_.ends_at


# --- creating a round --------------------------------------------------------------------------


def create_round(
    db: DbSession,
    user: User,
    session_id: int,
    rooms: list[RoomSpec],
    *,
    mode: str = RoundMode.SELF_SELECT.value,
    duration_s: int = 900,
) -> BreakoutRound:
    """A draft round of `session_id` with its rooms; an empty list reuses the existing breakouts.

    A room whose name matches an existing breakout of the session reuses that session (its language
    and capacity are updated), so a programme's planned breakouts keep their Q&A and chat.
    """
    main = get_live_session(db, session_id)
    ensure_can_moderate(db, user, main)
    if main.kind == SessionKind.BREAKOUT.value:
        raise ServiceError("nested_breakout", "a breakout room cannot be split into breakouts")
    if mode not in ROUND_MODES:
        raise ServiceError("invalid_mode", f"mode must be one of {', '.join(ROUND_MODES)}")
    _check_duration(duration_s)
    sessions = _room_sessions(db, main, rooms)
    round_ = BreakoutRound(
        session_id=main.id, open_session_id=main.id, mode=mode, duration_s=duration_s, created_by_id=user.id
    )
    round_.rooms = [
        BreakoutRoom(session_id=s.id, position=i, capacity=s.capacity) for i, s in enumerate(sessions)
    ]
    db.add(round_)
    try:
        db.commit()
    except IntegrityError:
        db.rollback()
        raise Conflict(
            "round_already_open", "this session already has a breakout round; recall it first"
        ) from None
    return round_


def _check_duration(duration_s: int) -> None:
    if not 1 <= duration_s <= MAX_DURATION_S:
        raise ServiceError(
            "invalid_duration", f"the duration must be between 1 second and {MAX_DURATION_S // 3600} hours"
        )


def _room_sessions(db: DbSession, main: ProgrammeSession, specs: list[RoomSpec]) -> list[ProgrammeSession]:
    existing = {
        c.title: c
        for c in db.scalars(
            select(ProgrammeSession)
            .where(
                ProgrammeSession.parent_id == main.id,
                ProgrammeSession.kind == SessionKind.BREAKOUT.value,
            )
            .order_by(ProgrammeSession.id)
        )
    }
    if not specs:
        if not existing:
            raise ServiceError("no_rooms", "list the breakout rooms to create")
        return list(existing.values())
    names = [spec.name.strip() for spec in specs]
    if any(not name for name in names):
        raise ServiceError("invalid_room", "every breakout room needs a name")
    if len({n.casefold() for n in names}) != len(names):
        raise ServiceError("duplicate_room_name", "two breakout rooms have the same name")
    sessions = []
    for name, spec in zip(names, specs, strict=False):
        if spec.capacity is not None and spec.capacity < 1:
            raise ServiceError("invalid_capacity", f"the capacity of {name!r} must be at least 1")
        session = existing.get(name)
        if session is None:
            session = ProgrammeSession(
                event_id=main.event_id,
                track_id=main.track_id,
                parent_id=main.id,
                title=name,
                kind=SessionKind.BREAKOUT.value,
                starts_at=main.starts_at,
                ends_at=main.ends_at,
                room="",
                capacity=spec.capacity,
                language=spec.language,
            )
            db.add(session)
        else:
            session.language, session.capacity = spec.language, spec.capacity
        sessions.append(session)
    db.flush()
    return sessions


# --- assigning people --------------------------------------------------------------------------


def assign(
    db: DbSession, user: User, round_id: int, pairs: list[tuple[int, int | None]]
) -> list[AssignmentChange]:
    """Put each (user_id, room_id) in place; room_id None removes the person's assignment.

    A moderator may fill a room past its capacity on purpose; capacity binds self-select.
    """
    round_ = get_round(db, round_id)
    ensure_can_moderate(db, user, round_.session)
    _ensure_open(round_)
    if len({user_id for user_id, _ in pairs}) != len(pairs):
        raise ServiceError("duplicate_user", "a person appears twice in the list")
    rooms = {room.id: room for room in round_.rooms}
    for _, room_id in pairs:
        if room_id is not None and room_id not in rooms:
            raise NotFound("room_not_found", f"breakout room {room_id} is not part of this round")
    _ensure_participants(db, round_, [user_id for user_id, _ in pairs])
    existing = _assignments_by_user(db, round_.id, [user_id for user_id, _ in pairs])
    changes: list[AssignmentChange] = []
    deltas: Counter[int] = Counter()
    for user_id, room_id in pairs:
        current = existing.get(user_id)
        if (
            current is not None
            and current.room_id == room_id
            and current.source == AssignmentSource.ASSIGNED.value
        ):
            continue
        if current is not None:
            deltas[current.room_id] -= 1
            if room_id is None:
                db.delete(current)
            else:
                current.room_id, current.source = room_id, AssignmentSource.ASSIGNED.value
        elif room_id is not None:
            db.add(
                BreakoutAssignment(
                    round_id=round_.id,
                    room_id=room_id,
                    user_id=user_id,
                    source=AssignmentSource.ASSIGNED.value,
                )
            )
        if room_id is not None:
            deltas[room_id] += 1
        changes.append(AssignmentChange(user_id, rooms.get(room_id) if room_id is not None else None))
    _apply_deltas(db, deltas)
    _commit_assignments(db)
    return changes


def _ensure_participants(db: DbSession, round_: BreakoutRound, user_ids: list[int]) -> None:
    """Only people with a confirmed registration for the event (or organisers) can be placed."""
    if not user_ids:
        return
    users = {u.id: u for u in db.scalars(select(User).where(User.id.in_(user_ids)))}
    missing = [uid for uid in user_ids if uid not in users]
    if missing:
        raise NotFound("user_not_found", f"there is no user {missing[0]}", user_ids=missing)
    registered = set(
        db.scalars(
            select(Registration.user_id).where(
                Registration.event_id == round_.session.event_id,
                Registration.status == "confirmed",
                Registration.user_id.in_(user_ids),
            )
        )
    )
    team = user_ids_with_grant(db, round_.session.event_id)
    outsiders = [
        uid for uid in user_ids if uid not in registered and uid not in team and not users[uid].is_admin
    ]
    if outsiders:
        raise ServiceError(
            "not_registered", "these people are not registered for the event", user_ids=outsiders
        )


def _assignments_by_user(db: DbSession, round_id: int, user_ids: list[int]) -> dict[int, BreakoutAssignment]:
    rows: Iterable[BreakoutAssignment] = (
        db.scalars(
            select(BreakoutAssignment).where(
                BreakoutAssignment.round_id == round_id, BreakoutAssignment.user_id.in_(user_ids)
            )
        )
        if user_ids
        else []
    )
    return {a.user_id: a for a in rows}


def _apply_deltas(db: DbSession, deltas: Counter) -> None:
    for room_id, delta in deltas.items():
        if delta:
            db.execute(
                update(BreakoutRoom)
                .where(BreakoutRoom.id == room_id)
                .values(taken=BreakoutRoom.taken + delta)
            )


def _commit_assignments(db: DbSession) -> None:
    try:
        db.commit()
    except IntegrityError:
        db.rollback()
        raise Conflict(
            "assignment_changed", "someone changed these places at the same time; try again"
        ) from None
    db.expire_all()  # the counters were changed by UPDATE statements


def auto_assign(
    db: DbSession, user: User, round_id: int, user_ids: list[int], *, by: str | None = None
) -> AutoResult:
    """Spread the not-yet-placed people of `user_ids` over the rooms, within capacity.

    `by="language"` sends people to rooms in their preferred language (see languages.py);
    `by="country"` spreads each country's delegation across rooms; otherwise rooms fill evenly.
    People already placed keep their room; those who fit nowhere are returned in `unplaced`.
    """
    round_ = get_round(db, round_id)
    ensure_can_moderate(db, user, round_.session)
    if by not in balancing.BALANCE_BY:
        raise ServiceError("invalid_balance", "balance by language, by country, or leave it empty")
    _ensure_open(round_)
    for room in round_.rooms:
        db.refresh(room)
    placed = set(
        db.scalars(select(BreakoutAssignment.user_id).where(BreakoutAssignment.round_id == round_.id))
    )
    people = sorted(db.scalars(select(User).where(User.id.in_(set(user_ids) - placed))), key=lambda u: u.id)
    _ensure_participants(db, round_, [p.id for p in people])
    rooms = {room.id: room for room in round_.rooms}
    fills = [balancing.Room(r.id, r.position, r.taken, r.capacity, r.session.language) for r in round_.rooms]
    placement = balancing.place_people(fills, [balancing.Person(p.id, p.country) for p in people], by)
    taken_before = {fill.id: fill.taken for fill in fills}
    result = AutoResult(unplaced=placement.unplaced)
    for person_id, room_id in placement.places:
        db.add(
            BreakoutAssignment(
                round_id=round_.id, room_id=room_id, user_id=person_id, source=AssignmentSource.ASSIGNED.value
            )
        )
        result.changes.append(AssignmentChange(person_id, rooms[room_id]))
    for room_id, added in placement.added.items():
        # Conditional: a self-select that took the last places meanwhile makes this fail, not overfill.
        done = execute_dml(
            db,
            update(BreakoutRoom)
            .where(
                BreakoutRoom.id == room_id,
                BreakoutRoom.taken == taken_before[room_id],
            )
            .values(taken=BreakoutRoom.taken + added),
        )
        if done.rowcount != 1:
            db.rollback()
            raise Conflict("assignment_changed", "people chose rooms meanwhile; balance again")
    _commit_assignments(db)
    return result


# --- participants choosing and entering --------------------------------------------------------


def enter_breakout(
    db: DbSession, user: User, round_id: int, room_id: int | None = None
) -> tuple[BreakoutRound, BreakoutRoom]:
    """`breakout:join`: the room this person goes into now (their choice, or their assignment).

    Moderators drop into any room and leave no record. Participants follow the round's mode:
    a self-select into a full room is refused (`room_full`) and changes nothing.
    """
    round_ = get_round(db, round_id)
    _ensure_running(round_)
    moderator = can_moderate(db, user, round_.session)
    if moderator:
        if room_id is None:
            raise ServiceError("room_required", "choose the breakout room to drop into")
        return round_, get_room(db, round_, room_id)
    ensure_can_join(db, user, round_.session)
    current = assignment_of(db, round_.id, user.id)
    if room_id is None:
        if current is None:
            raise Conflict("not_assigned", "you have no breakout room yet; choose one")
        room_id = current.room_id
    room = get_room(db, round_, room_id)
    if current is not None and current.room_id == room.id:
        _mark_joined(db, current)
        return round_, room
    _ensure_may_choose(round_, current)
    if current is None:
        _take_place(db, room)
        db.add(
            BreakoutAssignment(
                round_id=round_.id,
                room_id=room.id,
                user_id=user.id,
                source=AssignmentSource.SELF.value,
                joined_at=utcnow(),
            )
        )
    else:
        previous_room_id = current.room_id  # the UPDATE below refreshes `current` in memory
        _take_place(db, room)
        moved = execute_dml(
            db,
            update(BreakoutAssignment)
            .where(
                BreakoutAssignment.id == current.id,
                BreakoutAssignment.room_id == previous_room_id,
            )
            .values(room_id=room.id, source=AssignmentSource.SELF.value, joined_at=utcnow()),
        )
        if moved.rowcount != 1:
            db.rollback()
            raise Conflict("assignment_changed", "your room was changed meanwhile; try again")
        _apply_deltas(db, Counter({previous_room_id: -1}))
    _commit_assignments(db)
    return round_, get_room(db, round_, room.id)


def _ensure_may_choose(round_: BreakoutRound, current: BreakoutAssignment | None) -> None:
    if round_.mode == RoundMode.ASSIGNED.value:
        if current is None:
            raise Forbidden("not_assigned", "the moderators assign the rooms in this round; wait for yours")
        raise Forbidden("assigned_elsewhere", "the moderators assigned you to another room")
    if (
        round_.mode == RoundMode.MIXED.value
        and current is not None
        and current.source == AssignmentSource.ASSIGNED.value
    ):
        raise Forbidden("assigned_elsewhere", "the moderators assigned you to another room")


def _take_place(db: DbSession, room: BreakoutRoom) -> None:
    """One place in `room`, or `room_full`: the row count of a conditional UPDATE decides."""
    taken = execute_dml(
        db,
        update(BreakoutRoom)
        .where(
            BreakoutRoom.id == room.id,
            (BreakoutRoom.capacity.is_(None)) | (BreakoutRoom.taken < BreakoutRoom.capacity),
        )
        .values(taken=BreakoutRoom.taken + 1),
    )
    if taken.rowcount != 1:
        db.rollback()
        raise Conflict("room_full", f"{room.session.title} is full; choose another room")


def _mark_joined(db: DbSession, assignment: BreakoutAssignment) -> None:
    if assignment.joined_at is None:
        db.execute(
            update(BreakoutAssignment)
            .where(
                BreakoutAssignment.id == assignment.id,
                BreakoutAssignment.joined_at.is_(None),
            )
            .values(joined_at=utcnow())
        )
        db.commit()
        db.refresh(assignment)


# --- running the round -------------------------------------------------------------------------


def start_round(db: DbSession, user: User, round_id: int, duration_s: int | None = None) -> BreakoutRound:
    round_ = get_round(db, round_id)
    ensure_can_moderate(db, user, round_.session)
    duration = duration_s if duration_s is not None else round_.duration_s
    _check_duration(duration)
    now = utcnow()
    started = execute_dml(
        db,
        update(BreakoutRound)
        .where(
            BreakoutRound.id == round_.id,
            BreakoutRound.status == RoundStatus.DRAFT.value,
        )
        .values(
            status=RoundStatus.RUNNING.value,
            started_at=now,
            ends_at=now + timedelta(seconds=duration),
            duration_s=duration,
            warned=duration <= WARNING_BEFORE_END_S,
        ),
    )
    db.commit()
    if started.rowcount != 1:
        round_ = get_round(db, round_id)
        if round_.status == RoundStatus.RUNNING.value:
            raise Conflict("already_running", "this breakout round is already running")
        raise Conflict("round_closed", "this breakout round is over")
    return get_round(db, round_id)


def extend_round(db: DbSession, user: User, round_id: int, seconds: int) -> BreakoutRound:
    """Push the end of a running round back by `seconds` (counted from now if it is already due)."""
    round_ = get_round(db, round_id)
    ensure_can_moderate(db, user, round_.session)
    if not 1 <= seconds <= MAX_DURATION_S:
        raise ServiceError("invalid_duration", "extend by 1 second to 4 hours")
    _ensure_running(round_)
    new_end = max(_running_end(round_), utcnow()) + timedelta(seconds=seconds)
    extended = execute_dml(
        db,
        update(BreakoutRound)
        .where(
            BreakoutRound.id == round_.id,
            BreakoutRound.status == RoundStatus.RUNNING.value,
            BreakoutRound.ends_at == round_.ends_at,
        )
        .values(ends_at=new_end, warned=(new_end - utcnow()).total_seconds() <= WARNING_BEFORE_END_S),
    )
    db.commit()
    if extended.rowcount != 1:
        raise Conflict("round_changed", "the round ended or was extended meanwhile; look again")
    return get_round(db, round_id)


def post_message(db: DbSession, user: User, round_id: int, text: str) -> BreakoutRound:
    round_ = get_round(db, round_id)
    ensure_can_moderate(db, user, round_.session)
    text = (text or "").strip()
    if not text:
        raise ServiceError("empty_message", "write a message first")
    if len(text) > 500:
        raise ServiceError("message_too_long", "a message has at most 500 characters")
    _ensure_running(round_)
    round_.last_message, round_.last_message_at = text, utcnow()
    db.commit()
    return round_


def recall_round(db: DbSession, user: User | None, round_id: int, *, by: str = "moderator") -> BreakoutRound:
    """End the round (a draft is simply dropped); its assignments stay as the record."""
    round_ = get_round(db, round_id)
    if by == "moderator":
        ensure_can_moderate(db, user, round_.session)
    conditions = [BreakoutRound.id == round_.id, BreakoutRound.status.in_(OPEN_STATUSES)]
    if by == "timer":
        conditions += [BreakoutRound.status == RoundStatus.RUNNING.value, BreakoutRound.ends_at <= utcnow()]
    recalled = execute_dml(
        db,
        update(BreakoutRound)
        .where(*conditions)
        .values(
            status=RoundStatus.RECALLED.value,
            recalled_at=utcnow(),
            recalled_by=by,
            open_session_id=None,
        ),
    )
    db.commit()
    if recalled.rowcount != 1:
        raise Conflict("round_closed", "this breakout round is already over")
    return get_round(db, round_id)


def timer_tick(db: DbSession, round_id: int, now: datetime | None = None) -> TimerTick:
    """What the countdown does now: warn once a minute before the end, recall at the end."""
    now = now or utcnow()
    round_ = get_round(db, round_id)
    if round_.status != RoundStatus.RUNNING.value:
        return TimerTick("stop", round_)
    remaining = int((_running_end(round_) - now).total_seconds() + 0.999)
    if remaining <= 0:
        recalled = execute_dml(
            db,
            update(BreakoutRound)
            .where(
                BreakoutRound.id == round_.id,
                BreakoutRound.status == RoundStatus.RUNNING.value,
                BreakoutRound.ends_at <= now,
            )
            .values(
                status=RoundStatus.RECALLED.value, recalled_at=now, recalled_by="timer", open_session_id=None
            ),
        )
        db.commit()
        if recalled.rowcount == 1:
            return TimerTick("recalled", get_round(db, round_id))
        return (
            timer_tick(db, round_id, now)
            if _running_end(get_round(db, round_id)) > now
            else TimerTick("stop", round_)
        )
    if remaining <= WARNING_BEFORE_END_S and not round_.warned:
        warned = execute_dml(
            db,
            update(BreakoutRound)
            .where(
                BreakoutRound.id == round_.id,
                BreakoutRound.status == RoundStatus.RUNNING.value,
                BreakoutRound.warned.is_(False),
            )
            .values(warned=True),
        )
        db.commit()
        if warned.rowcount == 1:
            return TimerTick("warning", get_round(db, round_id), remaining)
    return TimerTick("countdown", round_, remaining)


def call_moderator(db: DbSession, user: User, session_id: int, message: str = "") -> dict:
    """A participant inside a breakout asks for help; throttled to one call per 30 seconds."""
    message = (message or "").strip()
    if len(message) > 300:
        raise ServiceError("message_too_long", "a call has at most 300 characters")
    breakout = get_live_session(db, session_id)
    if breakout.kind != SessionKind.BREAKOUT.value or breakout.parent_id is None:
        raise ServiceError("not_a_breakout", "call a moderator from inside a breakout room")
    round_ = open_round(db, breakout.parent_id)
    if round_ is None or round_.status != RoundStatus.RUNNING.value:
        raise Conflict("round_not_running", "no breakout round is running")
    room = next((r for r in round_.rooms if r.session_id == breakout.id), None)
    assignment = assignment_of(db, round_.id, user.id)
    if room is None or assignment is None or assignment.room_id != room.id:
        raise Forbidden("not_in_breakout", "only the people in this breakout can call a moderator from it")
    now = utcnow()
    called = execute_dml(
        db,
        update(BreakoutAssignment)
        .where(
            BreakoutAssignment.id == assignment.id,
            BreakoutAssignment.last_alert_at.is_(None)
            | (BreakoutAssignment.last_alert_at <= now - timedelta(seconds=ALERT_INTERVAL_S)),
        )
        .values(last_alert_at=now),
    )
    db.commit()
    if called.rowcount != 1:
        raise ServiceError("too_soon", "a moderator has been called; please wait a little", status=429)
    return {
        "round_id": round_.id,
        "main_session_id": round_.session_id,
        "room": {"id": room.id, "session_id": breakout.id, "name": breakout.title},
        "user": {"id": user.id, "name": user.name, "country": user.country},
        "message": message,
        "at": isoformat_utc(now),
    }


def balance_candidates(db: DbSession, round_: BreakoutRound, among: str = "registered") -> list[int]:
    """Whom auto-balance places: the event's confirmed attendees, or those in the main room now."""
    if among == "present":
        from ..presence import online_user_ids  # the live rooms' public presence API

        present = online_user_ids(db, round_.session_id)
        candidates = (
            list(db.scalars(select(User.id).where(User.id.in_(present), User.role == "attendee")))
            if present
            else []
        )
    elif among == "registered":
        candidates = list(
            db.scalars(
                select(Registration.user_id)
                .join(User, User.id == Registration.user_id)
                .where(
                    Registration.event_id == round_.session.event_id,
                    Registration.status == "confirmed",
                    User.role == "attendee",
                )
            )
        )
    else:
        raise ServiceError("invalid_balance", "balance the people present or all registered people")
    # The people who run the event (moderators, organisers, staff) are not placed in rooms.
    team = user_ids_with_grant(db, round_.session.event_id)
    return [uid for uid in candidates if uid not in team]


# --- what clients see --------------------------------------------------------------------------


def round_json(round_: BreakoutRound, now: datetime | None = None) -> dict:
    now = now or utcnow()
    remaining = None
    if round_.status == RoundStatus.RUNNING.value and round_.ends_at is not None:
        remaining = _remaining_s(round_.ends_at, now)
    return {
        "id": round_.id,
        "session_id": round_.session_id,
        "status": round_.status,
        "mode": round_.mode,
        "duration_s": round_.duration_s,
        "started_at": isoformat_utc(round_.started_at),
        "ends_at": isoformat_utc(round_.ends_at),
        "remaining_s": remaining,
        "recalled_at": isoformat_utc(round_.recalled_at),
        "recalled_by": round_.recalled_by,
        "message": (
            {"text": round_.last_message, "at": isoformat_utc(round_.last_message_at)}
            if round_.last_message and round_.last_message_at
            else None
        ),
    }


def _remaining_s(ends_at: datetime, now: datetime) -> int:
    return max(0, int((ends_at - now).total_seconds() + 0.999))


def room_json(room: BreakoutRoom, joined: int = 0) -> dict:
    return {
        "id": room.id,
        "session_id": room.session_id,
        "name": room.session.title,
        "language": room.session.language,
        "capacity": room.capacity,
        "taken": room.taken,
        "joined": joined,
        "full": room.capacity is not None and room.taken >= room.capacity,
    }


def rooms_json(db: DbSession, round_: BreakoutRound) -> list[dict]:
    joined = dict(
        db.execute(
            select(BreakoutAssignment.room_id, func.count(BreakoutAssignment.joined_at))
            .where(BreakoutAssignment.round_id == round_.id)
            .group_by(BreakoutAssignment.room_id)
        ).all()
    )
    return [room_json(room, joined.get(room.id, 0)) for room in _rooms_read_now(db, round_)]


def _rooms_read_now(db: DbSession, round_: BreakoutRound) -> list[BreakoutRoom]:
    """The round's rooms with their sessions, read from the database now (one query)."""
    return list(
        db.scalars(
            select(BreakoutRoom)
            .where(BreakoutRoom.round_id == round_.id)
            .options(joinedload(BreakoutRoom.session))
            .order_by(BreakoutRoom.position)
            .execution_options(populate_existing=True)
        )
    )


def assignment_json(assignment: BreakoutAssignment | None) -> dict | None:
    if assignment is None:
        return None
    return {
        "round_id": assignment.round_id,
        "room_id": assignment.room_id,
        "session_id": assignment.room.session_id,
        "name": assignment.room.session.title,
        "source": assignment.source,
        "joined_at": isoformat_utc(assignment.joined_at),
    }


def round_record(db: DbSession, round_: BreakoutRound) -> list[dict]:
    """Who was placed in which room, and who really went (joined_at), room by room."""
    rows = db.execute(
        select(BreakoutAssignment, User)
        .join(User, User.id == BreakoutAssignment.user_id)
        .where(BreakoutAssignment.round_id == round_.id)
        .order_by(User.name, User.id)
    ).all()
    members: dict[int, list[dict]] = defaultdict(list)
    for assignment, person in rows:
        members[assignment.room_id].append(
            {
                "user_id": person.id,
                "name": person.name,
                "email": person.email,
                "country": person.country,
                "organisation": person.organisation,
                "source": assignment.source,
                "joined_at": isoformat_utc(assignment.joined_at),
            }
        )
    return [
        {
            "room_id": room.id,
            "session_id": room.session_id,
            "name": room.session.title,
            "language": room.session.language,
            "members": members.get(room.id, []),
        }
        for room in _rooms_read_now(db, round_)
    ]


def join_state(db: DbSession, user: User, session: ProgrammeSession) -> dict:
    """The `breakouts` part of the `join` state, for a main session or one of its breakouts."""
    joiner = Joiner(user, can_moderate(db, user, session))
    return join_state_personal(db, joiner, session, join_state_shared(db, session))


def join_state_rooms(session: ProgrammeSession) -> list[str]:
    """A breakout room's shared state follows its main session's round: counts and drafts are
    broadcast to the main room and its moderators."""
    if session.parent_id is None:
        return []
    return [room_name(session.parent_id), moderators_room(session.parent_id)]


def join_state_shared(db: DbSession, session: ProgrammeSession) -> dict:
    """The round everyone in the room sees (its rooms and their counts), in a few queries."""
    main = main_session_of(session)
    # A draft is shown too: participants learn their room before the start (their page shows the
    # round only while it runs), so they can be moved in the moment it opens.
    round_ = open_round(db, main.id) or latest_round(db, main.id)
    state: dict[str, Any] = {
        "main_session_id": main.id,
        "in_breakout": session.id if session.id != main.id else None,
        "round": None,
        "rooms": [],
        "ends_at": None,
        "_round": None,  # (id, ends_at), never sent: for each joiner's own part
    }
    if round_ is None:
        return {"breakouts": state}
    db.refresh(round_)  # a round this database session loaded before may have moved on since
    state.update(
        round=round_json(round_),
        rooms=rooms_json(db, round_),
        ends_at=isoformat_utc(round_.ends_at),
        _round=(round_.id, round_.ends_at),
    )
    return {"breakouts": state}


def join_state_personal(db: DbSession, joiner: Joiner, session: ProgrammeSession, shared: dict) -> dict:
    """Your own room in the round, the seconds left counted now, and a moderator's record."""
    state = dict(shared["breakouts"])
    round_ref = state.pop("_round")
    state["my_assignment"] = None
    if round_ref is None:
        return {"breakouts": state}
    round_id, ends_at = round_ref
    if state["round"]["remaining_s"] is not None and ends_at is not None:
        state["round"] = {**state["round"], "remaining_s": _remaining_s(ends_at, utcnow())}
    assignment = db.scalar(
        select(BreakoutAssignment)
        .where(BreakoutAssignment.round_id == round_id, BreakoutAssignment.user_id == joiner.user.id)
        .options(joinedload(BreakoutAssignment.room).joinedload(BreakoutRoom.session))
    )
    state["my_assignment"] = assignment_json(assignment)
    main = main_session_of(session)
    if joiner.moderator if main.id == session.id else can_moderate(db, joiner.user, main):
        state["record"] = round_record(db, get_round(db, round_id))
    return {"breakouts": state}


def record_rows(db: DbSession, round_: BreakoutRound) -> list[dict]:
    """Flat rows for the CSV export of a round's record."""
    rows = []
    for room in round_record(db, round_):
        for member in room["members"]:
            rows.append({"round_id": round_.id, "room": room["name"], "language": room["language"], **member})
    return rows
