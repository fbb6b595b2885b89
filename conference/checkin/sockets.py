"""Live check-in numbers over Socket.IO (/live).

- `checkin:watch {event_id}`: staff of the event (and admins) enter the room `checkin:<event_id>`; the
  ack carries every list's stats.
- Broadcast `checkin:stats {event_id, list: {...stats}, session_ids}` after every accepted entry, exit,
  undo or automatic check-out: to `checkin:<event_id>` and to `moderators:<session_id>` of the session
  whose door list moved (the moderator console's "on site" number). One emit per room.
"""

from __future__ import annotations

import logging

from flask_socketio import join_room

from .. import hooks
from ..extensions import db, socketio
from ..grants.checks import ensure_can_scan
from ..realtime import LIVE, LiveEvents, live_event, ok
from ..rooms.access import moderators_room
from .models import CheckinList
from .schemas import WatchIn
from .stats import event_stats, list_stats

log = logging.getLogger(__name__)
STATS_EVENT = "checkin:stats"


def staff_room(event_id: int) -> str:
    return f"checkin:{event_id}"


live = LiveEvents()  # registered by the feature's init_app


def init_app(app) -> None:
    live.register()
    hooks.checkin_changed.connect(broadcast_stats)


@live.on("checkin:watch")
@live_event(WatchIn)
def watch(user, payload: WatchIn):
    ensure_can_scan(db.session, user, payload.event_id)
    join_room(staff_room(payload.event_id), namespace=LIVE)
    return ok(event_id=payload.event_id, lists=event_stats(db.session, payload.event_id))


def broadcast_stats(event_id, session_ids=(), list_id=None, **_extra):
    """Runs right after the commit of an accepted change; a failure here must not undo the scan."""
    if list_id is None:
        return
    try:
        checkin_list = db.session.get(CheckinList, list_id)
        if checkin_list is None:
            return
        payload = {
            "event_id": event_id,
            "list": list_stats(db.session, checkin_list),
            "session_ids": list(session_ids),
        }
        socketio.emit(STATS_EVENT, payload, to=staff_room(event_id), namespace=LIVE)
        for session_id in session_ids:
            socketio.emit(STATS_EVENT, payload, to=moderators_room(session_id), namespace=LIVE)
    except Exception:
        log.exception("could not broadcast check-in stats")
