"""Poll rules under real concurrency on PostgreSQL, with the schema built by the migrations (so
migration 0004 is checked on PostgreSQL too): one ballot per person, changes that never mix, and a
close that no vote slips past.

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
from conference.grants.services import grant
from conference.programme.models import Event, ProgrammeSession
from conference.registrations.services import register
from conference.rooms.polls import services
from conference.rooms.polls.models import PollAnswer, PollBallot
from conference.rooms.polls.services import PollSpec, Vote

THREADS = 12


@pytest.fixture()
def pg_app():
    # the race tests change one ballot from many threads at once: above the flood limit on purpose
    with postgres_app("polls", ROOMS_RATE_LIMITS={"poll_vote_change": (1000, 10)}) as app:
        yield app


@pytest.fixture()
def people(pg_app):
    """(session id, moderator id, [attendee ids]) for a registered crowd."""
    with pg_app.app_context():
        start = datetime(2030, 5, 6, tzinfo=UTC)
        event = Event(
            slug="pg", title="PG", timezone="UTC", starts_at=start, ends_at=start + timedelta(days=1)
        )
        db.session.add(event)
        db.session.flush()
        session = ProgrammeSession(
            event_id=event.id,
            title="Plenary",
            kind="plenary",
            starts_at=start,
            ends_at=start + timedelta(hours=1),
        )
        db.session.add(session)
        db.session.commit()
        moderator = create_user(db.session, email="mod@example.org", name="Mod")
        grant(db.session, event, moderator, "moderator")
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
        poll = services.open_poll(
            db.session, moderator, services.create_poll(db.session, moderator, session_id, spec).id
        )
        return poll.id, [o.id for o in poll.options]


def run_together(app, action) -> list[str]:
    return together(app, action, THREADS)


def test_simultaneous_votes_of_one_person_leave_one_ballot(pg_app, people):
    session_id, moderator_id, attendees = people
    poll_id, options = open_poll(pg_app, session_id, moderator_id)

    def vote(_n):
        services.cast_vote(
            db.session, db.session.get(User, attendees[0]), poll_id, Vote(choices=[options[0]])
        )

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
            services.cast_vote(
                db.session, db.session.get(User, attendees[n]), poll_id, Vote(choices=[options[n % 4]])
            )

    outcomes = run_together(pg_app, vote_or_close)
    assert set(outcomes) <= {"ok", "poll_closed"}
    with pg_app.app_context():
        final = services.tally(db.session, services.get_poll(db.session, poll_id))
        assert final["total"] == outcomes.count("ok") - 1  # the close is one of the "ok"s
        assert sum(final["counts"].values()) == final["total"] == final["version"]
