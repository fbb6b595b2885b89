"""The sections of an event's back-office, in the order organisers work through them.

Each feature serves its own section from its own folder (programme, registrations, check-in,
documents, ...); this list only names them for the navigation. A section whose endpoint is not
registered in the app is left out of the navigation.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import current_app
from flask_babel import lazy_gettext as _l
from flask_babel.speaklater import LazyString


@dataclass(frozen=True)
class Section:
    endpoint: str
    label: str | LazyString  # read in the page's language
    # Which check of conference.grants.checks decides whether the section is shown.
    needs: str = "manage"


EVENT_SECTIONS = (
    Section("manage.event_dashboard", _l("Overview"), "see_people"),
    Section("programme_manage.edit_event", _l("Event")),
    Section("programme_manage.programme", _l("Programme")),
    Section("schedule.manage", _l("Programme file")),
    Section("documents.manage", _l("Documents")),
    Section("registrations_manage.form_fields", _l("Registration form")),
    Section("registrations_manage.participants", _l("Participants"), "see_people"),
    Section("checkin_manage.doors", _l("Doors")),
    Section("grants.team", _l("Team")),
    Section("rooms_manage.announcements", _l("Announcements"), "moderate_event"),
    Section("board_manage.settings", _l("Discussion board")),
    Section("feedback_manage.results", _l("Feedback")),
    Section("certificates_manage.manage", _l("Certificates")),
    Section("matchmaking_manage.overview", _l("Matchmaking")),
)


def available(sections: tuple[Section, ...] = EVENT_SECTIONS) -> list[Section]:
    return [s for s in sections if s.endpoint in current_app.view_functions]
