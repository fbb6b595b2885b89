"""Interpretation on `/live`: moderators switch a channel live or off; every picker in the room follows.

Client → server: `interpretation:live {session_id, language, live}` (the session's moderators and the
event's organisers) → ack `{ok, channels}`.
Server → clients, to `session:<id>` once: `interpretation:channels {session_id, channels}` after a
switch, after an organiser changed the channels, and when the session's own stream (its floor) changed.
"""

from __future__ import annotations

import logging

from flask import has_app_context

from .. import hooks
from ..extensions import db, socketio
from ..programme.models import ProgrammeSession
from ..realtime import LIVE, LiveEvents, live_event, ok
from ..rooms.access import get_live_session, room_name
from . import services
from .schemas import ChannelLive

log = logging.getLogger(__name__)

live = LiveEvents()  # registered by init_app


def broadcast_channels(session: ProgrammeSession) -> list[dict]:
    """Tell the session's room what its channels are now (once, to the room)."""
    channels = services.channel_list(db.session, session)
    socketio.emit(
        "interpretation:channels",
        {"session_id": session.id, "channels": channels},
        to=room_name(session.id),
        namespace=LIVE,
    )
    return channels


@live.on("interpretation:live")
@live_event(ChannelLive)
def on_interpretation_live(user, payload: ChannelLive):
    session = get_live_session(db.session, payload.session_id)
    services.set_live(db.session, user, session, payload.language, payload.live)
    return ok(session_id=session.id, channels=broadcast_channels(session))


def _on_session_changed(_event_id, session_id: int | None = None, changes: dict | None = None, **_extra):
    if not has_app_context() or session_id is None or "stream_url" not in (changes or {}):
        return
    try:
        session = db.session.get(ProgrammeSession, session_id)
        if session is not None:
            broadcast_channels(session)
    except Exception:  # the edit is committed already: a failed broadcast must not make it an error page
        db.session.rollback()
        log.exception("interpretation:channels broadcast for session %s failed", session_id)


def init_app(app) -> None:
    live.register()
    hooks.session_changed.connect(_on_session_changed)  # blinker keeps one of each receiver
    hooks.add_join_state_part(services.shared_join_state, app=app)
