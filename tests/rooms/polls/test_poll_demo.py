"""The demo's draft polls: added once, each one a poll the builder itself would accept."""

from __future__ import annotations

from sqlalchemy import func, select

from conference.demo import load_demo
from conference.programme.models import Event, ProgrammeSession
from conference.rooms.polls import services
from conference.rooms.polls.demo import add_demo_polls
from conference.rooms.polls.models import Poll
from conference.rooms.polls.services import PollSpec


def test_demo_polls_are_valid_drafts_in_the_opening_session_added_once(db):
    load_demo(db)
    load_demo(db)
    assert db.scalar(select(func.count()).select_from(Poll)) == 5
    assert add_demo_polls(db, db.scalar(select(Event))) == 0
    for poll in db.scalars(select(Poll)):
        assert poll.status == "draft"
        assert db.get(ProgrammeSession, poll.session_id).title == "Opening session"
        spec = PollSpec(
            title=poll.title,
            kind=poll.kind,
            options=[o.text for o in poll.options],
            max_choices=poll.max_choices,
            scale=poll.scale,
            results=poll.results_visibility,
            duration_s=poll.duration_s,
            allow_change=poll.allow_change,
        )
        assert services._checked_spec(spec) == spec
