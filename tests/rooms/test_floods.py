"""Flood limits on room switching and on changing a poll vote (issue #14 item 13): past the
allowance a client gets a `rate_limited` error ack, nothing is written, and other people are not
slowed down by one person's flood."""

from __future__ import annotations

import time

from rooms.polls.test_poll_protocol import launch
from rooms.polls.test_poll_protocol import room as room
from rooms.support import call
from sqlalchemy import func, select

from conference.extensions import db
from conference.rooms.models import RoomVisit
from conference.rooms.polls.models import PollBallot
from conference.rooms.ratelimit import DEFAULT_LIMITS


def _allowance(limit: int, window: int, started: float) -> int:
    """The most a fixed-window counter lets through since `started`: one allowance per window touched."""
    return limit * (int((time.monotonic() - started) // window) + 2)


def _visits(app, user_id: int) -> int:
    with app.app_context():
        return db.session.scalar(
            select(func.count()).select_from(RoomVisit).where(RoomVisit.user_id == user_id)
        )


def test_switching_rooms_a_hundred_times_is_slowed_down(app, cast, live_client):
    limit, window = DEFAULT_LIMITS["join"]
    alice = live_client(cast.alice)
    started = time.monotonic()
    acks = [
        call(alice, "join", {"session_id": cast.plenary if n % 2 == 0 else cast.thematic}) for n in range(100)
    ]
    allowance = _allowance(limit, window, started)
    accepted = [ack for ack in acks if ack["ok"]]
    refused = [ack for ack in acks if not ack["ok"]]
    assert 0 < len(accepted) <= allowance
    assert refused and {ack["error"]["code"] for ack in refused} == {"rate_limited"}
    assert _visits(app, cast.alice.id) <= allowance
    # someone else joins at once
    assert call(live_client(cast.bob), "join", {"session_id": cast.plenary})["ok"]


def test_changing_a_poll_vote_a_hundred_and_fifty_times_is_slowed_down(app, cast, room):
    limit, window = DEFAULT_LIMITS["poll_vote_change"]
    poll = launch(room, allow_change=True)
    yes, no = (o["id"] for o in poll["options"])
    assert call(room.bob.client, "poll:vote", {"poll_id": poll["id"], "choices": [yes]})["ok"]
    started = time.monotonic()
    acks = [
        call(room.bob.client, "poll:vote", {"poll_id": poll["id"], "choices": [no if n % 2 == 0 else yes]})
        for n in range(150)
    ]
    changed = [ack for ack in acks if ack["ok"]]
    refused = [ack for ack in acks if not ack["ok"]]
    assert 0 < len(changed) <= _allowance(limit, window, started)
    assert {ack["error"]["code"] for ack in refused} == {"rate_limited"}
    with app.app_context():
        revision = db.session.scalar(
            select(PollBallot.revision).where(
                PollBallot.poll_id == poll["id"], PollBallot.user_id == cast.bob.id
            )
        )
    assert revision == 1 + len(changed)  # each accepted change once, nothing from the refused ones
    # Alice's vote is not slowed down by Bob's flood
    assert call(room.alice.client, "poll:vote", {"poll_id": poll["id"], "choices": [yes]})["ok"]
