"""The live rooms' database rules under real concurrency on PostgreSQL, with the schema built by the
migrations (so migration 0002 is checked on PostgreSQL too).

Runs against a throw-away database on 127.0.0.1:5432 (user postgres); skips when the server is
absent, except when CI is set.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from concurrency_support import run_together as together
from pg_support import postgres_app
from sqlalchemy import func, select

from conference.accounts.models import User
from conference.accounts.services import create_user
from conference.extensions import db
from conference.programme.models import Event, ProgrammeSession
from conference.registrations.services import register
from conference.rooms import services
from conference.rooms.models import ChatMessage, QuestionVote, RoomPresence

THREADS = 12


@pytest.fixture()
def pg_app():
    with postgres_app("rooms", ROOMS_RATE_LIMITS={"chat": (3, 3600)}) as app:
        yield app


@pytest.fixture()
def room(pg_app):
    """(session id, attendee id, question id) in an unmoderated room."""
    with pg_app.app_context():
        start = datetime(2030, 5, 6, tzinfo=UTC)
        event = Event(
            slug="pg", title="PG", timezone="Asia/Seoul", starts_at=start, ends_at=start + timedelta(days=1)
        )
        db.session.add(event)
        db.session.flush()
        session = ProgrammeSession(
            event_id=event.id,
            title="Thematic",
            kind="thematic",
            starts_at=start,
            ends_at=start + timedelta(hours=1),
        )
        db.session.add(session)
        db.session.commit()
        user = create_user(
            db.session,
            email="pg@example.org",
            name="PG Person",
            role="attendee",
            password="correct horse battery",
        )
        register(db.session, user, event, "online")
        question = services.ask_question(db.session, user, session.id, "On PostgreSQL?")
        return session.id, user.id, question.id


def run_together(app, action) -> list[str]:
    return together(app, action, THREADS)


def test_simultaneous_votes_leave_one_vote(pg_app, room):
    _session_id, user_id, question_id = room
    outcomes = run_together(
        pg_app, lambda n: services.vote(db.session, db.session.get(User, user_id), question_id)
    )
    assert outcomes == ["already_voted"] * (THREADS - 1) + ["ok"]
    with pg_app.app_context():
        assert db.session.scalar(select(func.count()).select_from(QuestionVote)) == 1


def test_the_rate_limit_holds_under_simultaneous_requests(pg_app, room):
    session_id, user_id, _ = room
    outcomes = run_together(
        pg_app, lambda n: services.send_chat(db.session, db.session.get(User, user_id), session_id, f"m{n}")
    )
    assert outcomes == ["ok"] * 3 + ["rate_limited"] * (THREADS - 3)
    with pg_app.app_context():
        assert db.session.scalar(select(func.count()).select_from(ChatMessage)) == 3


def test_one_socket_is_in_one_room_even_when_it_joins_twice_at_once(pg_app, room):
    session_id, user_id, _ = room
    outcomes = run_together(
        pg_app,
        lambda n: services.join_room(db.session, db.session.get(User, user_id), session_id, "same-sid"),
    )
    assert set(outcomes) <= {"ok", "join_in_progress"} and "ok" in outcomes
    with pg_app.app_context():
        assert db.session.scalar(select(func.count()).select_from(RoomPresence)) == 1
        assert services.online_count(db.session, session_id) == 1
