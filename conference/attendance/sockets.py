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
import threading

from flask import current_app, has_app_context
from flask_socketio import join_room, leave_room

from .. import hooks
from ..extensions import db, socketio
from ..programme.models import Event
from ..programme.services import get_event
from ..realtime import LIVE, live_event, ok
from . import services
from .access import attendance_room, ensure_can_see_attendance, grace_seconds
from .schemas import Subscribe

log = logging.getLogger(__name__)
UPDATE = "attendance:update"
DEFAULT_BROADCAST_SECONDS = 5.0

# (app, event id) pairs with a refresh already scheduled in this process.
_pending: set[tuple[int, int]] = set()
_pending_lock = threading.Lock()


@socketio.on("attendance:subscribe", namespace=LIVE)
@live_event(Subscribe)
def on_subscribe(user, payload: Subscribe):
    event = get_event(db.session, payload.event_slug)
    ensure_can_see_attendance(db.session, user, event)
    report = services.report(db.session, event, grace_seconds=grace_seconds())
    join_room(attendance_room(event.id))
    return ok(report=services.report_json(report))


@socketio.on("attendance:unsubscribe", namespace=LIVE)
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
    report = services.report(db.session, event, grace_seconds=grace_seconds())
    (server or socketio.server).emit(UPDATE, services.report_json(report), to=attendance_room(event_id),
                                     namespace=LIVE)


def _may_have_subscribers(app, event_id: int) -> bool:
    """False only when certain that no dashboard of this event is open: computing the figures costs
    a few hundred milliseconds on a big event. With a message queue, subscribers may sit in another
    process, which this one cannot see."""
    if app.config.get("SOCKETIO_MESSAGE_QUEUE") or socketio.server is None:
        return True
    return next(iter(socketio.server.manager.get_participants(LIVE, attendance_room(event_id))), None) is not None


def schedule_broadcast(event_id: int) -> None:
    """Refresh the dashboards of an event soon, coalescing bursts of changes into one broadcast."""
    if not has_app_context() or event_id is None:
        return
    app = current_app._get_current_object()
    if not _may_have_subscribers(app, event_id):
        return
    delay = float(app.config.get("ATTENDANCE_BROADCAST_SECONDS", DEFAULT_BROADCAST_SECONDS))
    if delay <= 0:
        try:
            broadcast_now(event_id)
        except Exception:  # the dashboard must never break the scan or the join that triggered it
            db.session.rollback()
            log.exception("attendance refresh of event %s failed", event_id)
        return
    key = (id(app), event_id)
    with _pending_lock:
        if key in _pending:
            return
        _pending.add(key)
    # The task keeps this app and its Socket.IO server even if another app is created meanwhile.
    socketio.start_background_task(_broadcast_later, app, socketio.server, key, delay)


def _broadcast_later(app, server, key: tuple[int, int], delay: float) -> None:
    socketio.sleep(delay)
    with _pending_lock:  # changes from here on schedule the next refresh
        _pending.discard(key)
    event_id = key[1]
    with app.app_context():
        try:
            broadcast_now(event_id, server)
        except Exception:  # a failed refresh must not kill the server; the next change retries
            log.exception("attendance refresh of event %s failed", event_id)
        finally:
            db.session.remove()


@hooks.checkin_changed.connect
def _on_checkin_changed(event_id, **_extra) -> None:
    schedule_broadcast(event_id)


@hooks.presence_changed.connect
def _on_presence_changed(event_id, **_extra) -> None:
    schedule_broadcast(event_id)
