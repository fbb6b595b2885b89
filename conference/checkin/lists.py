"""Check-in lists: finding and creating them, the default set of an event, and door lists that follow
their session when it moves."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from ..db_session import DbSession
from ..db_types import MAX_DB_ID, utcnow
from ..errors import Conflict, NotFound, ServiceError
from ..programme.models import Event, ProgrammeSession
from ..wire import isoformat_utc
from .models import CheckinList

SESSION_CHECKOUT_DELAY = timedelta(minutes=30)  # the default door list empties 30 min after the session


def get_list(db: DbSession, list_id: int) -> CheckinList:
    checkin_list = db.get(CheckinList, list_id) if 0 < list_id <= MAX_DB_ID else None
    if checkin_list is None:
        raise NotFound("list_not_found", f"there is no check-in list {list_id}")
    return checkin_list


def lists_of(db: DbSession, event_id: int) -> list[CheckinList]:
    order = {"event": 0, "day": 1, "session": 2}
    lists = list(
        db.scalars(select(CheckinList).where(CheckinList.event_id == event_id).order_by(CheckinList.id))
    )
    return sorted(lists, key=lambda c: (order.get(c.scope, 3), c.day or date.min, c.id))


def ensure_list(
    db: DbSession,
    event: Event,
    name: str,
    *,
    scope: str = "event",
    day: date | None = None,
    session: ProgrammeSession | None = None,
    admits_online: bool = False,
    allow_reentry: bool = True,
    auto_checkout_at: datetime | None = None,
    capacity: int | None = None,
) -> CheckinList:
    """Find a list by (event, name) or create it: loading lists twice creates nothing."""
    existing = db.scalar(
        select(CheckinList).where(CheckinList.event_id == event.id, CheckinList.name == name)
    )
    if existing is not None:
        return existing
    if scope not in ("event", "day", "session"):
        raise ServiceError("invalid_scope", "scope must be event, day or session")
    checkin_list = CheckinList(
        event_id=event.id,
        name=name,
        scope=scope,
        day=day,
        session_id=session.id if session else None,
        admits_online=admits_online,
        allow_reentry=allow_reentry,
        auto_checkout_at=auto_checkout_at,
        capacity=capacity,
        inside_count=0,
    )
    db.add(checkin_list)
    try:
        db.commit()
    except IntegrityError:
        db.rollback()
        return db.scalars(
            select(CheckinList).where(CheckinList.event_id == event.id, CheckinList.name == name)
        ).one()
    return checkin_list


def ensure_default_lists(db: DbSession, event: Event) -> list[CheckinList]:
    """The entrance, one list per day (checked out at 22:00 local) and one per session door
    (the room's capacity; everyone out 30 minutes after the session ends)."""
    tz = event.tz
    ensure_list(db, event, "Entrance", scope="event", allow_reentry=True)
    first_day = event.starts_at.astimezone(tz).date()
    last_day = event.ends_at.astimezone(tz).date()
    for offset in range((last_day - first_day).days + 1):
        day = first_day + timedelta(days=offset)
        closing = datetime.combine(day, time(22, 0), tzinfo=tz).astimezone(event.starts_at.tzinfo)
        ensure_list(
            db,
            event,
            f"Day {offset + 1} ({day.isoformat()})",
            scope="day",
            day=day,
            allow_reentry=True,
            auto_checkout_at=closing,
        )
    sessions = db.scalars(
        select(ProgrammeSession)
        .where(ProgrammeSession.event_id == event.id)
        .order_by(ProgrammeSession.starts_at, ProgrammeSession.id)
    )
    for session in sessions:
        ensure_list(
            db,
            event,
            session_door_name(session),
            scope="session",
            session=session,
            allow_reentry=True,
            capacity=session.capacity,
            auto_checkout_at=session.ends_at + SESSION_CHECKOUT_DELAY,
        )
    return lists_of(db, event.id)


def list_as_dict(checkin_list: CheckinList) -> dict:
    return {
        "id": checkin_list.id,
        "event_id": checkin_list.event_id,
        "name": checkin_list.name,
        "scope": checkin_list.scope,
        "day": checkin_list.day.isoformat() if checkin_list.day else None,
        "session_id": checkin_list.session_id,
        "admits_online": checkin_list.admits_online,
        "allow_reentry": checkin_list.allow_reentry,
        "admits_after_end": checkin_list.admits_after_end,
        # a session's door stops admitting then (the offline scanner decides it alone too)
        "session_ends_at": isoformat_utc(checkin_list.session.ends_at) if checkin_list.session else None,
        "auto_checkout_at": isoformat_utc(checkin_list.auto_checkout_at),
        "capacity": checkin_list.capacity,
    }


# --- a session moved --------------------------------------------------------------------------------


def session_door_name(session: ProgrammeSession) -> str:
    return f"Door: {session.title[:150]} #{session.id}"


def follow_session(
    db: DbSession, session: ProgrammeSession, changes: dict | None = None, now: datetime | None = None
) -> list[CheckinList]:
    """The session's door lists (scope 'session') follow a moved or changed session, and commit.

    - the name follows the title when it is still the generated "Door: <title> #<id>";
    - `auto_checkout_at` moves with the end (by as much as the end moved, so an organiser's own
      delay is kept; to end + 30 min when the old end is unknown); a list with no automatic
      check-out keeps none. When the new check-out time is still ahead, `auto_checked_out_at` is
      cleared so the check-out runs again then (people it sent out stay out until scanned again);
    - the capacity follows the session's when the door had the session's old capacity, so a door an
      organiser sized differently keeps its size.
    `changes` is the `hooks.session_changed` mapping {field: (old, new)}.
    """
    changes = changes or {}
    now = now or utcnow()
    lists = list(
        db.scalars(
            select(CheckinList)
            .where(CheckinList.session_id == session.id, CheckinList.scope == "session")
            .order_by(CheckinList.id)
        )
    )
    for checkin_list in lists:
        if checkin_list.name.startswith("Door: ") and checkin_list.name.endswith(f" #{session.id}"):
            checkin_list.name = session_door_name(session)
        if checkin_list.auto_checkout_at is not None:
            old_end = changes.get("ends_at", (None, None))[0]
            if old_end is not None:
                checkin_list.auto_checkout_at = checkin_list.auto_checkout_at + (session.ends_at - old_end)
            else:
                checkin_list.auto_checkout_at = session.ends_at + SESSION_CHECKOUT_DELAY
            if checkin_list.auto_checkout_at > now:
                checkin_list.auto_checked_out_at = None
        if "capacity" in changes:
            old_capacity = changes["capacity"][0]
            if checkin_list.capacity == old_capacity:
                checkin_list.capacity = session.capacity
    try:
        db.commit()
    except IntegrityError as exc:
        db.rollback()
        raise Conflict(
            "door_name_taken", "another check-in list of this event already has this door's new name"
        ) from exc
    return lists
