"""The sections of an event's back-office, in the order organisers work through them.

Each feature serves its own section from its own folder (programme, registrations, check-in,
documents, ...); this list only names them for the navigation. A section whose endpoint is not
registered in the app is left out of the navigation.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import current_app


@dataclass(frozen=True)
class Section:
    endpoint: str
    label: str
    # Which check of conference.grants.checks decides whether the section is shown.
    needs: str = "manage"


EVENT_SECTIONS = (
    Section("manage.event_dashboard", "Overview", "see_people"),
    Section("programme_manage.edit_event", "Event"),
    Section("programme_manage.programme", "Programme"),
    Section("schedule.manage", "Programme file"),
    Section("documents.manage", "Documents"),
    Section("registrations_manage.form_fields", "Registration form"),
    Section("registrations_manage.participants", "Participants", "see_people"),
    Section("checkin_manage.doors", "Doors"),
    Section("grants.team", "Team"),
    Section("rooms_manage.announcements", "Announcements", "moderate_event"),
    Section("board_manage.settings", "Discussion board"),
    Section("feedback_manage.results", "Feedback"),
    Section("certificates_manage.manage", "Certificates"),
    Section("matchmaking_manage.overview", "Matchmaking"),
)


def available(sections: tuple[Section, ...] = EVENT_SECTIONS) -> list[Section]:
    return [s for s in sections if s.endpoint in current_app.view_functions]
