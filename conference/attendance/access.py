"""Who may see attendance: the people who run that event (its grants, and admins), never attendees."""

from __future__ import annotations

from flask import current_app

from ..accounts.models import User
from ..db_session import DbSession
from ..errors import Forbidden
from ..grants.checks import can_see_people
from ..programme.models import Event


def ensure_can_see_attendance(db: DbSession, user: User, event: Event) -> None:
    if not can_see_people(db, user, event):
        raise Forbidden("forbidden", "attendance figures are for the people who run this event")


def grace_seconds() -> int:
    return int(current_app.config["ATTENDANCE_GRACE_SECONDS"])


def attendance_room(event_id: int) -> str:
    """The Socket.IO room of an event's live attendance dashboard."""
    return f"attendance:{event_id}"
