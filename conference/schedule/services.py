"""Import and export a whole programme as a frab/pretalx `schedule.json` (see `schemas` for the format).

Export: the event, its tracks, rooms and sessions by local day and room, with speakers. Sessions and
speakers without a guid get a random one stored on the first export, so a file exported twice (and
imported back) names the same talks.

Import, in one transaction, all or nothing:
- Times: a talk's `date` with an offset is an instant; a `date` without one, or a day's `date` plus
  the talk's `start`, is read in the file's `time_zone_name` (the event's zone when missing). We store
  UTC. `duration` is elapsed time, so a talk across a clock change keeps its length.
- Matching: sessions by guid (a talk with only an `id` gets a guid derived from it and the file's
  `base_url`), tracks by name, speakers by guid, else by name among speakers without a guid.
  Session guids are unique across the platform: when another event already holds a talk's guid (the
  file was exported from there), the copy in this event stores a guid derived from the event and the
  file's guid, and later imports of the same file find it again through the same derivation.
- What is not in the file is left alone: sessions, tracks and speakers of the event that the file
  does not mention are neither changed nor deleted (a file from pretalx usually lacks the
  organisers' own sessions), and a talk's speakers are replaced by the file's persons.
- The event's own settings (title, dates, zone) are not changed: talks must lie within the event.
- Refused, with the JSON path of each problem (`days[1].rooms.Hall A[3].start`): invalid JSON or
  layout, an unknown time zone, a conference ending before it starts, a talk outside the event or of
  no length, a time that does not exist in the zone (skipped by a clock change), duplicate guids,
  a parent that is neither in the file nor in the event.
- Not kept: `subtitle`, `links`, `attachments`, `do_not_record` and the rooms' list (a session's
  room is its name); `abstract` and `description` become one description (both, when they differ).
- `type` maps to our session kind (talk/lecture/other -> thematic, workshop/hands-on -> workshop,
  our own kind names as themselves); the exact kind travels in the `conference` key.
"""

from __future__ import annotations

import hashlib
import json
import re
import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import ValidationError
from sqlalchemy import func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from ..db_session import DbSession
from ..errors import Conflict, ServiceError
from ..hooks import session_changed
from ..i18n.content import localized
from ..programme.models import SESSION_KINDS, Event, ProgrammeSession, Speaker, Track
from .schemas import PersonIn, ScheduleFile, TalkIn

# Our namespace for guids we derive (rooms, talks known only by id, copies into another event).
GUID_NAMESPACE = uuid.UUID("6f1c2a52-3f0e-5c43-9a55-2c6b7e0d4a11")
FORMAT_VERSION_PREFIX = "conference"
MAX_FILE_BYTES = 5 * 1024 * 1024
# Changes of these fields are announced with `hooks.session_changed` (door lists, open pages).
ANNOUNCED_FIELDS = ("starts_at", "ends_at", "room", "capacity", "stream_url")

_TYPE_TO_KIND = {
    "talk": "thematic",
    "lecture": "thematic",
    "panel": "thematic",
    "discussion": "thematic",
    "hands-on": "workshop",
    "workshop": "workshop",
    "meeting": "workshop",
    "keynote": "keynote",
    "plenary": "plenary",
    "breakout": "breakout",
}


# ---------------------------------------------------------------------------------------------
# Export


def _ensure_guids(db: DbSession, event: Event) -> None:
    """Give every session and speaker of the event a stored guid (once), so exports stay stable.

    A conditional UPDATE per row: when two exports run at once, the first guid written wins and
    both files carry it (a read-then-write could hand out two guids for one talk).
    """
    changed = False
    for model in (ProgrammeSession, Speaker):
        missing = db.scalars(select(model.id).where(model.event_id == event.id, model.guid.is_(None))).all()
        for row_id in missing:
            db.execute(
                update(model).where(model.id == row_id, model.guid.is_(None)).values(guid=str(uuid.uuid4()))
            )
            changed = True
    if changed:
        db.commit()
        db.expire_all()  # objects already loaded must read the guids that won


