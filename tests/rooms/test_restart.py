"""A server process that restarts without `conference rooms-reset` (issue #14 item 15): at start-up
(`hooks.server_starting`, sent by `conference serve` and wsgi.py) it forgets the sockets its own
previous run left, by its INSTANCE_ID, and nobody else's, and resumes the timers that died with it:
a breakout round past its end is recalled and a poll past its deadline is closed at once."""

from __future__ import annotations

import time
from datetime import timedelta

from sqlalchemy import select, update

from conference import hooks
from conference.accounts.models import User
from conference.db_types import utcnow
from conference.extensions import db
from conference.rooms import services as room_services
from conference.rooms.breakouts import services as breakouts
from conference.rooms.breakouts.models import BreakoutRound
from conference.rooms.breakouts.services import RoomSpec
from conference.rooms.models import RoomPresence, RoomVisit
from conference.rooms.polls import services as polls
from conference.rooms.polls.models import Poll
from conference.rooms.polls.services import PollSpec


def _join_as(app, instance: str, user_id: int, session_id: int, sid: str) -> None:
    app.config["INSTANCE_ID"] = instance
    with app.app_context():
        room_services.join_room(db.session, db.session.get(User, user_id), session_id, sid)


def test_a_restarted_process_forgets_only_its_own_sockets(app, cast):
    _join_as(app, "host-a:5001", cast.alice.id, cast.plenary, "sid-alice")
    _join_as(app, "host-a:5002", cast.bob.id, cast.plenary, "sid-bob")
    with app.app_context():
        assert room_services.online_count(db.session, cast.plenary) == 2

    app.config["INSTANCE_ID"] = "host-a:5001"  # the first process comes back
    hooks.server_starting.send(app)

    with app.app_context():
        rows = db.session.execute(select(RoomPresence.sid, RoomPresence.instance_id)).all()
        assert rows == [("sid-bob", "host-a:5002")]
        assert room_services.online_count(db.session, cast.plenary) == 1
        visits = dict(db.session.execute(select(RoomVisit.sid, RoomVisit.left_at)).all())
        assert visits["sid-alice"] is not None and visits["sid-bob"] is None


def test_timers_that_died_with_the_process_are_resumed_at_start_up(app, cast):
    app.config["BREAKOUT_TIMER_INTERVAL_S"] = 0.2
    with app.app_context():
        moderator = db.session.get(User, cast.moderator.id)
        round_ = breakouts.create_round(db.session, moderator, cast.plenary, [RoomSpec("Only")])
        breakouts.start_round(db.session, moderator, round_.id, 600)
        spec = PollSpec(title="Timed?", kind="single", options=["Yes", "No"], duration_s=60)
        poll = polls.open_poll(
            db.session, moderator, polls.create_poll(db.session, moderator, cast.thematic, spec).id
        )
        past = utcnow() - timedelta(minutes=1)
        # the previous process died before its timers fired: both deadlines have passed
        db.session.execute(update(BreakoutRound).where(BreakoutRound.id == round_.id).values(ends_at=past))
        db.session.execute(update(Poll).where(Poll.id == poll.id).values(closes_at=past))
        db.session.commit()
        round_id, poll_id = round_.id, poll.id

    hooks.server_starting.send(app)

    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        with app.app_context():
            status = db.session.scalar(select(BreakoutRound.status).where(BreakoutRound.id == round_id))
            recalled_by = db.session.scalar(
                select(BreakoutRound.recalled_by).where(BreakoutRound.id == round_id)
            )
        if status == "recalled":
            break
        time.sleep(0.05)
    assert (status, recalled_by) == ("recalled", "timer")
    with app.app_context():
        assert db.session.scalar(select(Poll.status).where(Poll.id == poll_id)) == "closed"
