"""Registration rules, and the organisers' bulk import of a participant list."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import ColumnElement, Table, exists, func, select, update
from sqlalchemy.exc import IntegrityError

from ..accounts.models import User
from ..db_session import DbSession
from ..db_types import utcnow
from ..errors import Conflict, ServiceError
from ..hooks import registration_changed
from ..programme.models import Event
from .models import MODE_LABELS, MODES, Mode, Registration, Status


def validate_mode(mode: str) -> str:
    if mode not in MODES:
        raise ServiceError("invalid_mode", "mode must be in_person or online")
    return mode


def _now():
    return utcnow()


def _lock_places(db: DbSession, event_id: int) -> tuple[int | None, int | None]:
    """Serialise every decision about one event's places until this transaction ends.

    A write to the event's row does it on both databases: PostgreSQL locks the row until commit and
    SQLite takes its single write lock (SQLite ignores SELECT ... FOR UPDATE, so that cannot be used).
    Returns the capacities as they are now, read after the lock (in person, online).
    """
    db.execute(
        update(cast(Table, Event.__table__))  # a declarative __table__ is a Table, typed FromClause
        .where(Event.__table__.c.id == event_id)
        .values(in_person_capacity=Event.__table__.c.in_person_capacity)
    )
    row = db.execute(
        select(Event.in_person_capacity, Event.online_capacity).where(Event.id == event_id)
    ).one()
    return row[0], row[1]


def _confirmed(db: DbSession, event_id: int, mode: str, *, besides: int | None = None) -> int:
    query = (
        select(func.count())
        .select_from(Registration)
        .where(
            Registration.event_id == event_id,
            Registration.mode == mode,
            Registration.status == Status.CONFIRMED.value,
        )
    )
    if besides is not None:
        query = query.where(Registration.id != besides)
    return db.scalar(query) or 0


def _set_status(db: DbSession, registration: Registration, status: str, *, notify: bool = True) -> None:
    """Change the status and tell the receivers of `registration_changed` inside this transaction.

    `notify=False` when organisers put the person in (an import, "add one"): they choose whether and
    when that person hears of it (the invitation), so no confirmation goes out on its own.
    """
    registration.status = status
    registration.status_changed_at = _now()
    db.flush()
    registration_changed.send(registration, db=db, change=status, notify=notify)


def window_problem(event: Event) -> ServiceError | None:
    """Why people cannot register themselves right now (the window is not open), or None."""
    now = _now()
    if event.registration_opens_at is not None and now < event.registration_opens_at:
        return ServiceError("registration_not_open", "registration for this event has not opened yet")
    if event.registration_closes_at is not None and now >= event.registration_closes_at:
        return ServiceError("registration_closed", "registration for this event is closed")
    return None


def _check_open(event: Event, mode: str) -> None:
    problem = window_problem(event)
    if problem is not None:
        raise problem
    _check_mode_offered(event, mode)


def _check_mode_offered(event: Event, mode: str) -> None:
    if event.modes_offered not in ("both", mode):
        offered = MODE_LABELS.get(event.modes_offered, event.modes_offered).lower()
        raise ServiceError(
            "mode_not_offered", f"this event takes part {offered} only", offered=event.modes_offered
        )


def _admit(
    db: DbSession,
    event_id: int,
    registration: Registration,
    capacities,
    *,
    approved: bool,
    requires_approval: bool,
) -> str:
    """The status a (re)registration gets, under the places lock: pending, confirmed or waitlisted."""
    in_person_capacity, online_capacity = capacities
    if requires_approval and not approved:
        return Status.PENDING.value
    if registration.mode == Mode.ONLINE.value:
        if (
            online_capacity is not None
            and _confirmed(db, event_id, "online", besides=registration.id) >= online_capacity
        ):
            raise Conflict("online_full", f"the {online_capacity} online places are taken")
        return Status.CONFIRMED.value
    _promote(db, event_id, in_person_capacity)  # nobody jumps the queue when places were added meanwhile
    if (
        in_person_capacity is not None
        and _confirmed(db, event_id, "in_person", besides=registration.id) >= in_person_capacity
    ):
        return Status.WAITLISTED.value
    return Status.CONFIRMED.value


def _promote(db: DbSession, event_id: int, in_person_capacity: int | None) -> list[Registration]:
    """Give free in-person places to the waiting list, first come first served (under the lock)."""
    free = None if in_person_capacity is None else in_person_capacity - _confirmed(db, event_id, "in_person")
    if free is not None and free <= 0:
        return []
    query = (
        select(Registration)
        .where(Registration.event_id == event_id, Registration.status == Status.WAITLISTED.value)
        .order_by(Registration.status_changed_at, Registration.id)
    )
    if free is not None:
        query = query.limit(free)
    promoted = list(db.scalars(query))
    for registration in promoted:
        registration.mode = Mode.IN_PERSON.value
        _set_status(db, registration, Status.CONFIRMED.value)
    return promoted


def _commit(db: DbSession) -> None:
    try:
        db.commit()
    except IntegrityError:
        db.rollback()
        raise Conflict(
            "registration_conflict", "someone changed this registration at the same time; try again"
        ) from None


def register(
    db: DbSession,
    user: User,
    event: Event,
    mode: str,
    answers: dict | None = None,
    *,
    by_organiser: bool = False,
    invite: bool = False,
) -> Registration:
    """Register a user (or again after a cancellation) under the event's rules; a live one raises Conflict.

    People registering themselves must be inside the registration window, in a mode the event offers,
    and wait for approval when the event asks for it. Organisers adding someone skip those three.
    In person beyond the capacity goes to the waiting list; online beyond its capacity is refused.
    With `invite` (organisers), a confirmed person's invitation e-mail is queued in the same transaction.
    """
    validate_mode(mode)
    if not by_organiser:
        _check_open(event, mode)
    capacities = _lock_places(db, event.id)
    registration = find_registration(db, user.id, event.id)
    if registration is not None:
        if registration.status in (Status.CONFIRMED.value, Status.PENDING.value, Status.WAITLISTED.value):
            db.rollback()
            raise Conflict(
                "already_registered",
                f"{user.email} is already registered for {event.title}",
                registration_status=registration.status,
            )
        if registration.status == Status.DECLINED.value and not by_organiser:
            db.rollback()
            raise Conflict("registration_declined", "the organisers declined this registration")
        registration.mode = mode
    else:
        registration = Registration(user_id=user.id, event_id=event.id, mode=mode, answers={})
        db.add(registration)
        try:
            db.flush()
        except IntegrityError:  # registered from another tab at the same instant
            db.rollback()
            raise Conflict(
                "already_registered", f"{user.email} is already registered for {event.title}"
            ) from None
    if answers is not None:
        registration.answers = dict(answers)
    try:
        status = _admit(
            db,
            event.id,
            registration,
            capacities,
            approved=by_organiser,
            requires_approval=event.requires_approval,
        )
    except ServiceError:
        db.rollback()
        raise
    _set_status(db, registration, status, notify=not by_organiser)
    if invite and status == Status.CONFIRMED.value:
        from .mailings import queue_invitation

        queue_invitation(db, registration)
    _commit(db)
    return registration


def find_registration(db: DbSession, user_id: int, event_id: int) -> Registration | None:
    return db.scalar(
        select(Registration).where(Registration.user_id == user_id, Registration.event_id == event_id)
    )


def cancel_registration(db: DbSession, registration: Registration) -> Registration:
    """Cancel; an in-person place it held goes to the first person on the waiting list."""
    capacities = _lock_places(db, registration.event_id)
    db.refresh(registration)
    if registration.status != Status.CANCELLED.value:
        _set_status(db, registration, Status.CANCELLED.value)
        _promote(db, registration.event_id, capacities[0])
    _commit(db)
    return registration


def change_mode(
    db: DbSession, registration: Registration, mode: str, *, by_organiser: bool = False
) -> Registration:
    """Switch between in person and online, keeping the place rules.

    A confirmed participant moving in person needs a free place (no one is pushed to the waiting
    list from a place they hold); one moving online frees a place for the waiting list. Someone on
    the waiting list who moves online is confirmed online if there is room.
    """
    validate_mode(mode)
    if registration.mode == mode:
        return registration
    event = registration.event
    if not by_organiser:
        _check_mode_offered(event, mode)
    capacities = _lock_places(db, registration.event_id)
    db.refresh(registration)
    if registration.mode == mode:
        db.rollback()
        return registration
    in_person_capacity, online_capacity = capacities
    if registration.status == Status.CONFIRMED.value:
        if mode == Mode.IN_PERSON.value:
            _promote(db, registration.event_id, in_person_capacity)
            if (
                in_person_capacity is not None
                and _confirmed(db, registration.event_id, "in_person") >= in_person_capacity
            ):
                db.rollback()
                raise Conflict("in_person_full", f"the {in_person_capacity} in-person places are taken")
        elif (
            online_capacity is not None and _confirmed(db, registration.event_id, "online") >= online_capacity
        ):
            db.rollback()
            raise Conflict("online_full", f"the {online_capacity} online places are taken")
        registration.mode = mode
        db.flush()
        _promote(db, registration.event_id, in_person_capacity)
    elif registration.status == Status.WAITLISTED.value:
        registration.mode = mode
        try:
            status = _admit(
                db, registration.event_id, registration, capacities, approved=True, requires_approval=False
            )
        except ServiceError:
            db.rollback()
            raise
        _set_status(db, registration, status)
    else:
        registration.mode = mode
    _commit(db)
    return registration


def update_answers(db: DbSession, registration: Registration, answers: dict) -> Registration:
    """Replace the answers to the event's form (already checked by fields.clean_answers)."""
    registration.answers = dict(answers)
    db.commit()
    return registration


