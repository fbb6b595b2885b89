"""Who may see attendance: the people who run the event (staff, moderators, admins), never attendees."""
from __future__ import annotations

from flask import current_app

from ..accounts.models import User
from ..errors import Forbidden
from .services import DEFAULT_GRACE_SECONDS

ROLES = ("staff", "moderator")  # admins always pass role_required


def ensure_can_see_attendance(user: User) -> None:
    if not user.is_organiser:
        raise Forbidden("forbidden", "attendance figures are for the event's staff, moderators and admins")


def grace_seconds() -> int:
    return int(current_app.config.get("ATTENDANCE_GRACE_SECONDS", DEFAULT_GRACE_SECONDS))


def attendance_room(event_id: int) -> str:
    """The Socket.IO room of an event's live attendance dashboard."""
    return f"attendance:{event_id}"
