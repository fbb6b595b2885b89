"""Matchmaking's database rules on PostgreSQL (the schema built by the migrations), raced by real
threads: one expression of interest per country, one accepted meeting per person and time, one
status change per possibility."""

from __future__ import annotations

from datetime import timedelta

import pytest
from concurrency_support import run_together
from matchmaking.test_services import SEOUL_10AM, answer, ask, interest, offer
from pg_support import postgres_app
from sqlalchemy import func, select

from conference.accounts.models import User
from conference.extensions import db as _db
from conference.matchmaking import services
from conference.matchmaking.models import (
    FollowUpNote,
    Interest,
    InterestMember,
    Meeting,
    MeetingSlot,
    Practice,
)
from conference.matchmaking.schemas import FollowUpIn
from conference.programme.models import Event

pytestmark = pytest.mark.filterwarnings("error::pytest.PytestUnhandledThreadExceptionWarning")


@pytest.fixture()
def app():
    with postgres_app("matchmaking") as app:
        yield app


def test_races_on_postgres(app, mm):
    with app.app_context():
        db = _db.session
        practice_id = offer(db, mm).id
        meeting_ids = [
            ask(db, mm, person, mm.owner, at=SEOUL_10AM + timedelta(minutes=10 * n)).id
            for n, person in enumerate((mm.thai, mm.thai2, mm.viet))
        ]
    thais = [mm.thai, mm.thai2]

    def express(n):
        db = _db.session
        interest(db, db.get(Practice, practice_id), thais[n % 2])

    assert run_together(app, express, 8) == ["ok"] * 8

    def accept(n):
        db = _db.session
        answer(db, db.get(Meeting, meeting_ids[n]), mm.owner, "accept")

    outcomes = run_together(app, accept, 3)
    assert outcomes.count("ok") == 1 and outcomes.count("slot_taken") == 2, outcomes

    with app.app_context():
        interest_id = _db.session.scalar(select(Interest.id))
    movers = [mm.organiser, mm.owner]

    def move(n):
        db = _db.session
        services.follow_up(
            db, db.get(Interest, interest_id), db.get(User, movers[n % 2].id), FollowUpIn(status="contacted")
        )

    moved = run_together(app, move, 4)
    assert moved.count("ok") == 1, moved

    with app.app_context():
        db = _db.session
        assert db.scalar(select(func.count()).select_from(Interest)) == 1
        assert db.scalar(select(func.count()).select_from(InterestMember)) == 2
        assert db.scalar(select(func.count()).select_from(Meeting).where(Meeting.status == "accepted")) == 1
        owner_slots = db.scalars(
            select(MeetingSlot.starts_at).where(MeetingSlot.user_id == mm.owner.id)
        ).all()
        assert len(owner_slots) == len(set(owner_slots)) == 6
        assert db.scalar(select(func.count()).select_from(FollowUpNote)) == 1


def test_crossed_meetings_accepted_at_once_never_deadlock(app, mm):
    """A asked B and B asked A for overlapping times, and both accept at once: one wins, the other is
    `slot_taken`. (The slots' (person, time) insert order is what rules a deadlock out; this race is
    rarely tight enough to show one without it: it checks the outcome, not the order.)"""
    with app.app_context():
        db = _db.session
        offer(db, mm)  # the owner takes requests
        from conference.matchmaking import meetings

        meetings.set_open_to_meetings(db, db.get(Event, mm.event.id), db.get(User, mm.thai.id), True)
        pairs = [
            (
                ask(db, mm, mm.owner, mm.thai, at=SEOUL_10AM + timedelta(hours=2 * n)).id,
                ask(db, mm, mm.thai, mm.owner, at=SEOUL_10AM + timedelta(hours=2 * n, minutes=15)).id,
            )
            for n in range(4)
        ]
    for first, second in pairs:

        def accept(n, ids=(first, second), answerers=(mm.thai, mm.owner)):
            db = _db.session
            answer(db, db.get(Meeting, ids[n]), answerers[n], "accept")

        outcomes = run_together(app, accept, 2)
        assert outcomes == ["ok", "slot_taken"], outcomes
