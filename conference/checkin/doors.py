"""Organisers set up an event's doors: check-in lists (create, change, remove) and check-in staff.

Rules: a day list names a day within the event, a session list one of the event's sessions; a list
with any check-in, movement or scan keeps its records, so it cannot be removed nor moved to another
scope, day or session; its capacity cannot drop below the number of people inside now (a
conditional UPDATE decides, so a scan arriving at the same moment cannot slip past).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, exists, func, select, update
from sqlalchemy.exc import IntegrityError

from ..accounts.models import User
from ..accounts.services import find_user_by_email
from ..db_session import DbSession, execute_dml
from ..errors import Conflict, NotFound, ServiceError
from ..grants.models import EventGrant
from ..grants.services import grant, revoke
from ..programme.models import Event, ProgrammeSession
from ..wire import isoformat_utc
from .lists import get_list, lists_of
from .models import Checkin, CheckinList, CheckinMovement, ScanRecord
from .schemas import CheckinListIn


def _in_use(list_id: int):
    """True when the list holds any record: a first entry, a movement, or a logged scan."""
    return (
        exists().where(Checkin.list_id == list_id)
        | exists().where(CheckinMovement.list_id == list_id)
        | exists().where(ScanRecord.list_id == list_id)
    )


def _lock(db: DbSession, list_id: int) -> None:
    """Take the list row's write lock before deciding. A scan locks the same row first, so on
    PostgreSQL the next statement sees every scan committed before us, and no scan slips in after
    (SQLite serialises writers by itself)."""
    db.execute(
        update(CheckinList)
        .where(CheckinList.id == list_id)
        .values(inside_count=CheckinList.inside_count)
        .execution_options(synchronize_session=False)
    )


def is_in_use(db: DbSession, checkin_list: CheckinList) -> bool:
    return bool(db.scalar(select(_in_use(checkin_list.id))))


def event_list(db: DbSession, event: Event, list_id: int) -> CheckinList:
    checkin_list = get_list(db, list_id)
    if checkin_list.event_id != event.id:
        raise NotFound("list_not_found", f"there is no check-in list {list_id} in this event")
    return checkin_list


def _local_to_utc(moment: datetime | None, event: Event) -> datetime | None:
    """A time organisers typed is in the event's zone; an instant with a zone stays that instant."""
    if moment is None:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=event.tz)
    return moment.astimezone(event.starts_at.tzinfo)


def _resolve(db: DbSession, event: Event, data: CheckinListIn) -> dict:
    """The list's columns from a validated payload, after the checks that need the event."""
    session = None
    if data.scope == "day":
        if data.day is None:
            raise ServiceError("day_required", "a day list needs its day", field="day")
        first, last = event.starts_at.astimezone(event.tz).date(), event.ends_at.astimezone(event.tz).date()
        if not first <= data.day <= last:
            raise ServiceError(
                "day_outside_event",
                f"choose a day of the event, from {first.isoformat()} to {last.isoformat()}",
                field="day",
                first_day=first.isoformat(),
                last_day=last.isoformat(),
            )
    if data.scope == "session":
        if data.session_id is None:
            raise ServiceError("session_required", "a session list needs its session", field="session_id")
        session = db.get(ProgrammeSession, data.session_id)
        if session is None or session.event_id != event.id:
            raise ServiceError("session_not_in_event", "choose a session of this event", field="session_id")
    return {
        "name": data.name,
        "scope": data.scope,
        "day": data.day,
        "session_id": session.id if session else None,
        "capacity": data.capacity,
        "allow_reentry": data.allow_reentry,
        "admits_online": data.admits_online,
        "admits_after_end": data.admits_after_end,
        "auto_checkout_at": _local_to_utc(data.auto_checkout_at, event),
    }


def _name_taken(name: str) -> Conflict:
    return Conflict("name_taken", f"this event already has a list called “{name}”", field="name", name=name)


def create_list(db: DbSession, event: Event, data: CheckinListIn) -> CheckinList:
    values = _resolve(db, event, data)
    checkin_list = CheckinList(event_id=event.id, inside_count=0, **values)
    db.add(checkin_list)
    try:
        db.commit()
    except IntegrityError:
        db.rollback()
        raise _name_taken(data.name) from None
    return checkin_list


