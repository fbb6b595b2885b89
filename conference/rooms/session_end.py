"""When a session is over: a timer at its scheduled end, and a moderator closing its room.

Either way the room hears `session:ended` ({session_id, reason}) and `hooks.session_ended` is sent,
once committed (the discussion board takes the unanswered questions; the live page offers the
feedback survey). Timers are `realtime_tasks.run_at` at the session's `ends_at`, armed when someone
joins the room (a session nobody joined has no questions to move), when the programme moves a
session, and once per process for every room still to end. A timer that wakes to find the session
moved later waits again; one armed for an end time that changed stops (another timer covers the new
one). Several processes may each fire: the receivers are idempotent.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import select

from .. import hooks, realtime_tasks
from ..db_types import utcnow
from ..extensions import db
from ..programme.models import ProgrammeSession
from ..realtime import LIVE
from .access import room_name
from .models import LiveRoom

# After a restart, sessions that ended this recently are announced again (reason "resumed"), so a
# session whose end passed while no server ran still moves its questions.
CATCH_UP = timedelta(days=14)
RESUMED = "session_end.resumed"


def init_app(app) -> None:
    hooks.add_after_join(_arm_after_join, app)
    hooks.session_changed.connect(_on_session_changed)  # blinker keeps one of each receiver


def arm(session: ProgrammeSession) -> None:
    """Fire `ended` at the session's end time (once per session and end time in this process)."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]  # Flask types current_app as the app it proxies
    session_id, ends_at = session.id, session.ends_at
    realtime_tasks.run_at(
        app, ends_at, lambda: _fire_if_due(session_id, ends_at), key=("session end", session_id, ends_at)
    )


def announce(event_id: int, session_id: int, reason: str) -> None:
    """Tell the room and the other features that this session's Q&A is over (after commit)."""
    if reason != "resumed":
        realtime_tasks.live_server(current_app).emit(
            "session:ended",
            {"session_id": session_id, "reason": reason},
            to=room_name(session_id),
            namespace=LIVE,
        )
    hooks.session_ended.send(event_id, session_id=session_id, reason=reason)


def _fire_if_due(session_id: int, armed_for: datetime) -> float | None:
    session = db.session.get(ProgrammeSession, session_id)
    if session is None or session.ends_at != armed_for:
        return None  # deleted, or moved: the timer armed for the new end time covers it
    left = (session.ends_at - utcnow()).total_seconds()
    if left > 0:
        return left
    announce(session.event_id, session.id, "ended")
    return None


def _arm_after_join(_db, _user, session: ProgrammeSession) -> None:
    resume()
    if session.ends_at > utcnow():
        arm(session)


def _on_session_changed(event_id, session_id=None, changes=None, **_extra) -> None:
    if not changes or "ends_at" not in changes:
        return
    session = db.session.get(ProgrammeSession, session_id)
    if session is not None and session.ends_at > utcnow():
        arm(session)


def resume() -> None:
    """Once per app and process: arm the timers of the rooms still to end, and announce the ones that
    ended lately while no timer ran (their receivers do nothing when there is nothing left to do)."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]  # Flask types current_app as the app it proxies
    if app.extensions.get(RESUMED):
        return
    app.extensions[RESUMED] = True
    now = utcnow()
    # Only rooms someone entered have questions (a room's row is made on the first join).
    sessions = db.session.scalars(
        select(ProgrammeSession)
        .join(LiveRoom, LiveRoom.session_id == ProgrammeSession.id)
        .where(ProgrammeSession.ends_at > now - CATCH_UP)
    ).all()
    for session in sessions:
        if session.ends_at > now:
            arm(session)
        else:
            announce(session.event_id, session.id, "resumed")
