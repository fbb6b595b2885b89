"""A session changed (moved, new room, capacity, stream): tell the open live and agenda pages at once.

`init_app(app)` (called by the rooms feature, not on import) connects the receivers:
- `hooks.session_changed` → `session:updated` to the session's room and to the event's agenda
  watchers (`agenda:<event_id>`);
- the announcements' part of the `join` state.

Agenda pages watch an event with `agenda:watch {event_id}`. A `/live` socket needs a signed-in user or
an API token (anonymous sockets stay refused), so only signed-in visitors' agendas follow changes;
anonymous visitors see the agenda as it was when they loaded it.
"""

from __future__ import annotations

import logging

from flask import has_app_context
from flask_socketio import join_room as enter_socket_room
from flask_socketio import leave_room as leave_socket_room
from pydantic import BaseModel, ConfigDict

from .. import hooks
from ..errors import NotFound
from ..extensions import db, socketio
from ..grants import checks
from ..programme.models import Event, ProgrammeSession
from ..realtime import LIVE, LiveEvents, live_event, ok
from ..wire import Id
from . import services
from .access import agenda_room, event_room, room_name
from .announcements import services as announcements

log = logging.getLogger(__name__)


class EventRef(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)

    event_id: Id


def visible_event(db_session, user, event_id: int) -> Event:
    """A published event, or a draft to the people who run it; otherwise "not found" (drafts stay secret)."""
    event = db_session.get(Event, event_id)
    if event is None or not (event.published or checks.can_see_people(db_session, user, event)):
        raise NotFound("event_not_found", f"there is no event {event_id}")
    return event


live = LiveEvents()  # registered by init_app


@live.on("agenda:watch")
@live_event(EventRef)
def on_agenda_watch(user, payload: EventRef):
    event = visible_event(db.session, user, payload.event_id)
    enter_socket_room(agenda_room(event.id))
    return ok(event_id=event.id)


@live.on("agenda:unwatch")
@live_event(EventRef)
def on_agenda_unwatch(_user, payload: EventRef):
    leave_socket_room(agenda_room(payload.event_id))
    return ok(event_id=payload.event_id)


def announce_session_update(session_id: int, changed=()) -> dict | None:
    """Broadcast the session's current shape to its room and its event's agenda watchers."""
    session = db.session.get(ProgrammeSession, session_id)
    if session is None:
        return None
    db.session.refresh(session)  # the change was committed elsewhere: read what is stored now
    body = services.session_update_payload(session, changed)
    socketio.emit("session:updated", body, to=room_name(session.id), namespace=LIVE)
    socketio.emit("session:updated", body, to=agenda_room(session.event_id), namespace=LIVE)
    return body


def _on_session_changed(
    _event_id, session_id: int | None = None, changes: dict | None = None, **_extra
) -> None:
    if not has_app_context() or session_id is None:
        return
    try:
        announce_session_update(session_id, (changes or {}).keys())
    except Exception:  # the edit is committed already: a failed broadcast must not turn it into an error page
        db.session.rollback()
        log.exception("session:updated broadcast for session %s failed", session_id)


def init_app(app) -> None:
    """The agenda events, the session-change receiver and the announcement part of the join state."""
    live.register()
    hooks.session_changed.connect(_on_session_changed)  # blinker keeps one of each receiver
    hooks.add_join_state_part(
        announcements.join_state, rooms=lambda session: [event_room(session.event_id)], app=app
    )
