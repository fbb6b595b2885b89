"""A meeting's call on PostgreSQL (the schema built by the migrations): a row names exactly one call,
and one person's sockets racing into the same meeting's call leave one row."""

from __future__ import annotations

import pytest
from concurrency_support import run_together
from pg_support import postgres_app
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from conference.accounts.models import User
from conference.calls.meetings import join_meeting_call
from conference.calls.models import CallMember
from conference.calls.services import CallLimits
from conference.extensions import db as _db

pytestmark = pytest.mark.filterwarnings("error::pytest.PytestUnhandledThreadExceptionWarning")
LIMITS = CallLimits(max_video=6, max_members=50)


@pytest.fixture()
def app():
    with postgres_app("meeting_calls") as app:
        yield app


def test_a_row_names_one_call_and_a_person_holds_one_place(app, mtg):
    with app.app_context():
        db = _db.session
        for session_id, meeting_id in ((None, None), (1, mtg.now)):
            db.add(
                CallMember(
                    sid=f"s-{session_id}", session_id=session_id, meeting_id=meeting_id, user_id=mtg.asker.id
                )
            )
            with pytest.raises(IntegrityError, match="ck_call_members_one_call"):
                db.flush()
            db.rollback()

    def join(n):
        db = _db.session
        join_meeting_call(
            db, db.get_one(User, mtg.asker.id), mtg.now, f"tab-{n}", limits=LIMITS, with_video=True
        )

    outcomes = run_together(app, join, 4)
    assert "ok" in outcomes and set(outcomes) <= {"ok", "join_in_progress"}, outcomes
    with app.app_context():
        rows = _db.session.execute(select(func.count(), func.count(CallMember.video_slot))).one()
        assert tuple(rows) == (1, 1)
