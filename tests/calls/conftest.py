"""Fixtures for calls: the rooms' cast, with the workshop marked interactive (it has a call), and
matchmaking meetings about to start (their calls are open)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
from rooms.conftest import cast, joined  # noqa: F401 - the live rooms' cast and joined clients

from conference.accounts.models import User
from conference.db_types import utcnow
from conference.extensions import db
from conference.matchmaking import meetings
from conference.matchmaking.schemas import MeetingAnswer, MeetingIn
from conference.programme.models import Event, ProgrammeSession


@pytest.fixture()
def workshop_call(app, cast):
    """The cast's workshop, marked interactive by its organisers: its live room has a call."""
    with app.app_context():
        db.session.get(ProgrammeSession, cast.workshop).interactive = True
        db.session.commit()
    return cast.workshop


@dataclass
class Meetings:
    now: int  # accepted, starting within five minutes: its call is open
    other: int  # another accepted meeting, now, of two other people
    pending: int  # asked, not answered yet
    later: int  # accepted, in three hours: its call is not open yet
    asker: User
    host: User
    guest: User  # a party of `other`
    other_host: User
    stranger: User  # registered, in no meeting


def _next_five_minutes(after: datetime) -> datetime:
    moment = after.replace(second=0, microsecond=0) + timedelta(minutes=1)
    return moment + timedelta(minutes=(-moment.minute) % 5)


@pytest.fixture()
def mtg(app, make_event, make_user, make_registration) -> Meetings:
    """An event running now; two accepted meetings about to start, a pending one and a later one."""
    event = make_event("meeting-calls", starts_at=datetime.now(UTC) - timedelta(hours=1))
    people = {
        name: make_user(name=label)
        for name, label in (
            ("asker", "Ari Asker"),
            ("host", "Hana Host"),
            ("guest", "Gus Guest"),
            ("other_host", "Oli Host"),
            ("stranger", "Sam Stranger"),
        )
    }
    for person in people.values():
        make_registration(person, event)
    soon = _next_five_minutes(utcnow())
    with app.app_context():
        session = db.session
        this = session.get_one(Event, event.id)
        user = {name: session.get_one(User, person.id) for name, person in people.items()}
        for name in ("host", "other_host"):
            meetings.set_open_to_meetings(session, this, user[name], True)

        def ask(by: str, of: str, starts: datetime, *, accepted: bool = True) -> int:
            data = MeetingIn(
                recipient_id=user[of].id,
                starts_at=starts,
                duration_minutes=30,
                mode="in_person",
                place="Table 3",
            )
            meeting = meetings.request_meeting(session, this, user[by], data)
            if accepted:
                meetings.accept(session, meeting, user[of], MeetingAnswer(revision=meeting.revision))
            return meeting.id

        ids = {
            "now": ask("asker", "host", soon),
            "other": ask("guest", "other_host", soon),
            "pending": ask("stranger", "host", soon + timedelta(hours=1), accepted=False),
            "later": ask("asker", "host", soon + timedelta(hours=3)),
        }
        session.expunge_all()
    return Meetings(**ids, **people)
