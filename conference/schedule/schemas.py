"""Pydantic models of a frab/pretalx `schedule.json`, shared by the upload form, the JSON API and the CLI.

The layout follows the c3voc schedule JSON schema (https://c3voc.de/schedule/schema.json, in the
voc/schedule repository as `validator/json/schema.json`), which we relied on for:

- the root `{"schedule": {"version", "base_url", "conference": {...}}}`;
- `conference`: `acronym`, `title`, `start` (a date or date-time), `end` (a date), `daysCount`,
  `timeslot_duration`, `time_zone_name` (e.g. "Europe/Berlin"), `tracks: [{name, color}]`,
  `rooms: [{name, guid, description, capacity}]`, `days`;
- a day: `index`, `date`, `day_start`, `day_end` (date-times) and `rooms: {"<room name>": [event, ...]}`;
- an event (a talk): `guid` (a uuid), `id` (an integer), `date` (ISO 8601 date-time with offset),
  `start` ("HH:MM"), `duration` ("^[0-9]+:[0-9]{2}$", e.g. "01:30"), `room`, `slug`, `url`, `title`,
  `subtitle`, `track`, `type`, `language`, `abstract`, `description`, `do_not_record`, `persons`,
  `links`, `attachments`;
- a person: frab's `{"id", "public_name"}` or pretalx's `{"code", "name", "biography"}`, with an
  optional `guid`.

Files in the wild stray from the schema (pretalx writes `do_not_record` as a boolean, frab writes
`public_name`), so these models accept both spellings and ignore keys they do not know. Our own
additions live under a `conference` key on a talk and on a person, which other tools ignore:

    "conference": {"kind": "breakout", "parent": "<guid of the parent session>", "capacity": 60,
                   "questions_moderated": null, "stream_url": "https://...",
                   "original": {"title": "...", "abstract": "..."}}

`original` is in a file exported in another language (`schedule.json?lang=fr`): the talk's own texts,
which an import keeps, so that importing such a file never turns translations into originals.
    person "conference": {"title": "Director", "organisation": "UN DESA", "country": "US"}
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PositiveInt,
    StringConstraints,
    field_validator,
    model_validator,
)

Text = Annotated[str, StringConstraints(strip_whitespace=True)]
Clock = Annotated[str, StringConstraints(strip_whitespace=True, pattern=r"^\d{1,2}:\d{2}(:\d{2})?$")]
Duration = Annotated[str, StringConstraints(strip_whitespace=True, pattern=r"^\d+:\d{2}(:\d{2})?$")]
Guid = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64)]


class _Lenient(BaseModel):
    """Unknown keys are other tools' business: keep going without them."""

    model_config = ConfigDict(extra="ignore")


class SpeakerExtra(_Lenient):
    title: Annotated[str, StringConstraints(strip_whitespace=True, max_length=200)] | None = None
    organisation: Annotated[str, StringConstraints(strip_whitespace=True, max_length=200)] | None = None
    country: Annotated[str, StringConstraints(strip_whitespace=True, pattern=r"^[A-Za-z]{2}$")] | None = None


class PersonIn(_Lenient):
    guid: Guid | None = None
    id: int | None = None
    code: str | None = None
    name: Annotated[str, StringConstraints(strip_whitespace=True, max_length=200)] | None = None
    public_name: Annotated[str, StringConstraints(strip_whitespace=True, max_length=200)] | None = None
    biography: str | None = None
    conference: SpeakerExtra | None = None

    @model_validator(mode="after")
    def _named(self) -> PersonIn:
        if not (self.name or self.public_name):
            raise ValueError("a person needs a name (or public_name)")
        return self

    @property
    def display_name(self) -> str:
        return self.name or self.public_name or ""


class TalkOriginal(_Lenient):
    """The talk's texts in its original language, when `title` and `abstract` are a translation."""

    title: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=300)]
    abstract: str | None = None


class TalkExtra(_Lenient):
    kind: str | None = None
    parent: Guid | None = None
    capacity: PositiveInt | None = None
    questions_moderated: bool | None = None
    stream_url: Annotated[str, StringConstraints(strip_whitespace=True, max_length=500)] | None = None
    original: TalkOriginal | None = None

    @field_validator("stream_url")
    @classmethod
    def _web_address(cls, value: str | None) -> str | None:
        if value and not value.startswith(("https://", "http://")):
            raise ValueError("a stream URL starts with https://")
        return value or None


class TalkIn(_Lenient):
    guid: Guid | None = None
    id: int | None = None
    date: dt.datetime | None = None
    start: Clock
    duration: Duration
    room: Annotated[str, StringConstraints(strip_whitespace=True, max_length=120)] | None = None
    title: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=300)]
    subtitle: str | None = None
    track: Annotated[str, StringConstraints(strip_whitespace=True, max_length=200)] | None = None
    type: str | None = None
    language: Annotated[str, StringConstraints(strip_whitespace=True, max_length=35)] | None = None
    abstract: str | None = None
    description: str | None = None
    do_not_record: bool | str | None = None
    persons: list[PersonIn] = Field(default_factory=list)
    conference: TalkExtra | None = None

    @model_validator(mode="after")
    def _identified(self) -> TalkIn:
        if self.guid is None and self.id is None:
            raise ValueError("a talk needs a guid (or at least an id) so that a second import finds it")
        return self


class DayIn(_Lenient):
    index: int | None = None
    date: dt.date
    day_start: dt.datetime | None = None
    day_end: dt.datetime | None = None
    rooms: dict[str, list[TalkIn]] = Field(default_factory=dict)


class TrackIn(_Lenient):
    name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
    color: str | None = None


class RoomIn(_Lenient):
    name: str
    guid: str | None = None
    capacity: float | None = None


class ConferenceIn(_Lenient):
    acronym: str | None = None
    title: str | None = None
    start: dt.date | dt.datetime | None = None
    end: dt.date | dt.datetime | None = None
    daysCount: int | None = None
    timeslot_duration: str | None = None
    time_zone_name: (
        Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64)] | None
    ) = None
    tracks: list[TrackIn] = Field(default_factory=list)
    rooms: list[RoomIn] = Field(default_factory=list)
    days: list[DayIn]


class ScheduleBody(_Lenient):
    version: str | None = None
    base_url: str | None = None
    conference: ConferenceIn


class ScheduleFile(_Lenient):
    """The whole file: `{"schedule": {...}}`."""

    schedule: ScheduleBody
