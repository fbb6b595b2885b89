"""Capacity under a race on PostgreSQL, where a check-then-insert would let two people in.

Runs against a throw-away database on 127.0.0.1:5432 (user postgres); skips when the server is
absent, except when CI is set.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from concurrency_support import run_together
from pg_support import postgres_app

from conference.accounts.models import User
from conference.accounts.services import create_user
from conference.extensions import db
from conference.grants.services import grant
from conference.programme.models import Event, ProgrammeSession
from conference.registrations.services import register
from conference.rooms.breakouts import services
from conference.rooms.breakouts.services import RoomSpec


@pytest.fixture()
def pg_app():
    with postgres_app("breakouts") as app:
        yield app


def test_the_last_place_goes_to_exactly_one_of_many_on_postgres(pg_app):
    with pg_app.app_context():
        start = datetime(2030, 5, 6, tzinfo=UTC)
        event = Event(
            slug="pg", title="PG", timezone="Asia/Seoul", starts_at=start, ends_at=start + timedelta(days=1)
        )
        db.session.add(event)
        db.session.flush()
        main = ProgrammeSession(
            event_id=event.id,
            title="Plenary",
            kind="plenary",
            starts_at=start,
            ends_at=start + timedelta(hours=1),
        )
        db.session.add(main)
        db.session.commit()
        moderator = create_user(db.session, email="mod@example.org", name="Mod", password="x" * 12)
        grant(db.session, event, moderator, "moderator")
        people = []
        for n in range(12):
            person = create_user(db.session, email=f"p{n}@example.org", name=f"P {n}", password="x" * 12)
            register(db.session, person, event, "online")
            people.append(person.id)
        round_ = services.create_round(
            db.session, moderator, main.id, [RoomSpec("Tiny", "en", 2), RoomSpec("Big")]
        )
        services.start_round(db.session, moderator, round_.id, 600)
        tiny = round_.rooms[0].id

    outcomes = run_together(
        pg_app,
        lambda n: services.enter_breakout(db.session, db.session.get(User, people[n]), round_.id, tiny),
        len(people),
    )
    assert outcomes == ["ok"] * 2 + ["room_full"] * 10
    with pg_app.app_context():
        rooms = services.rooms_json(db.session, services.get_round(db.session, round_.id))
        assert rooms[0]["taken"] == 2 and rooms[0]["joined"] == 2
