"""Live attendance dashboard over /live: subscribe to an event's figures, get fresh ones on changes.

- `attendance:subscribe {event_slug}` → ack `{"ok": true, "report": {...}}` (the API's JSON) and the
  socket enters the Socket.IO room `attendance:<event_id>`. Staff, moderators and admins only.
- `attendance:unsubscribe {event_slug}` leaves it.
- Broadcast `attendance:update` (the same JSON) to that room after check-ins (hooks.checkin_changed)
  and presence changes (hooks.presence_changed), at most once per ATTENDANCE_BROADCAST_SECONDS per
  event: the first change schedules a refresh, later ones until it runs ride along with it.
"""

from __future__ import annotations

import logging

from flask import current_app, has_app_context
from flask_socketio import join_room, leave_room

from .. import hooks, realtime_tasks
from ..extensions import db, socketio
from ..programme.models import Event
from ..programme.services import get_event
from ..realtime import LIVE, LiveEvents, live_event, ok
from . import services
from .access import attendance_room, ensure_can_see_attendance, grace_seconds
from .schemas import Subscribe

log = logging.getLogger(__name__)
UPDATE = "attendance:update"

REFRESH = "attendance.refresh"
live = LiveEvents()  # registered by the feature's init_app


def init_app(app) -> None:
    """The dashboard events, the refresh coalescer, and the receivers of the changes that move figures."""
    live.register()
    realtime_tasks.Coalescer(
        app,
        REFRESH,
        lambda: float(app.config["ATTENDANCE_BROADCAST_SECONDS"]),
        _refresh,
    )
    hooks.checkin_changed.connect(_on_checkin_changed)
    hooks.presence_changed.connect(_on_presence_changed)


@live.on("attendance:subscribe")
@live_event(Subscribe)
def on_subscribe(user, payload: Subscribe):
    event = get_event(db.session, payload.event_slug)
    ensure_can_see_attendance(db.session, user, event)
    report = services.report_off_hub(event, grace_seconds=grace_seconds())
    join_room(attendance_room(event.id))
    return ok(report=services.report_json(report))


@live.on("attendance:unsubscribe")
@live_event(Subscribe)
def on_unsubscribe(user, payload: Subscribe):
    event = get_event(db.session, payload.event_slug)
    leave_room(attendance_room(event.id))
    return ok()


def broadcast_now(event_id: int, server=None) -> None:
    """Compute the event's figures and send them to its dashboards (one emit to one room)."""
    event = db.session.get(Event, event_id)
    if event is None:
        return
    report = services.report_off_hub(event, grace_seconds=grace_seconds())
    (server or socketio.server).emit(  # type: ignore[attr-defined]  # the stubs leave .server out
        UPDATE, services.report_json(report), to=attendance_room(event_id), namespace=LIVE
    )


def _may_have_subscribers(app, event_id: int) -> bool:
    """False only when certain that no dashboard of this event is open: computing the figures costs
    a few hundred milliseconds on a big event. With a message queue, subscribers may sit in another
    process, which this one cannot see."""
    if app.config["SOCKETIO_MESSAGE_QUEUE"] or socketio.server is None:  # type: ignore[attr-defined]  # the stubs leave .server out
        return True
    return (
        next(iter(socketio.server.manager.get_participants(LIVE, attendance_room(event_id))), None)  # type: ignore[attr-defined]  # the stubs leave .server out
        is not None
    )


def schedule_broadcast(event_id: int) -> None:
    """Refresh the dashboards of an event soon, coalescing bursts of changes into one broadcast."""
    if not has_app_context() or event_id is None:
        return
    app = current_app._get_current_object()  # type: ignore[attr-defined]  # Flask types current_app as the app it proxies
    if not _may_have_subscribers(app, event_id):
        return
    try:
        realtime_tasks.coalescer(app, REFRESH).touch(event_id)
    except Exception:  # the dashboard must never break the scan or the join that triggered it
        db.session.rollback()
        log.exception("attendance refresh of event %s failed", event_id)


def _refresh(event_id: int) -> None:
    broadcast_now(event_id, realtime_tasks.live_server(current_app))


def _on_checkin_changed(event_id, **_extra) -> None:
    schedule_broadcast(event_id)


def _on_presence_changed(event_id, **_extra) -> None:
    schedule_broadcast(event_id)
