"""The one shape of an announcement, for the back-office form and the /live events alike."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, StringConstraints

from ...wire import Id
from .models import TEXT_MAX

AnnouncementText = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=TEXT_MAX)]


class AnnouncementForm(BaseModel):
    """What the organiser types on /manage/events/<slug>/announcements."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    text: AnnouncementText


class SendAnnouncement(AnnouncementForm):
    """`announcement:send` on /live: the same text rule, and the event it goes to."""

    event_id: Id


class AnnouncementRef(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)

    announcement_id: Id
