"""Helpers for the board, feedback and certificate tests: an event whose sessions are over, people in it,
and attendance records written the way the live rooms and the doors write them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import pytest
from sqlalchemy import select

from conference.checkin.models import CheckinList, CheckinMovement
from conference.db_types import utcnow
from conference.extensions import db as _db
from conference.programme.models import ProgrammeSession
from conference.rooms.models import RoomVisit


@dataclass
class Past:
    event: object
    plenary: int  # moderated by default
    thematic: int
    workshop: int
    alice: object  # registered online
    bob: object  # registered in person
    moderator: object
    organiser: object
    outsider: object  # signed in, not registered
    registrations: dict  # user id -> registration id


def start_of(app, session_id: int) -> datetime:
    with app.app_context():
        return _db.session.get(ProgrammeSession, session_id).starts_at


def online_visit(app, user, session_id: int, minutes: int = 30, *, sid: str | None = None) -> None:
    """A closed online stay in the session's room, from its start."""
    start = start_of(app, session_id)
    with app.app_context():
        _db.session.add(
            RoomVisit(
                session_id=session_id,
                user_id=user.id,
                sid=sid or f"sid-{user.id}-{session_id}-{minutes}",
                joined_at=start,
                left_at=start + timedelta(minutes=minutes),
            )
        )
        _db.session.commit()


def door_entry(app, registration_id: int, session_id: int, minutes: int = 30) -> None:
    """An entry (and exit) on the session's door list, the way check-in records one."""
    start = start_of(app, session_id)
    with app.app_context():
        db = _db.session
        session = db.get(ProgrammeSession, session_id)
        door = db.scalar(select(CheckinList).where(CheckinList.session_id == session_id))
        if door is None:
            door = CheckinList(
                event_id=session.event_id,
                name=f"{session.title} door",
                scope="session",
                session_id=session_id,
            )
            db.add(door)
            db.flush()
        for direction, when in (("in", start), ("out", start + timedelta(minutes=minutes))):
            db.add(
                CheckinMovement(
                    list_id=door.id,
                    registration_id=registration_id,
                    direction=direction,
                    scanned_at=when,
                    uploaded_at=when,
                    gate="A",
                )
            )
        db.commit()


@pytest.fixture()
def past(app, make_event, make_user, make_registration) -> Past:
    """An event that started five days ago: all three sessions are over."""
    event = make_event("past", starts_at=utcnow().replace(microsecond=0) - timedelta(days=5))
    with app.app_context():
        sessions = {s.kind: s.id for s in _db.session.query(ProgrammeSession).filter_by(event_id=event.id)}
    alice = make_user(name="Alice Asker")
    bob = make_user(name="Bob Voter")
    moderator = make_user("moderator", name="Mona Moderator")
    organiser = make_user("organiser", name="Olga Organiser")
    outsider = make_user(name="Oscar Outsider")
    registrations = {
        alice.id: make_registration(alice, event, "online").id,
        bob.id: make_registration(bob, event, "in_person").id,
    }
    return Past(
        event,
        sessions["plenary"],
        sessions["thematic"],
        sessions["workshop"],
        alice,
        bob,
        moderator,
        organiser,
        outsider,
        registrations,
    )
