"""Poll rules under real concurrency on PostgreSQL, with the schema built by the migrations (so
migration 0004 is checked on PostgreSQL too): one ballot per person, changes that never mix, and a
close that no vote slips past.

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
from conference.rooms.polls import services
from conference.rooms.polls.models import PollAnswer, PollBallot
from conference.rooms.polls.services import PollSpec, Vote

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
    name = f"polls_{uuid.uuid4().hex[:12]}"
    admin.execute(f'CREATE DATABASE "{name}"')
    app = create_app({"ENV_NAME": "testing",
                      "SQLALCHEMY_DATABASE_URI": f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"})
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
def people(pg_app):
    """(session id, moderator id, [attendee ids]) for a registered crowd."""
    with pg_app.app_context():
        start = datetime(2030, 5, 6, tzinfo=timezone.utc)
        event = Event(slug="pg", title="PG", timezone="UTC", starts_at=start, ends_at=start + timedelta(days=1))
        db.session.add(event)
        db.session.flush()
        session = ProgrammeSession(event_id=event.id, title="Plenary", kind="plenary", starts_at=start,
                                   ends_at=start + timedelta(hours=1))
        db.session.add(session)
        db.session.commit()
        moderator = create_user(db.session, email="mod@example.org", name="Mod", role="moderator")
        attendees = []
        for n in range(THREADS):
            user = create_user(db.session, email=f"p{n}@example.org", name=f"P {n}", role="attendee")
            register(db.session, user, event, "online")
            attendees.append(user.id)
        return session.id, moderator.id, attendees


def open_poll(app, session_id, moderator_id, **fields) -> tuple[int, list[int]]:
    with app.app_context():
        moderator = db.session.get(User, moderator_id)
        spec = PollSpec(title="Concurrent?", kind="multiple", options=["A", "B", "C", "D"], **fields)
        poll = services.open_poll(db.session, moderator, services.create_poll(db.session, moderator, session_id, spec).id)
        return poll.id, [o.id for o in poll.options]


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
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return outcomes


def test_simultaneous_votes_of_one_person_leave_one_ballot(pg_app, people):
    session_id, moderator_id, attendees = people
    poll_id, options = open_poll(pg_app, session_id, moderator_id)

    def vote(_n):
        services.cast_vote(db.session, db.session.get(User, attendees[0]), poll_id, Vote(choices=[options[0]]))

    assert sorted(run_together(pg_app, vote)) == ["already_voted"] * (THREADS - 1) + ["ok"]
    with pg_app.app_context():
        assert db.session.scalar(select(func.count()).select_from(PollBallot)) == 1
        assert services.tally(db.session, services.get_poll(db.session, poll_id))["version"] == 1


def test_simultaneous_changes_of_one_ballot_never_mix(pg_app, people):
    session_id, moderator_id, attendees = people
    poll_id, options = open_poll(pg_app, session_id, moderator_id, allow_change=True, max_choices=2)

    def vote(n):
        choices = [options[n % 4], options[(n + 1) % 4]]
        services.cast_vote(db.session, db.session.get(User, attendees[0]), poll_id, Vote(choices=choices))

    assert run_together(pg_app, vote) == ["ok"] * THREADS
    with pg_app.app_context():
        answers = sorted(db.session.scalars(select(PollAnswer.option_id)))
        assert len(answers) == 2 and db.session.scalar(select(func.count()).select_from(PollBallot)) == 1
        first, second = (options.index(a) for a in answers)
        assert (second - first) in (1, 3)  # a pair one ballot sent, not a mix of two ballots


def test_votes_racing_a_close_are_either_counted_or_refused(pg_app, people):
    session_id, moderator_id, attendees = people
    poll_id, options = open_poll(pg_app, session_id, moderator_id)

    def vote_or_close(n):
        if n == THREADS // 2:
            services.close_poll(db.session, db.session.get(User, moderator_id), poll_id)
        else:
            services.cast_vote(db.session, db.session.get(User, attendees[n]), poll_id, Vote(choices=[options[n % 4]]))

    outcomes = run_together(pg_app, vote_or_close)
    assert set(outcomes) <= {"ok", "poll_closed"}
    with pg_app.app_context():
        final = services.tally(db.session, services.get_poll(db.session, poll_id))
        assert final["total"] == outcomes.count("ok") - 1  # the close is one of the "ok"s
        assert sum(final["counts"].values()) == final["total"] == final["version"]
