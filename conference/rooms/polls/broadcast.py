"""Who receives a poll's results, when, and how often.

- `tallies()`: votes only touch their poll; a poll's full counts, read from the database, leave at
  most once per `INTERVAL` seconds (`realtime_tasks.Coalescer`). A storm of thousands of votes a
  second thus costs each room at most 1/INTERVAL tally updates a second.
- `announce_closed`: the exact final counts, read after the close committed.
- Timers close timed polls at their deadline; `resume_timers` re-arms them in a fresh process, and
  `services.close_due_polls` catches any deadline missed while no process was running.

Results go to the whole room only when every participant may see them; otherwise to the
moderators' room only.
"""

from __future__ import annotations

from flask import Flask, current_app
from sqlalchemy import select

from ... import realtime_tasks
from ...extensions import db, socketio
from ...realtime import LIVE
from ..access import moderators_room, room_name
from . import services
from .models import Poll, PollStatus

INTERVAL = 0.25  # seconds between two tally updates of one poll: at most 4 a second


def results_room(poll: Poll) -> str:
    return room_name(poll.session_id) if services.results_public(poll) else moderators_room(poll.session_id)


TALLIES = "polls.tallies"


def init_app(app: Flask) -> None:
    realtime_tasks.Coalescer(app, TALLIES, INTERVAL, send_tally)


def tallies() -> realtime_tasks.Coalescer:
    """Votes `touch` their poll; its counts leave at most once per INTERVAL, read when they leave."""
    return realtime_tasks.coalescer(current_app, TALLIES)


def send_tally(poll_id: int) -> None:
    poll = db.session.get(Poll, poll_id)
    # A closed poll's last word is its `poll:closed`; a late update could be older.
    if poll is not None and poll.status == PollStatus.OPEN.value:
        realtime_tasks.live_server(current_app).emit(
            "poll:results", services.tally(db.session, poll), to=results_room(poll), namespace=LIVE
        )


def announce_opened(poll: Poll) -> None:
    socketio.emit(
        "poll:opened", {"poll": services.poll_dict(poll)}, to=room_name(poll.session_id), namespace=LIVE
    )
    if poll.closes_at is not None:
        start_timer(poll)


def announce_translated(poll: Poll) -> dict:
    """`poll:translated` to whoever sees the poll (the room once it was opened, else its moderators);
    the poll as sent."""
    body = services.poll_dict(poll)
    room = room_name(poll.session_id) if services.may_see_poll_as_participant(poll) else None
    socketio.emit(
        "poll:translated", {"poll": body}, to=room or moderators_room(poll.session_id), namespace=LIVE
    )
    return body


def announce_closed(poll: Poll) -> None:
    """Send the exact final counts to whoever may see them; the rest of the room learns it closed."""
    tallies().discard(poll.id)  # the final counts go out here, not as an update
    final = services.tally(db.session, poll)
    body = {"poll_id": poll.id, "poll": services.poll_dict(poll)}
    if services.results_public(poll):
        socketio.emit(
            "poll:closed", {**body, "results": final}, to=room_name(poll.session_id), namespace=LIVE
        )
        return
    socketio.emit("poll:closed", {**body, "results": None}, to=room_name(poll.session_id), namespace=LIVE)
    socketio.emit(
        "poll:closed", {**body, "results": final}, to=moderators_room(poll.session_id), namespace=LIVE
    )


def close_due_and_announce(session_id: int | None = None) -> None:
    for poll in services.close_due_polls(db.session, session_id=session_id):
        announce_closed(poll)


# --------------------------------------------------------------------------- timers


def start_timer(poll: Poll) -> None:
    """Close the poll at its deadline (in this process; a later join or vote catches a missed one)."""
    poll_id, closes_at = poll.id, poll.closes_at
    if closes_at is None:  # a poll without a deadline has no timer (the callers check it already)
        return
    realtime_tasks.run_at(
        current_app._get_current_object(),  # type: ignore[attr-defined]  # Flask types current_app as the app it proxies
        closes_at,
        lambda: _close_if_due(poll_id),
        key=("poll deadline", poll_id),  # one timer per poll here, and one across workers
    )


def _close_if_due(poll_id: int) -> None:
    closed = services.close_if_due(db.session, poll_id)
    if closed is not None:
        announce_closed(closed)


def resume_timers() -> None:
    """Once per app and process: re-arm the timers of open timed polls (e.g. after a restart)."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]  # Flask types current_app as the app it proxies
    if app.extensions.get("polls.timers_resumed"):
        return
    app.extensions["polls.timers_resumed"] = True
    running = db.session.scalars(
        select(Poll).where(Poll.status == PollStatus.OPEN.value, Poll.closes_at.is_not(None))
    ).all()
    for poll in running:
        start_timer(poll)
