"""iCalendar (RFC 5545) files: the whole event and one session, in the event's own time zone.

Written with the `icalendar` library, which does the RFC 5545 escaping (`,` `;` `\\` and new
lines in text) and folds lines at 75 octets. Times are written as `DTSTART;TZID=<zone>:...` with
a VTIMEZONE built from the zone database for the event's dates (so a calendar shows the right hour
even across a clock change), and every VEVENT keeps one UID per session for good, so a calendar
that imports the file again updates its entries instead of doubling them.

`event_calendar` (the programme, plus one person's own entries such as their accepted meetings) and
`session_calendar` are plain functions (the mail feature attaches the event's file to confirmation
e-mails); `base_url` is the event's public address ending in "/", or "".

`language`: the event's and sessions' titles and descriptions in that language where the organisers
translated them (the original otherwise, i18n/content.py), and the file's own words ("Speakers") in
it too; a download passes the viewer's language, a mail attachment the recipient's. Without it, the
original texts.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import lru_cache

from flask_babel import force_locale
from flask_babel import gettext as _
from icalendar import Calendar, Timezone
from icalendar import Event as VEvent
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from ..db_session import DbSession
from ..db_types import utcnow
from ..i18n.content import localized
from ..programme.models import Event, ProgrammeSession

PRODID = "-//conference//hybrid events platform//EN"
UID_DOMAIN = "conference.invalid"


def event_uid(event: Event) -> str:
    return f"event-{event.id}@{UID_DOMAIN}"


def session_uid(session: ProgrammeSession) -> str:
    """Stable for the session's life: its database id never changes (its guid may be assigned later)."""
    return f"session-{session.id}-event-{session.event_id}@{UID_DOMAIN}"


def _calendar(event: Event, name: str) -> Calendar:
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    calendar.add("x-wr-calname", name)
    calendar.add("x-wr-timezone", event.timezone)
    return calendar


def _finish(calendar: Calendar, event: Event) -> bytes:
    # The VTIMEZONE covers the event's dates (with a margin) rather than 1970-2038: its clock
    # changes are the ones that matter, and the file stays small.
    tz = event.tz
    first = (event.starts_at.astimezone(tz) - timedelta(days=366)).date()
    last = (event.ends_at.astimezone(tz) + timedelta(days=366)).date()
    present = len(calendar.timezones)
    for tzid in sorted(calendar.get_missing_tzids()):
        timezone = _vtimezone(tzid, first, last)
        if timezone is not None:
            calendar.subcomponents.insert(present, timezone)  # before the events that name it
            present += 1
    return calendar.to_ical()


@lru_cache(maxsize=128)
def _vtimezone(tzid: str, first: date, last: date) -> Timezone | None:
    """The VTIMEZONE of `tzid` over these dates, or None for a zone the database does not know.

    Built once per zone and dates: computing the transitions costs tens of milliseconds, and every
    confirmation e-mail of an event carries the same one (an import of 450 people built it 450 times).
    The component is shared between calendars, which only read it while they are serialised.
    """
    try:
        return Timezone.from_tzid(tzid, first_date=first, last_date=last)
    except ValueError:
        return None


def _location(event: Event, room: str = "") -> str:
    return ", ".join(part for part in (room, event.venue, event.city) if part)


def _text(row: Event | ProgrammeSession, field: str, language: str | None) -> str:
    """The row's `field` in `language` when translated, else (or without a language) the original."""
    return localized(row, field, language) if language else getattr(row, field)


@contextmanager
def _written_in(language: str | None) -> Iterator[None]:
    """The file's own words in `language` (the current locale's when None)."""
    with force_locale(language) if language else nullcontext():
        yield


def _session_component(
    session: ProgrammeSession, event: Event, base_url: str, stamp, language: str | None = None
) -> VEvent:
    tz = event.tz
    component = VEvent()
    component.add("uid", session_uid(session))
    component.add("dtstamp", stamp)
    component.add("dtstart", session.starts_at.astimezone(tz))
    component.add("dtend", session.ends_at.astimezone(tz))
    component.add("summary", _text(session, "title", language))
    description = _text(session, "description", language)
    lines = [description] if description else []
    if session.speakers:
        lines.append(_("Speakers: %(names)s", names="; ".join(s.name for s in session.speakers)))
    if lines:
        component.add("description", "\n\n".join(lines))
    location = _location(event, session.room)
    if location:
        component.add("location", location)
    if session.track is not None:
        component.add("categories", [session.track.name])
    if base_url:
        component.add("url", f"{base_url}sessions/{session.id}")
    return component


def _event_component(event: Event, base_url: str, stamp, language: str | None = None) -> VEvent:
    tz = event.tz
    component = VEvent()
    component.add("uid", event_uid(event))
    component.add("dtstamp", stamp)
    component.add("dtstart", event.starts_at.astimezone(tz))
    component.add("dtend", event.ends_at.astimezone(tz))
    component.add("summary", _text(event, "title", language))
    description = _text(event, "description", language)
    if description:
        component.add("description", description)
    location = _location(event)
    if location:
        component.add("location", location)
    if base_url:
        component.add("url", base_url)
    return component


@dataclass(frozen=True)
class CalendarEntry:
    """One person's own entry in their calendar (a meeting), beside the programme's sessions."""

    uid: str  # stable for the entry's life, so a calendar updates it instead of doubling it
    starts_at: datetime
    ends_at: datetime
    summary: str
    description: str = ""
    location: str = ""
    url: str = ""


def _entry_component(entry: CalendarEntry, event: Event, stamp) -> VEvent:
    tz = event.tz
    component = VEvent()
    component.add("uid", entry.uid)
    component.add("dtstamp", stamp)
    component.add("dtstart", entry.starts_at.astimezone(tz))
    component.add("dtend", entry.ends_at.astimezone(tz))
    component.add("summary", entry.summary)
    for name in ("description", "location", "url"):
        if getattr(entry, name):
            component.add(name, getattr(entry, name))
    return component


def event_calendar(
    db: DbSession,
    event: Event,
    *,
    base_url: str = "",
    with_sessions: bool = True,
    entries: tuple[CalendarEntry, ...] | list[CalendarEntry] = (),
    name: str | None = None,
    language: str | None = None,
) -> bytes:
    """The event as one entry, followed by every session of its programme (UTF-8 bytes), and then
    `entries` (one person's own, for their personal agenda)."""
    stamp = utcnow()
    calendar = _calendar(event, name or _text(event, "title", language))
    with _written_in(language):
        calendar.add_component(_event_component(event, base_url, stamp, language))
        for entry in entries:
            calendar.add_component(_entry_component(entry, event, stamp))
        if with_sessions:
            sessions = db.scalars(
                select(ProgrammeSession)
                .where(ProgrammeSession.event_id == event.id)
                .options(selectinload(ProgrammeSession.speakers), selectinload(ProgrammeSession.track))
                .order_by(ProgrammeSession.starts_at, ProgrammeSession.id)
            )
            for session in sessions:
                calendar.add_component(_session_component(session, event, base_url, stamp, language))
    return _finish(calendar, event)


def session_calendar(
    db: DbSession, session: ProgrammeSession, *, base_url: str = "", language: str | None = None
) -> bytes:
    """One session of the programme (UTF-8 bytes)."""
    event = db.get_one(Event, session.event_id)
    calendar = _calendar(event, _text(session, "title", language))
    with _written_in(language):
        calendar.add_component(_session_component(session, event, base_url, utcnow(), language))
    return _finish(calendar, event)
