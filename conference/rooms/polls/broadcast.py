"""Who receives a poll's results, when, and how often.

- `TallyBroadcaster`: votes only mark their poll dirty; one background task per process wakes every
  `INTERVAL` seconds and sends each dirty poll's full counts, read from the database, once. A storm of
  thousands of votes a second thus costs each room at most 1/INTERVAL tally updates a second.
- `announce_closed`: the exact final counts, read after the close committed.
- Timers close timed polls at their deadline; `resume_timers` re-arms them in a fresh process, and
  `services.close_due_polls` catches any deadline missed while no process was running.

Results go to the whole room only when every participant may see them; otherwise to the
moderators' room only.
"""
from __future__ import annotations

import logging
import threading

from flask import Flask, current_app

from ...db_types import utcnow
from ...extensions import db, socketio
from ...realtime import LIVE
from ..access import moderators_room, room_name
from . import services
from .models import Poll, PollStatus

log = logging.getLogger(__name__)

INTERVAL = 0.25  # seconds between two tally updates of one poll: at most 4 a second


def results_room(poll: Poll) -> str:
    return room_name(poll.session_id) if services.results_public(poll) else moderators_room(poll.session_id)


class TallyBroadcaster:
    """Coalesces the tally updates of one app in this process."""

    def __init__(self, app: Flask):
        self.app = app
        # This app's Socket.IO server: a task that outlives its app (tests build many) must not
        # send into the next app's rooms through the shared `socketio` object.
        self.server = socketio.server
        self._dirty: set[int] = set()
        self._running = False
        self._lock = threading.Lock()

    def mark_dirty(self, poll_id: int) -> None:
        with self._lock:
            self._dirty.add(poll_id)
            if self._running:
                return
            self._running = True
        socketio.start_background_task(self._run)

    def forget(self, poll_id: int) -> None:
        """The poll closed: its final counts go out with `poll:closed`, not as an update."""
        with self._lock:
            self._dirty.discard(poll_id)

    def _run(self) -> None:
        # The task ends when a round finds nothing to send; the next vote starts a new one.
        while True:
            socketio.sleep(INTERVAL)
            with self._lock:
                batch, self._dirty = self._dirty, set()
                if not batch:
                    self._running = False
                    return
            self._send(batch)

    def _send(self, poll_ids: set[int]) -> None:
        with self.app.app_context():
            try:
                for poll_id in sorted(poll_ids):
                    poll = db.session.get(Poll, poll_id)
                    # A closed poll's last word is its `poll:closed`; a late update could be older.
                    if poll is not None and poll.status == PollStatus.OPEN.value:
                        self.server.emit("poll:results", services.tally(db.session, poll),
                                         to=results_room(poll), namespace=LIVE)
            except Exception:  # a failed round must not stop later updates
                log.exception("sending poll tallies failed")
            finally:
                db.session.remove()


def broadcaster() -> TallyBroadcaster:
    app = current_app._get_current_object()
    found = app.extensions.get("polls.broadcaster")
    if found is None:
        found = app.extensions["polls.broadcaster"] = TallyBroadcaster(app)
    return found


def announce_opened(poll: Poll) -> None:
    socketio.emit("poll:opened", {"poll": services.poll_dict(poll)}, to=room_name(poll.session_id), namespace=LIVE)
    if poll.closes_at is not None:
        start_timer(poll.id)


def announce_closed(poll: Poll) -> None:
    """Send the exact final counts to whoever may see them; the rest of the room learns it closed."""
    broadcaster().forget(poll.id)
    final = services.tally(db.session, poll)
    body = {"poll_id": poll.id, "poll": services.poll_dict(poll)}
    if services.results_public(poll):
        socketio.emit("poll:closed", {**body, "results": final}, to=room_name(poll.session_id), namespace=LIVE)
        return
    socketio.emit("poll:closed", {**body, "results": None}, to=room_name(poll.session_id), namespace=LIVE)
    socketio.emit("poll:closed", {**body, "results": final}, to=moderators_room(poll.session_id), namespace=LIVE)


def close_due_and_announce(session_id: int | None = None) -> None:
    for poll in services.close_due_polls(db.session, session_id=session_id):
        announce_closed(poll)


# --------------------------------------------------------------------------- timers

def start_timer(poll_id: int) -> None:
    socketio.start_background_task(_close_when_due, current_app._get_current_object(), socketio.server, poll_id)


def _close_when_due(app: Flask, server, poll_id: int) -> None:
    with app.app_context():
        try:
            poll = db.session.get(Poll, poll_id)
            if poll is None or poll.closes_at is None:
                return
            wait = (poll.closes_at - utcnow()).total_seconds()
            db.session.remove()  # hold no connection while sleeping
            if wait > 0:
                socketio.sleep(wait)
            if socketio.server is not server:
                return  # this app has been replaced (tests); the next join or vote closes the poll
            closed = services.close_if_due(db.session, poll_id)
            if closed is not None:
                announce_closed(closed)
        except Exception:
            log.exception("closing timed poll %s failed", poll_id)
        finally:
            db.session.remove()


def resume_timers() -> None:
    """Once per app and process: re-arm the timers of open timed polls (e.g. after a restart)."""
    app = current_app._get_current_object()
    if app.extensions.get("polls.timers_resumed"):
        return
    app.extensions["polls.timers_resumed"] = True
    from sqlalchemy import select

    running = db.session.scalars(
        select(Poll.id).where(Poll.status == PollStatus.OPEN.value, Poll.closes_at.is_not(None))
    ).all()
    for poll_id in running:
        start_timer(poll_id)