def approve(db: DbSession, registration: Registration) -> Registration:
    """An organiser accepts a pending registration: confirmed, or waitlisted when in person is full."""
    capacities = _lock_places(db, registration.event_id)
    db.refresh(registration)
    if registration.status != Status.PENDING.value:
        db.rollback()
        raise Conflict("not_pending", "only a pending registration can be approved")
    try:
        status = _admit(
            db, registration.event_id, registration, capacities, approved=True, requires_approval=False
        )
    except ServiceError:
        db.rollback()
        raise
    _set_status(db, registration, status)
    _commit(db)
    return registration


def decline(db: DbSession, registration: Registration) -> Registration:
    """An organiser says no to a pending (or waiting) registration."""
    capacities = _lock_places(db, registration.event_id)
    db.refresh(registration)
    if registration.status not in (Status.PENDING.value, Status.WAITLISTED.value):
        db.rollback()
        raise Conflict("not_pending", "only a pending or waiting registration can be declined")
    _set_status(db, registration, Status.DECLINED.value)
    _promote(db, registration.event_id, capacities[0])
    _commit(db)
    return registration


def promote_waiting_list(db: DbSession, event: Event) -> list[Registration]:
    """Fill free in-person places from the waiting list, e.g. after the capacity was raised."""
    capacities = _lock_places(db, event.id)
    promoted = _promote(db, event.id, capacities[0])
    _commit(db)
    return promoted


