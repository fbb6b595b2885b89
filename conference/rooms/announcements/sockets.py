"""Announcement events on `/live` (moderator console) and the broadcasts every sender uses.

Client → server: `announcement:send {event_id, text}`, `announcement:withdraw {announcement_id}`.
Server → clients, to `event:<event_id>` (every socket in a live room of the event), once each:
`announcement:new {announcement}`, `announcement:withdrawn {announcement_id, event_id, current}`.
"""

from __future__ import annotations

from ...extensions import db, socketio
from ...realtime import LIVE, LiveEvents, live_event, ok
from ..access import event_room
from . import services
from .models import Announcement
from .schemas import AnnouncementRef, SendAnnouncement


def broadcast_new(announcement: Announcement) -> dict:
    body = services.announcement_payload(announcement)
    socketio.emit(
        "announcement:new", {"announcement": body}, to=event_room(announcement.event_id), namespace=LIVE
    )
    return body


def broadcast_withdrawn(announcement: Announcement) -> dict:
    """Tell the rooms it is gone, and which one (an older, still standing) the banners show now."""
    current = services.current_announcement(db.session, announcement.event_id)
    body = {
        "announcement_id": announcement.id,
        "event_id": announcement.event_id,
        "current": services.announcement_payload(current) if current is not None else None,
    }
    socketio.emit("announcement:withdrawn", body, to=event_room(announcement.event_id), namespace=LIVE)
    return body


live = LiveEvents()  # registered by the feature's init_app


def init_app(app) -> None:
    live.register()


@live.on("announcement:send")
@live_event(SendAnnouncement)
def on_announcement_send(user, payload: SendAnnouncement):
    event = services.get_event_by_id(db.session, payload.event_id)
    announcement = services.send_announcement(db.session, user, event, payload.text)
    return ok(announcement=broadcast_new(announcement))


@live.on("announcement:withdraw")
@live_event(AnnouncementRef)
def on_announcement_withdraw(user, payload: AnnouncementRef):
    announcement = services.withdraw_announcement(db.session, user, payload.announcement_id)
    body = broadcast_withdrawn(announcement)
    return ok(announcement_id=announcement.id, current=body["current"])
