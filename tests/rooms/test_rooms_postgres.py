"""The live rooms' database rules under real concurrency on PostgreSQL, with the schema built by the
migrations (so migration 0002 is checked on PostgreSQL too).

Runs against a throw-away database on 127.0.0.1:5432 (user postgres); skips when the server is
absent, except when CI is set.
"""
from __future__ import annotations

import os
import threading
import uuid
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select

from conference import create_app
from conference.accounts.models import User
from conference.accounts.services import create_user
from conference.errors import ServiceError
from conference.extensions import db
from conference.programme.models import Event, ProgrammeSession
from conference.registrations.services import register
from conference.rooms import services
from conference.rooms.models import ChatMessage, QuestionVote, RoomPresence

SERVER = "host=127.0.0.1 port=5432 user=postgres dbname=test connect_timeout=3"
THREADS = 12


@pytest.fixture()
def pg_app():
    try:
        import psycopg

        admin = psycopg.connect(SERVER, autocommit=True)
    except Exception as exc:  # no server, no driver
        if os.environ.get("CI"):
            pytest.fail(f"PostgreSQL required in CI: {exc}")
        pytest.skip(f"PostgreSQL is not available on 127.0.0.1:5432: {exc}")
    name = f"rooms_{uuid.uuid4().hex[:12]}"
    admin.execute(f'CREATE DATABASE "{name}"')
    app = create_app({"ENV_NAME": "testing",
                      "SQLALCHEMY_DATABASE_URI": f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}",
                      "ROOMS_RATE_LIMITS": {"chat": (3, 3600)}})
    try:
        with app.app_context():
            from flask_migrate import upgrade

            from conference.app import MIGRATIONS_DIR

            upgrade(directory=str(MIGRATIONS_DIR))
        yield app
    finally:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()
        admin.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
        admin.close()


@pytest.fixture()
def room(pg_app):
    """(session id, attendee id, question id) in an unmoderated room."""
    with pg_app.app_context():
        start = datetime(2030, 5, 6, tzinfo=timezone.utc)
        event = Event(slug="pg", title="PG", timezone="Asia/Seoul", starts_at=start,
                      ends_at=start + timedelta(days=1))
        db.session.add(event)
        db.session.flush()
        session = ProgrammeSession(event_id=event.id, title="Thematic", kind="thematic", starts_at=start,
                                   ends_at=start + timedelta(hours=1))
        db.session.add(session)
        db.session.commit()
        user = create_user(db.session, email="pg@example.org", name="PG Person", role="attendee",
                           password="correct horse battery")
        register(db.session, user, event, "online")
        question = services.ask_question(db.session, user, session.id, "On PostgreSQL?")
        return session.id, user.id, question.id


def run_together(app, action) -> list[str]:
    barrier = threading.Barrier(THREADS)
    outcomes: list[str] = []

    def worker(n):
        with app.app_context():
            try:
                barrier.wait()
                action(n)
                outcomes.append("ok")
            except ServiceError as exc:
                outcomes.append(exc.code)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return sorted(outcomes)


def test_simultaneous_votes_leave_one_vote(pg_app, room):
    session_id, user_id, question_id = room
    outcomes = run_together(pg_app, lambda n: services.vote(db.session, db.session.get(User, user_id), question_id))
    assert outcomes == ["already_voted"] * (THREADS - 1) + ["ok"]
    with pg_app.app_context():
        assert db.session.scalar(select(func.count()).select_from(QuestionVote)) == 1


def test_the_rate_limit_holds_under_simultaneous_requests(pg_app, room):
    session_id, user_id, _ = room
    outcomes = run_together(
        pg_app, lambda n: services.send_chat(db.session, db.session.get(User, user_id), session_id, f"m{n}"))
    assert outcomes == ["ok"] * 3 + ["rate_limited"] * (THREADS - 3)
    with pg_app.app_context():
        assert db.session.scalar(select(func.count()).select_from(ChatMessage)) == 3


def test_one_socket_is_in_one_room_even_when_it_joins_twice_at_once(pg_app, room):
    session_id, user_id, _ = room
    outcomes = run_together(
        pg_app, lambda n: services.join_room(db.session, db.session.get(User, user_id), session_id, "same-sid"))
    assert set(outcomes) <= {"ok", "join_in_progress"} and "ok" in outcomes
    with pg_app.app_context():
        assert db.session.scalar(select(func.count()).select_from(RoomPresence)) == 1
        assert services.online_count(db.session, session_id) == 1
