"""Plausible attendance records for the demo event, for the part of the programme that is over.

Only sessions that have ended (and days whose last session has ended) get records, so nothing is
dated in the future; running `conference demo` again later adds the sessions that ended since.
Idempotent: a session or day that already has demo records (sid / scan_id starting "demo-") is
skipped. Deterministic: the random choices are seeded by the event and the session.

Online: room visits of online registrants (and a few in-person ones watching from elsewhere), with
short drops (within the grace period) and a few longer ones. On site: entries and exits on the
session door lists and on the entrance, with first-entry `Checkin` rows, everyone out at the end
(so check-in's "inside" state stays consistent).
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import exists, select

from ..accounts.models import User
from ..checkin.models import Checkin, CheckinList, CheckinMovement
from ..db_session import DbSession
from ..db_types import utcnow
from ..grants.models import EventGrant
from ..programme.models import Event, ProgrammeSession
from ..registrations.models import Registration
from ..rooms.models import RoomVisit

# Share of each mode's registrants attending a session of this kind.
ONLINE_SHARE = {"plenary": 0.75, "keynote": 0.8, "thematic": 0.4, "workshop": 0.25, "breakout": 0.3}
ON_SITE_SHARE = {"plenary": 0.8, "keynote": 0.85, "thematic": 0.45, "workshop": 0.3, "breakout": 0.3}
HYBRID_SHARE = 0.04  # in-person registrants who follow a session online


@dataclass
class Person:
    registration_id: int
    user_id: int
    mode: str


def _minutes(rng: random.Random, low: float, high: float) -> timedelta:
    return timedelta(seconds=int(rng.uniform(low, high) * 60))


def load_demo_attendance(db: DbSession, event: Event, now: datetime | None = None) -> int:
    """Add the demo records for whatever has ended and has none yet; returns how many sessions got some."""
    now = now or utcnow()
    people = [
        Person(r, u, m)
        for r, u, m in db.execute(
            select(Registration.id, Registration.user_id, Registration.mode)
            .join(User, User.id == Registration.user_id)
            .where(
                Registration.event_id == event.id,
                Registration.status == "confirmed",
                User.email.like("participant%@symposium.example"),
            )
            .order_by(Registration.id)
        ).all()
    ]
    if not people:
        return 0
    staff_id = db.scalar(
        select(EventGrant.user_id)
        .where(EventGrant.event_id == event.id, EventGrant.role == "staff")
        .order_by(EventGrant.id)
    )
    sessions = list(
        db.scalars(
            select(ProgrammeSession)
            .where(ProgrammeSession.event_id == event.id, ProgrammeSession.ends_at <= now)
            .order_by(ProgrammeSession.starts_at, ProgrammeSession.id)
        )
    )
    done = 0
    for session in sessions:
        if session.children or _has_demo_records(db, session.id):
            continue  # a breakout parent is attended through its rooms
        _session_attendance(db, session, people, staff_id)
        done += 1
    _entrance(db, event, people, staff_id, now)
    db.commit()
    return done


def _has_demo_records(db: DbSession, session_id: int) -> bool:
    marker = f"demo-{session_id}-%"
    return bool(
        db.scalar(select(exists().where(RoomVisit.session_id == session_id, RoomVisit.sid.like(marker))))
        or db.scalar(select(exists().where(CheckinMovement.scan_id.like(marker))))
    )


def _in_this_breakout(person: Person, session: ProgrammeSession) -> bool:
    assert session.parent is not None  # a breakout always has its main session
    siblings = [child.id for child in session.parent.children]
    return siblings[person.user_id % len(siblings)] == session.id


def _session_attendance(
    db: DbSession, session: ProgrammeSession, people: list[Person], staff_id: int | None
) -> None:
    rng = random.Random(f"demo-attendance-{session.event_id}-{session.id}")
    door = db.scalar(select(CheckinList).where(CheckinList.session_id == session.id).order_by(CheckinList.id))
    for person in people:
        if session.kind == "breakout" and not _in_this_breakout(person, session):
            continue
        if person.mode == "online":
            if rng.random() < ONLINE_SHARE[session.kind]:
                _visits(db, rng, session, person)
        else:
            if door is not None and rng.random() < ON_SITE_SHARE[session.kind]:
                _door_visit(db, rng, session, door, person, staff_id)
            if rng.random() < HYBRID_SHARE:
                _visits(db, rng, session, person)


def _visits(db: DbSession, rng: random.Random, session: ProgrammeSession, person: Person) -> None:
    joined = session.starts_at + _minutes(rng, -5, 12)
    left = max(session.ends_at - _minutes(rng, -5, 20), joined + timedelta(minutes=3))
    pieces = [(joined, left)]
    roll = rng.random()
    if roll < 0.25:  # a dropped connection, back within the grace period, or (rarely) much later
        drop = joined + (left - joined) * rng.uniform(0.2, 0.8)
        gap = timedelta(seconds=rng.randint(5, 100)) if roll < 0.2 else _minutes(rng, 5, 15)
        if drop + gap < left:
            pieces = [(joined, drop), (drop + gap, left)]
    for n, (start, end) in enumerate(pieces):
        db.add(
            RoomVisit(
                session_id=session.id,
                user_id=person.user_id,
                sid=f"demo-{session.id}-{person.user_id}-{n}",
                joined_at=start,
                left_at=end,
            )
        )


def _door_visit(
    db: DbSession,
    rng: random.Random,
    session: ProgrammeSession,
    door: CheckinList,
    person: Person,
    staff_id: int | None,
) -> None:
    entered = session.starts_at + _minutes(rng, -10, 8)
    exited = session.ends_at + _minutes(rng, -10, 10)
    moves = [("in", entered), ("out", exited)]
    if rng.random() < 0.12:  # stepped out for a call
        out = entered + (exited - entered) * rng.uniform(0.3, 0.7)
        moves = [("in", entered), ("out", out), ("in", out + _minutes(rng, 3, 12)), ("out", exited)]
    if (
        db.scalar(
            select(Checkin.id).where(
                Checkin.registration_id == person.registration_id, Checkin.list_id == door.id
            )
        )
        is None
    ):
        db.add(
            Checkin(
                registration_id=person.registration_id,
                list_id=door.id,
                checked_in_at=entered,
                gate="Door",
                staff_user_id=staff_id,
                inside=False,
            )
        )
    _add_moves(db, door.id, person, moves, f"demo-{session.id}", "Door", staff_id)


def _add_moves(db, list_id, person, moves, prefix, gate, staff_id) -> None:
    for n, (direction, moment) in enumerate(moves):
        db.add(
            CheckinMovement(
                list_id=list_id,
                registration_id=person.registration_id,
                direction=direction,
                scanned_at=moment,
                uploaded_at=moment,
                gate=gate,
                staff_user_id=staff_id,
                scan_id=f"{prefix}-{person.registration_id}-{n}",
            )
        )


def _entrance(db: DbSession, event: Event, people: list[Person], staff_id: int | None, now: datetime) -> None:
    """Morning entries and evening exits at the entrance, for each day whose sessions are all over."""
    entrance = db.scalar(
        select(CheckinList)
        .where(CheckinList.event_id == event.id, CheckinList.scope == "event")
        .order_by(CheckinList.id)
    )
    if entrance is None:
        return
    days: dict = {}
    for session in db.scalars(select(ProgrammeSession).where(ProgrammeSession.event_id == event.id)):
        day = session.starts_at.astimezone(event.tz).date()
        first, last = days.get(day, (session.starts_at, session.ends_at))
        days[day] = (min(first, session.starts_at), max(last, session.ends_at))
    for day, (first, last) in sorted(days.items()):
        prefix = f"demo-entrance-{day.isoformat()}"
        if last > now or db.scalar(
            select(
                exists().where(
                    CheckinMovement.list_id == entrance.id, CheckinMovement.scan_id.like(f"{prefix}-%")
                )
            )
        ):
            continue
        rng = random.Random(f"{prefix}-{event.id}")
        for person in people:
            if person.mode != "in_person" or rng.random() > 0.9:
                continue
            entered = first - _minutes(rng, 5, 45)
            if (
                db.scalar(
                    select(Checkin.id).where(
                        Checkin.registration_id == person.registration_id, Checkin.list_id == entrance.id
                    )
                )
                is None
            ):
                db.add(
                    Checkin(
                        registration_id=person.registration_id,
                        list_id=entrance.id,
                        checked_in_at=entered,
                        gate="Main entrance",
                        staff_user_id=staff_id,
                        inside=False,
                    )
                )
                db.flush()
            _add_moves(
                db,
                entrance.id,
                person,
                [("in", entered), ("out", last + _minutes(rng, 0, 40))],
                prefix,
                "Main entrance",
                staff_id,
            )
