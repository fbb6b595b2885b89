"""Live check-in numbers over Socket.IO (/live).

- `checkin:watch {event_id}`: staff of the event (and admins) enter the room `checkin:<event_id>`; the
  ack carries every list's stats.
- Broadcast `checkin:stats {event_id, list: {...stats}, session_ids}` after accepted entries, exits,
  undos or automatic check-outs: to `checkin:<event_id>` and to `moderators:<session_id>` of the
  session whose door list moved (the moderator console's "on site" number). One emit per room, at
  most one per list and CHECKIN_STATS_COALESCE_SECONDS (a `realtime_tasks.Coalescer`), with the
  numbers read when it leaves.
"""

from __future__ import annotations

import logging

from flask import current_app, has_app_context
from flask_socketio import join_room

from .. import hooks, realtime_tasks
from ..extensions import db
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


STATS_COALESCER = "checkin.stats"


def init_app(app) -> None:
    live.register()
    realtime_tasks.Coalescer(
        app, STATS_COALESCER, lambda: app.config["CHECKIN_STATS_COALESCE_SECONDS"], _flush_stats
    )
    hooks.checkin_changed.connect(broadcast_stats)


@live.on("checkin:watch")
@live_event(WatchIn)
def watch(user, payload: WatchIn):
    ensure_can_scan(db.session, user, payload.event_id)
    join_room(staff_room(payload.event_id), namespace=LIVE)
    return ok(event_id=payload.event_id, lists=event_stats(db.session, payload.event_id))


def broadcast_stats(event_id, session_ids=(), list_id=None, **_extra):
    """Runs right after the commit of an accepted change: the list's numbers leave now, or once at the
    end of the coalescing interval for every change of that interval."""
    if list_id is None or not has_app_context():
        return
    realtime_tasks.coalescer(current_app, STATS_COALESCER).touch(list_id)


def _flush_stats(list_id: int) -> None:
    """The list's current numbers to its staff room (and its session's moderators); a failure here
    must not undo the scan that asked for it (it is committed already)."""
    try:
        checkin_list = db.session.get(CheckinList, list_id)
        if checkin_list is None:
            return
        session_ids = [checkin_list.session_id] if checkin_list.session_id else []
        payload = {
            "event_id": checkin_list.event_id,
            "list": list_stats(db.session, checkin_list),
            "session_ids": session_ids,
        }
        server = realtime_tasks.live_server(current_app)
        server.emit(STATS_EVENT, payload, to=staff_room(checkin_list.event_id), namespace=LIVE)
        for session_id in session_ids:
            server.emit(STATS_EVENT, payload, to=moderators_room(session_id), namespace=LIVE)
    except Exception:
        log.exception("could not broadcast check-in stats")
