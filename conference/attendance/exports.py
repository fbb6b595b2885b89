"""CSV exports of the attendance report: one row per session, one row per participant.

Cells that a spreadsheet would run as a formula (starting with = + - @ or a tab/CR) get a leading
apostrophe, so a participant named "=HYPERLINK(...)" stays a name.
"""

from __future__ import annotations

import csv
import io
from datetime import datetime

from ..countries import country_name, m49_subregion
from ..i18n.columns import header_row
from ..programme.models import Event
from .services import ParticipantRow, Report, StayRow

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value) -> str:
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def _write(header: list[str], rows: list[list]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(header_row(header))
    for row in rows:
        writer.writerow([safe_cell(cell) for cell in row])
    return out.getvalue()


def _local(moment: datetime | None, event: Event) -> str:
    return moment.astimezone(event.tz).strftime("%Y-%m-%d %H:%M") if moment else ""


SESSION_HEADER = [
    "session_id",
    "title",
    "kind",
    "parent_id",
    "starts_at_local",
    "ends_at_local",
    "unique",
    "online",
    "on_site",
    "hybrid",
    "peak_online",
    "peak_on_site",
    "peak_combined",
    "entries",
    "online_minutes",
    "door_list",
    "countries",
]


def sessions_csv(report: Report) -> str:
    event = report.event
    rows = [
        [
            s.id,
            s.title,
            s.kind,
            s.parent_id or "",
            _local(s.starts_at, event),
            _local(s.ends_at, event),
            s.unique,
            s.online,
            s.on_site,
            s.hybrid,
            s.peak.online,
            s.peak.on_site,
            s.peak.combined,
            s.entries,
            s.online_seconds // 60,
            "yes" if s.has_door_list else "no",
            len([c for c in s.countries if c.code]),
        ]
        for s in report.sessions
    ]
    return _write(SESSION_HEADER, rows)


PARTICIPANT_HEADER = [
    "user_id",
    "name",
    "email",
    "organisation",
    "country",
    "country_name",
    "region",
    "registered_mode",
    "attended_online",
    "attended_on_site",
    "online_sessions",
    "online_minutes",
    "on_site_sessions",
    "on_site_minutes",
    "first_seen_local",
]


def participants_csv(event: Event, participants: list[ParticipantRow]) -> str:
    rows = [
        [
            p.user_id,
            p.name,
            p.email,
            p.organisation,
            p.country,
            country_name(p.country) if p.country else "",
            m49_subregion(p.country) if p.country else "",
            p.registered_mode,
            "yes" if p.online else "no",
            "yes" if p.on_site else "no",
            p.online_sessions,
            p.online_seconds // 60,
            p.on_site_sessions,
            p.on_site_seconds // 60,
            _local(p.first_seen, event),
        ]
        for p in participants
    ]
    return _write(PARTICIPANT_HEADER, rows)


STAY_HEADER = [
    "user_id",
    "name",
    "email",
    "country",
    "session_id",
    "session_title",
    "mode",
    "started_local",
    "ended_local",
    "minutes",
    "still_present",
]


def stays_csv(event: Event, stays: list[StayRow]) -> str:
    rows = [
        [
            s.user_id,
            s.name,
            s.email,
            s.country,
            s.session_id,
            s.session_title,
            s.mode.replace("_", " "),
            _local(s.started_at, event),
            _local(s.ended_at, event),
            s.seconds // 60,
            "yes" if s.still_present else "no",
        ]
        for s in stays
    ]
    return _write(STAY_HEADER, rows)