def update_list(db: DbSession, event: Event, checkin_list: CheckinList, data: CheckinListIn) -> CheckinList:
    """Change a list. Its scope, day or session stay put once it holds records; its capacity never
    drops below the people inside now."""
    values = _resolve(db, event, data)
    _lock(db, checkin_list.id)
    moved = (values["scope"], values["day"], values["session_id"]) != (
        checkin_list.scope,
        checkin_list.day,
        checkin_list.session_id,
    )
    if moved and is_in_use(db, checkin_list):
        db.rollback()
        raise Conflict(
            "list_in_use",
            "people were already checked in on this list: its scope, day and session "
            "can no longer change (create another list instead)",
            field="scope",
        )
    capacity = values.pop("capacity")
    if capacity != checkin_list.capacity and capacity is not None:
        fitted = execute_dml(
            db,
            update(CheckinList)
            .where(CheckinList.id == checkin_list.id, CheckinList.inside_count <= capacity)
            .values(capacity=capacity)
            .execution_options(synchronize_session=False),
        )
        if fitted.rowcount != 1:
            db.rollback()
            inside = db.scalar(select(CheckinList.inside_count).where(CheckinList.id == checkin_list.id))
            raise Conflict(
                "capacity_below_inside",
                f"{inside} people are inside now: the capacity cannot be lower than that",
                field="capacity",
                inside_now=inside,
            )
    if values["auto_checkout_at"] != checkin_list.auto_checkout_at:
        checkin_list.auto_checked_out_at = None  # a new time: the automatic check-out runs again then
    for name, value in values.items():
        setattr(checkin_list, name, value)
    checkin_list.capacity = capacity
    try:
        db.commit()
    except IntegrityError:
        db.rollback()
        raise _name_taken(data.name) from None
    return checkin_list


def delete_list(db: DbSession, event: Event, checkin_list: CheckinList) -> None:
    """Remove a list nobody was ever scanned on; one with records is refused so none is lost."""
    _lock(db, checkin_list.id)
    removed = execute_dml(
        db,
        delete(CheckinList)
        .where(CheckinList.id == checkin_list.id, ~_in_use(checkin_list.id))
        .execution_options(synchronize_session=False),
    )
    if removed.rowcount != 1:
        db.rollback()
        raise Conflict(
            "list_in_use",
            f"people were already scanned on “{checkin_list.name}”: it keeps its "
            "records and cannot be removed",
        )
    db.commit()
    db.expunge(checkin_list)


def usage(db: DbSession, event: Event) -> dict[int, dict]:
    """Per list: people checked in (first entries) and inside now, and whether it holds records."""
    checked = dict(
        db.execute(
            select(Checkin.list_id, func.count(Checkin.id))
            .join(CheckinList, CheckinList.id == Checkin.list_id)
            .where(CheckinList.event_id == event.id)
            .group_by(Checkin.list_id)
        ).all()
    )
    result = {}
    for checkin_list in lists_of(db, event.id):
        result[checkin_list.id] = {
            "checked_in": checked.get(checkin_list.id, 0),
            "inside_now": checkin_list.inside_count,
            "in_use": is_in_use(db, checkin_list),
        }
    return result


# --- staff ------------------------------------------------------------------------------------------


def staff_of(db: DbSession, event: Event) -> list[EventGrant]:
    rows = db.scalars(select(EventGrant).where(EventGrant.event_id == event.id, EventGrant.role == "staff"))
    return sorted(rows, key=lambda g: (g.user.name.lower(), g.id))


def add_staff(db: DbSession, event: Event, email: str, granted_by: User | None) -> EventGrant:
    """Make the account with this e-mail check-in staff of the event (idempotent)."""
    user = find_user_by_email(db, email)
    if user is None:
        raise NotFound(
            "user_not_found", "no account uses this e-mail; ask the person to sign up first", field="email"
        )
    return grant(db, event, user, "staff", granted_by=granted_by)


def remove_staff(db: DbSession, event: Event, grant_id: int) -> None:
    row = db.get(EventGrant, grant_id)
    if row is None or row.event_id != event.id or row.role != "staff":
        raise NotFound("grant_not_found", "no such check-in staff grant at this event")
    revoke(db, event, grant_id)


def list_json(checkin_list: CheckinList, event: Event, numbers: dict | None = None) -> dict:
    auto = checkin_list.auto_checkout_at
    body = {
        "id": checkin_list.id,
        "event_id": checkin_list.event_id,
        "name": checkin_list.name,
        "scope": checkin_list.scope,
        "day": checkin_list.day.isoformat() if checkin_list.day else None,
        "session_id": checkin_list.session_id,
        "capacity": checkin_list.capacity,
        "allow_reentry": checkin_list.allow_reentry,
        "admits_online": checkin_list.admits_online,
        "admits_after_end": checkin_list.admits_after_end,
        "auto_checkout_at": isoformat_utc(auto),
        "auto_checkout_local": auto.astimezone(event.tz).strftime("%Y-%m-%dT%H:%M") if auto else None,
        "inside_now": checkin_list.inside_count,
    }
    if numbers is not None:
        body.update(checked_in=numbers["checked_in"], in_use=numbers["in_use"])
    return body