def registrations_of(db: DbSession, user: User) -> list[Registration]:
    return list(
        db.scalars(
            select(Registration).join(Event).where(Registration.user_id == user.id).order_by(Event.starts_at)
        )
    )


def confirmed_registration(db: DbSession, user_id: int, event_id: int) -> Registration | None:
    registration = find_registration(db, user_id, event_id)
    return registration if registration is not None and registration.is_confirmed else None


def confirmed_registration_clause(user_id: Any, event_id: Any) -> ColumnElement[bool]:
    """`confirmed_registration(...) is not None` as an SQL EXISTS clause (values or bind parameters),
    to be asked with others."""
    return exists().where(
        Registration.user_id == user_id,
        Registration.event_id == event_id,
        Registration.status == Status.CONFIRMED.value,
    )


def registration_counts(db: DbSession, event: Event) -> dict[str, int]:
    """Confirmed registrations by mode, plus their total."""
    rows = db.execute(
        select(Registration.mode, func.count())
        .where(Registration.event_id == event.id, Registration.status == Status.CONFIRMED.value)
        .group_by(Registration.mode)
    ).all()
    counts = dict.fromkeys(MODES, 0)
    counts.update(dict(rows))
    counts["total"] = sum(counts[m] for m in MODES)
    return counts


@dataclass(frozen=True)
class ParticipantFilter:
    q: str = ""
    mode: str = ""
    status: str = "confirmed"
    country: str = ""
    limit: int = 500

    @classmethod
    def from_args(cls, args: Mapping[str, str]) -> ParticipantFilter:
        mode = args.get("mode", "")
        status = args.get("status", "confirmed")
        return cls(
            q=(args.get("q") or "").strip()[:100],
            mode=mode if mode in MODES else "",
            status=status if status in ("confirmed", "cancelled", "all") else "confirmed",
            country=(args.get("country") or "").strip().upper()[:2],
        )


def list_participants(
    db: DbSession, event: Event, filters: ParticipantFilter
) -> list[tuple[Registration, User]]:
    query = (
        select(Registration, User)
        .join(User, Registration.user_id == User.id)
        .where(Registration.event_id == event.id)
        .order_by(User.name, User.id)
        .limit(filters.limit)
    )
    if filters.status != "all":
        query = query.where(Registration.status == filters.status)
    if filters.mode:
        query = query.where(Registration.mode == filters.mode)
    if filters.country:
        query = query.where(User.country == filters.country)
    if filters.q:
        pattern = f"%{filters.q.lower()}%"
        query = query.where(
            func.lower(User.name).like(pattern)
            | func.lower(User.email).like(pattern)
            | func.lower(User.organisation).like(pattern)
        )
    return [(r, u) for r, u in db.execute(query).all()]


# --- bulk import (the plan and the apply step live in imports.py) ----------------------------------


class ImportError_(ServiceError):
    """A participant list that cannot be imported; `line` is the 1-based line of the first bad row."""


def import_participants(db: DbSession, event: Event, csv_text: str, *, invite: bool = False):
    """Import an organisers' list in one transaction (see imports.py); any bad row imports nothing.
    With `invite`, each new participant's invitation is queued in that same transaction."""
    from .imports import apply_import

    return apply_import(db, event, csv_text, invite=invite)