def _hhmm(delta: timedelta) -> str:
    minutes = int(delta.total_seconds() // 60)
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def _slugify(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:60].strip("-")


def _local_days(event: Event, sessions: list[ProgrammeSession]) -> list[date]:
    """The event's local days; a session left outside the event's dates still gets its day."""
    dates = [
        moment.astimezone(event.tz).date()
        for moment in (event.starts_at, event.ends_at, *(s.starts_at for s in sessions))
    ]
    first, last = min(dates), max(dates)
    return [first + timedelta(days=n) for n in range((last - first).days + 1)]


def _person_json(speaker: Speaker) -> dict:
    return {
        "guid": speaker.guid,
        "id": speaker.id,
        "name": speaker.name,
        "public_name": speaker.name,
        "biography": speaker.bio,
        "conference": {
            "title": speaker.title,
            "organisation": speaker.organisation,
            "country": speaker.country,
        },
    }


def _talk_json(
    session: ProgrammeSession, event: Event, base_url: str, include_private: bool, language: str | None
) -> dict:
    local_start = session.starts_at.astimezone(event.tz)
    extra: dict[str, Any] = {
        "kind": session.kind,
        "parent": session.parent.guid if session.parent is not None else None,
        "capacity": session.capacity,
        "questions_moderated": session.questions_moderated,
    }
    if include_private:
        extra["stream_url"] = session.stream_url
    title, abstract = session.title, session.description
    if language is not None:
        title, abstract = localized(session, "title", language), localized(session, "description", language)
        extra["original"] = {"title": session.title, "abstract": session.description}
    return {
        "guid": session.guid,
        "id": session.id,
        "date": local_start.isoformat(),
        "start": local_start.strftime("%H:%M"),
        "duration": _hhmm(session.ends_at - session.starts_at),
        "room": session.room,
        "slug": f"{_slugify(event.slug) or 'event'}-{session.id}-{_slugify(session.title) or 'session'}",
        "url": f"{base_url}sessions/{session.id}" if base_url else "",
        "title": title,
        "subtitle": "",
        "track": session.track.name if session.track is not None else None,
        "type": session.kind,
        "language": session.language,
        "abstract": abstract,
        "description": "",
        "recording_license": "",
        "do_not_record": False,
        "persons": [_person_json(s) for s in session.speakers],
        "links": [],
        "attachments": [],
        "conference": extra,
    }


def export_schedule(
    db: DbSession,
    event: Event,
    *,
    base_url: str = "",
    include_private: bool = False,
    language: str | None = None,
) -> dict:
    """The event's programme as a `schedule.json` document.

    `base_url` is the event's public address ending in "/" (talk URLs are built on it);
    `include_private` adds the sessions' stream URLs (for organisers' own copies).

    `language` (`schedule.json?lang=fr`): the event's and talks' titles and descriptions in that
    language where the organisers translated them (the original otherwise). The format has one
    `title` and one `abstract` a talk and no notion of languages, and the tools that read it (schedule
    apps, room screens, recording pipelines) show those fields as they are: a file per language is
    the way to give them translated texts. Without `language` the file holds the original texts
    only, as it always did, since it is also the interchange format between platforms; a translated
    file keeps each talk's own texts under `conference.original`, which our import prefers.
    """
    _ensure_guids(db, event)
    sessions = list(
        db.scalars(
            select(ProgrammeSession)
            .where(ProgrammeSession.event_id == event.id)
            .options(
                selectinload(ProgrammeSession.speakers),
                selectinload(ProgrammeSession.track),
                selectinload(ProgrammeSession.parent),
            )
            .order_by(ProgrammeSession.starts_at, ProgrammeSession.id)
        )
    )
    tz = event.tz
    days = []
    for index, day in enumerate(_local_days(event, sessions), start=1):
        rooms: dict[str, list[dict]] = {}
        for session in sessions:
            if session.starts_at.astimezone(tz).date() == day:
                rooms.setdefault(session.room, []).append(
                    _talk_json(session, event, base_url, include_private, language)
                )
        day_start = datetime.combine(day, time(0, 0), tzinfo=tz)
        day_end = datetime.combine(day, time(23, 59), tzinfo=tz)
        days.append(
            {
                "index": index,
                "date": day.isoformat(),
                "day_start": day_start.isoformat(),
                "day_end": day_end.isoformat(),
                "rooms": rooms,
            }
        )
    room_names = list(dict.fromkeys(s.room for s in sessions))
    tracks = db.scalars(select(Track).where(Track.event_id == event.id).order_by(Track.position, Track.id))
    conference = {
        "acronym": event.slug,
        "title": localized(event, "title", language) if language else event.title,
        "description": localized(event, "description", language) if language else event.description,
        "start": event.starts_at.astimezone(tz).date().isoformat(),
        "end": event.ends_at.astimezone(tz).date().isoformat(),
        "daysCount": len(days),
        "timeslot_duration": "00:05",
        "time_zone_name": event.timezone,
        "url": base_url,
        "tracks": [{"name": t.name, "color": t.colour} for t in tracks],
        "rooms": [
            {"name": name, "guid": str(uuid.uuid5(GUID_NAMESPACE, f"room:{event.slug}:{name}"))}
            for name in room_names
        ],
        "days": days,
    }
    digest = hashlib.sha256(json.dumps(conference, sort_keys=True).encode()).hexdigest()[:12]
    return {
        "$schema": "https://c3voc.de/schedule/schema.json",
        "generator": {"name": "conference"},
        "schedule": {
            "version": f"{FORMAT_VERSION_PREFIX}-{digest}",
            "base_url": base_url,
            "conference": conference,
        },
    }


# ---------------------------------------------------------------------------------------------
# Import


@dataclass
class Counts:
    created: int = 0
    updated: int = 0
    unchanged: int = 0

    def to_dict(self) -> dict:
        return {"created": self.created, "updated": self.updated, "unchanged": self.unchanged}


@dataclass
class Problem:
    path: str
    message: str

    def to_dict(self) -> dict:
        return {"path": self.path, "message": self.message}


@dataclass
class ImportReport:
    """What an import did (or, for a preview or a refused file, would have done)."""

    applied: bool = False
    sessions: Counts = field(default_factory=Counts)
    tracks: Counts = field(default_factory=Counts)
    speakers: Counts = field(default_factory=Counts)
    errors: list[Problem] = field(default_factory=list)
    # Sessions of the event that the file does not mention: an import leaves them as they are.
    sessions_not_in_file: int = 0

    @property
    def ok(self) -> bool:
        return not self.errors

    # The session counts are the headline numbers.
    @property
    def created(self) -> int:
        return self.sessions.created

    @property
    def updated(self) -> int:
        return self.sessions.updated

    @property
    def unchanged(self) -> int:
        return self.sessions.unchanged

    def to_dict(self) -> dict:
        return {
            "applied": self.applied,
            "sessions": self.sessions.to_dict(),
            "tracks": self.tracks.to_dict(),
            "speakers": self.speakers.to_dict(),
            "sessions_not_in_file": self.sessions_not_in_file,
            "errors": [p.to_dict() for p in self.errors],
        }


def load_schedule_text(raw: bytes | str) -> Any:
    """Parse the uploaded text, refusing what is not UTF-8 JSON with where it went wrong."""
    if isinstance(raw, bytes):
        if len(raw) > MAX_FILE_BYTES:
            raise ServiceError(
                "file_too_large",
                f"a schedule file may be at most {MAX_FILE_BYTES // (1024 * 1024)} MB",
                limit_bytes=MAX_FILE_BYTES,
            )
        try:
            raw = raw.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise ServiceError(
                "invalid_json", f"the file is not UTF-8 text (byte {exc.start})", byte=exc.start
            ) from None
    try:
        return json.loads(raw)
    except json.JSONDecodeError as exc:
        raise ServiceError(
            "invalid_json",
            f"not valid JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}",
            line=exc.lineno,
            column=exc.colno,
        ) from None


def _path(loc: tuple) -> str:
    """`('schedule', 'conference', 'days', 1, 'rooms', 'Hall A', 3, 'start')` -> `days[1].rooms.Hall A[3].start`."""
    parts = list(loc)
    if parts[:2] == ["schedule", "conference"] and len(parts) > 2:
        parts = parts[2:]
    text = ""
    for part in parts:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += f".{part}" if text else str(part)
    return text or "schedule"


def _minutes(text: str) -> int:
    pieces = [int(p) for p in text.split(":")]
    return pieces[0] * 60 + pieces[1]


def _colour(value: str | None) -> str | None:
    if not value:
        return None
    value = value.strip()
    if re.fullmatch(r"#[0-9a-fA-F]{6}", value):
        return value.lower()
    if re.fullmatch(r"#[0-9a-fA-F]{3}", value):
        return "#" + "".join(c * 2 for c in value[1:]).lower()
    return None


def _kind(talk: TalkIn) -> str:
    if talk.conference is not None and talk.conference.kind in SESSION_KINDS:
        return talk.conference.kind
    named = (talk.type or "").strip().lower()
    if named in SESSION_KINDS:
        return named
    return _TYPE_TO_KIND.get(named, "thematic")


def _title(talk: TalkIn) -> str:
    """The talk's own title: the `original` of a file exported in another language, else `title`."""
    original = talk.conference.original if talk.conference is not None else None
    return original.title if original is not None else talk.title


def _description(talk: TalkIn) -> str:
    original = talk.conference.original if talk.conference is not None else None
    if original is not None:
        return (original.abstract or "").strip()
    parts = [p.strip() for p in (talk.abstract, talk.description) if p and p.strip()]
    return "\n\n".join(dict.fromkeys(parts))


def _derived_guid(event: Event, file_guid: str) -> str:
    return str(uuid.uuid5(GUID_NAMESPACE, f"event:{event.id}:{file_guid}"))


@dataclass
class _PlannedTalk:
    path: str
    key: str  # the talk's guid as the file names it (or derived from its id)
    talk: TalkIn
    starts_at: datetime
    ends_at: datetime
    room: str


def _local_instant(day: date, clock: str, tz: ZoneInfo) -> datetime | None:
    """A local wall-clock time in `tz` as UTC, or None when the clock skipped it (spring forward)."""
    hours, minutes = (int(p) for p in clock.split(":")[:2])
    if hours > 23 or minutes > 59:
        return None
    local = datetime.combine(day, time(hours, minutes), tzinfo=tz)
    utc = local.astimezone(UTC)
    if utc.astimezone(tz).replace(tzinfo=None) != local.replace(tzinfo=None):
        return None
    return utc


def _plan(event: Event, parsed: ScheduleFile, errors: list[Problem]) -> list[_PlannedTalk]:
    """Check the file against the event and work out every talk's instants, collecting problems."""
    conference = parsed.schedule.conference
    tz = event.tz
    if conference.time_zone_name:
        try:
            tz = ZoneInfo(conference.time_zone_name)
        except (ZoneInfoNotFoundError, ValueError):
            errors.append(
                Problem(
                    "time_zone_name",
                    f"unknown time zone {conference.time_zone_name!r} "
                    "(use an IANA name such as Europe/Berlin)",
                )
            )
            return []
    if conference.start is not None and conference.end is not None:
        start = conference.start.date() if isinstance(conference.start, datetime) else conference.start
        end = conference.end.date() if isinstance(conference.end, datetime) else conference.end
        if end < start:
            errors.append(Problem("end", f"the conference ends ({end}) before it starts ({start})"))
    base_url = parsed.schedule.base_url or ""
    event_tz = event.tz
    window = (
        f"{event.starts_at.astimezone(event_tz):%Y-%m-%d %H:%M} – "
        f"{event.ends_at.astimezone(event_tz):%Y-%m-%d %H:%M} {event.timezone}"
    )
    planned: list[_PlannedTalk] = []
    seen: dict[str, str] = {}
    for day_index, day in enumerate(conference.days):
        for room_name, talks in day.rooms.items():
            for talk_index, talk in enumerate(talks):
                path = f"days[{day_index}].rooms.{room_name}[{talk_index}]"
                starts_at: datetime | None  # None when the local time does not exist
                if talk.date is not None and talk.date.tzinfo is not None:
                    starts_at = talk.date.astimezone(UTC)
                    time_path = f"{path}.date"
                else:
                    local_day = talk.date.date() if talk.date is not None else day.date
                    clock = talk.date.strftime("%H:%M") if talk.date is not None else talk.start
                    time_path = f"{path}.date" if talk.date is not None else f"{path}.start"
                    starts_at = _local_instant(local_day, clock, tz)
                    if starts_at is None:
                        errors.append(
                            Problem(
                                time_path,
                                f"{local_day} {clock} does not exist in {tz.key} (the clocks skip it)",
                            )
                        )
                        continue
                length = _minutes(talk.duration)
                if length <= 0:
                    errors.append(
                        Problem(
                            f"{path}.duration",
                            "a talk must last at least a minute (its end is not after its start)",
                        )
                    )
                    continue
                ends_at = starts_at + timedelta(minutes=length)
                if starts_at < event.starts_at or ends_at > event.ends_at:
                    local = starts_at.astimezone(event_tz)
                    errors.append(
                        Problem(
                            time_path,
                            f"{talk.title!r} at {local:%Y-%m-%d %H:%M} ({length} min) "
                            f"is outside the event ({window})",
                        )
                    )
                    continue
                key = talk.guid or str(uuid.uuid5(GUID_NAMESPACE, f"talk:{base_url}:{talk.id}"))
                if key in seen:
                    errors.append(Problem(f"{path}.guid", f"guid {key} is used twice (also at {seen[key]})"))
                    continue
                seen[key] = path
                room = talk.room if talk.room is not None else room_name
                planned.append(_PlannedTalk(path, key, talk, starts_at, ends_at, room))
    return planned


def _speaker_key(person: PersonIn, base_url: str) -> str | None:
    if person.guid:
        return person.guid
    if person.id is not None:
        return str(uuid.uuid5(GUID_NAMESPACE, f"person:{base_url}:{person.id}"))
    return None


class _Importer:
    """One import run: finds or creates tracks and speakers once each, counts what it touched."""

    def __init__(self, db: DbSession, event: Event, parsed: ScheduleFile, report: ImportReport):
        self.db, self.event, self.parsed, self.report = db, event, parsed, report
        self.base_url = parsed.schedule.base_url or ""
        self.tracks = {t.name: t for t in db.scalars(select(Track).where(Track.event_id == event.id))}
        self.track_state: dict[str, str] = {}
        self.speakers = list(db.scalars(select(Speaker).where(Speaker.event_id == event.id)))
        self.speaker_state: dict[int, str] = {}
        self.speakers_by_key: dict[str, Speaker] = {}
        self.changes: list[tuple[ProgrammeSession, dict]] = []
        colours: dict[str, str | None] = {}
        for track in parsed.schedule.conference.tracks:
            colours.setdefault(track.name, _colour(track.color))
        self.colours = colours

    # Tracks -----------------------------------------------------------------------------------
    def track(self, name: str | None) -> Track | None:
        if not name:
            return None
        existing = self.tracks.get(name)
        colour = self.colours.get(name)
        if existing is None:
            last = self.db.scalar(select(func.max(Track.position)).where(Track.event_id == self.event.id))
            position = 0 if last is None else last + 1  # new tracks follow the event's own
            existing = Track(
                event_id=self.event.id, name=name, position=position, **({"colour": colour} if colour else {})
            )
            self.db.add(existing)
            self.db.flush()
            self.tracks[name] = existing
            self.track_state[name] = "created"
        elif name not in self.track_state:
            if colour and existing.colour != colour:
                existing.colour = colour
                self.track_state[name] = "updated"
            else:
                self.track_state[name] = "unchanged"
        return existing

    # Speakers ---------------------------------------------------------------------------------
    def speaker(self, person: PersonIn) -> Speaker:
        key = _speaker_key(person, self.base_url)
        cache_key = key or f"name:{person.display_name}"
        if cache_key in self.speakers_by_key:
            return self.speakers_by_key[cache_key]
        found = None
        if key:
            found = next((s for s in self.speakers if s.guid == key), None)
        if found is None:
            found = next((s for s in self.speakers if s.guid is None and s.name == person.display_name), None)
        extra = person.conference
        wanted = {"name": person.display_name}
        if person.biography is not None:
            wanted["bio"] = person.biography.strip()
        if extra is not None:
            for name in ("title", "organisation"):
                if getattr(extra, name) is not None:
                    wanted[name] = getattr(extra, name)
            if extra.country is not None:
                wanted["country"] = extra.country.upper()
        if key:
            wanted["guid"] = key
        if found is None:
            found = Speaker(event_id=self.event.id, **wanted)
            self.db.add(found)
            self.db.flush()
            self.speakers.append(found)
            self.speaker_state[found.id] = "created"
        else:
            changed = False
            for name, value in wanted.items():
                if getattr(found, name) != value:
                    setattr(found, name, value)
                    changed = True
            if found.id not in self.speaker_state:
                self.speaker_state[found.id] = "updated" if changed else "unchanged"
        self.speakers_by_key[cache_key] = found
        return found

    # Sessions ---------------------------------------------------------------------------------
    def find_session(self, key: str) -> ProgrammeSession | None:
        return self.db.scalar(
            select(ProgrammeSession).where(
                ProgrammeSession.event_id == self.event.id,
                or_(ProgrammeSession.guid == key, ProgrammeSession.guid == _derived_guid(self.event, key)),
            )
        )

    def guid_for_new(self, key: str) -> str:
        taken = self.db.scalar(select(ProgrammeSession.id).where(ProgrammeSession.guid == key))
        return _derived_guid(self.event, key) if taken is not None else key

    def apply(self, planned: list[_PlannedTalk]) -> None:
        for track_in in self.parsed.schedule.conference.tracks:
            self.track(track_in.name)
        sessions: dict[str, ProgrammeSession] = {}
        # What changed in each session of the file: None for a session this import creates.
        changes_of: dict[str, dict | None] = {}
        for item in planned:
            talk = item.talk
            session = self.find_session(item.key)
            track = self.track(talk.track)
            wanted: dict[str, Any] = {
                "title": _title(talk),
                "description": _description(talk),
                "kind": _kind(talk),
                "starts_at": item.starts_at,
                "ends_at": item.ends_at,
                "room": item.room,
                "language": talk.language or self.event.languages.split(",")[0].strip() or "en",
                "track_id": track.id if track is not None else None,
            }
            extra = talk.conference
            if extra is not None:
                for name in ("capacity", "questions_moderated", "stream_url"):
                    if name in extra.model_fields_set:
                        wanted[name] = getattr(extra, name)
            speakers = list(dict.fromkeys(self.speaker(p) for p in talk.persons))
            if session is None:
                session = ProgrammeSession(event_id=self.event.id, guid=self.guid_for_new(item.key), **wanted)
                session.speakers = speakers
                self.db.add(session)
                changes_of[item.key] = None
            else:
                changes = {}
                for name, value in wanted.items():
                    old = getattr(session, name)
                    if old != value:
                        changes[name] = (old, value)
                        setattr(session, name, value)
                if {s.id for s in session.speakers} != {s.id for s in speakers}:
                    changes["speakers"] = ([s.id for s in session.speakers], [s.id for s in speakers])
                    session.speakers = speakers
                changes_of[item.key] = changes
            sessions[item.key] = session
        self.db.flush()
        self._link_parents(planned, sessions, changes_of)
        self._refuse_cycles(planned, sessions)
        in_file = {s.id for s in sessions.values()}
        self.report.sessions_not_in_file = len(
            set(
                self.db.scalars(select(ProgrammeSession.id).where(ProgrammeSession.event_id == self.event.id))
            )
            - in_file
        )
        for key, changed in changes_of.items():
            if changed is None:
                self.report.sessions.created += 1
            elif changed:
                self.report.sessions.updated += 1
                self.changes.append((sessions[key], changed))
            else:
                self.report.sessions.unchanged += 1
        for state in self.track_state.values():
            setattr(self.report.tracks, state, getattr(self.report.tracks, state) + 1)
        for state in self.speaker_state.values():
            setattr(self.report.speakers, state, getattr(self.report.speakers, state) + 1)

    def _link_parents(
        self,
        planned: list[_PlannedTalk],
        sessions: dict[str, ProgrammeSession],
        changes_of: dict[str, dict | None],
    ) -> None:
        """Breakouts name their parent by guid; the parent may come later in the file or be in the event."""
        for item in planned:
            extra = item.talk.conference
            if extra is None or "parent" not in extra.model_fields_set:
                continue  # the file says nothing about a parent: keep what the session has
            session = sessions[item.key]
            parent = None
            if extra.parent is not None:
                parent = sessions.get(extra.parent) or self.find_session(extra.parent)
                if parent is None:
                    self.report.errors.append(
                        Problem(
                            f"{item.path}.conference.parent",
                            f"no session {extra.parent} in the file or the event",
                        )
                    )
                    continue
                if parent is session:
                    self.report.errors.append(
                        Problem(f"{item.path}.conference.parent", "a session cannot be its own parent")
                    )
                    continue
            parent_id = parent.id if parent is not None else None
            if parent_id != session.parent_id:
                changes = changes_of[item.key]
                if changes is not None:
                    changes["parent_id"] = (session.parent_id, parent_id)
                session.parent = parent
        self.db.flush()

    def _refuse_cycles(self, planned: list[_PlannedTalk], sessions: dict[str, ProgrammeSession]) -> None:
        parent_of = {
            s.id: s.parent_id
            for s in self.db.scalars(
                select(ProgrammeSession).where(ProgrammeSession.event_id == self.event.id)
            )
        }
        for item in planned:
            seen: set[int] = set()
            current: int | None = sessions[item.key].id
            while current is not None and current not in seen:
                seen.add(current)
                current = parent_of.get(current)
            if current is not None:
                self.report.errors.append(
                    Problem(f"{item.path}.conference.parent", "the parents of these sessions form a loop")
                )
                return


def import_schedule(db: DbSession, event: Event, data: Any, *, apply: bool = True) -> ImportReport:
    """Bring a `schedule.json` document (parsed JSON) into `event`, all or nothing.

    With `apply=False` (a preview) the same work is done and rolled back, so the report shows what
    an import would create, update and leave unchanged. A report with errors wrote nothing.
    """
    report = ImportReport()
    if not isinstance(data, dict):
        report.errors.append(Problem("schedule", 'the file must hold a JSON object with a "schedule" key'))
        return report
    try:
        parsed = ScheduleFile.model_validate(data)
    except ValidationError as exc:
        report.errors = [Problem(_path(e["loc"]), e["msg"]) for e in exc.errors()[:50]]
        return report
    planned = _plan(event, parsed, report.errors)
    if report.errors:
        return report
    importer = _Importer(db, event, parsed, report)
    try:
        importer.apply(planned)
        if report.errors or not apply:
            db.rollback()
            return report
        db.commit()
    except IntegrityError:
        db.rollback()
        raise Conflict("schedule_conflict", "the programme changed while importing; try again") from None
    except BaseException:
        db.rollback()
        raise
    report.applied = True
    for session, changes in importer.changes:
        announced = {k: v for k, v in changes.items() if k in ANNOUNCED_FIELDS}
        if announced:
            session_changed.send(event.id, session_id=session.id, changes=announced)
    return report
