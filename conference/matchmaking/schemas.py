"""What the matchmaking forms and API accept (the same models for both).

Every text is length-limited; control characters other than new lines are refused as noise, and
NUL (which PostgreSQL refuses) never reaches the database. Meeting times without an offset are local
to the event's time zone (a `datetime-local` input); an offset given in JSON is honoured.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, StrictBool, field_validator, model_validator

from ..countries import normalise_country
from ..db_types import MAX_DB_ID
from ..i18n.content import Translations, translations_validator
from ..wire import PRACTICE_TITLE_MAX
from .models import FOLLOW_UP, MEETING_MODES, WANTS


def db_id(**kwargs):
    return Field(gt=0, le=MAX_DB_ID, **kwargs)


MAX_LINKS = 5
SUMMARY_MAX = 4000
# What a practice's owner or the organisers may translate, and each translation's longest length.
TRANSLATABLE = {"title": PRACTICE_TITLE_MAX, "summary": SUMMARY_MAX}


def _clean_line(value: str) -> str:
    return " ".join("".join(ch if ch.isprintable() else " " for ch in value).split())


def _clean_text(value: str) -> str:
    """Several lines allowed; other control characters become spaces."""
    lines = ("".join(ch if ch.isprintable() else " " for ch in line).rstrip() for line in value.splitlines())
    return "\n".join(lines).strip()


def web_address(value: str) -> str:
    value = value.strip()
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError("give an address starting with https:// (or http://)")
    return value


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    @field_validator("*", mode="before")
    @classmethod
    def _no_nul(cls, value):
        if isinstance(value, str) and "\x00" in value:
            raise ValueError("contains a NUL character")
        return value


class LinkIn(_In):
    title: str = Field(default="", max_length=200)
    url: str = Field(min_length=1, max_length=500)

    _title = field_validator("title")(_clean_line)
    _url = field_validator("url")(web_address)


def _country(value):
    if value is None or isinstance(value, str):
        return normalise_country(value)
    return value


class PracticeIn(_In):
    """A new practice. `owner_email`: organisers offering a practice for someone else."""

    title: str = Field(min_length=1, max_length=PRACTICE_TITLE_MAX)
    summary: str = Field(default="", max_length=SUMMARY_MAX)
    country: str | None = Field(default=None, max_length=2)
    organisation: str = Field(default="", max_length=200)
    track_id: int | None = db_id(default=None)
    session_id: int | None = db_id(default=None)
    links: list[LinkIn] = Field(default_factory=list, max_length=MAX_LINKS)
    owner_email: str | None = Field(default=None, max_length=254)
    # {"title" | "summary": {language: text}}: shown to viewers of that language (i18n/content.py).
    translations: Translations = Field(default_factory=dict)

    _translations = field_validator("translations", mode="before")(translations_validator(TRANSLATABLE))

    _title = field_validator("title", "organisation")(_clean_line)
    _summary = field_validator("summary")(_clean_text)
    _country = field_validator("country", mode="before")(_country)

    @field_validator("title")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        if not value:
            raise ValueError("give the practice a title")
        return value


class PracticeUpdate(_In):
    """Fields left out stay as they are; `track_id`/`session_id` null clears them."""

    title: str | None = Field(default=None, min_length=1, max_length=PRACTICE_TITLE_MAX)
    summary: str | None = Field(default=None, max_length=SUMMARY_MAX)
    country: str | None = Field(default=None, max_length=2)
    organisation: str | None = Field(default=None, max_length=200)
    track_id: int | None = db_id(default=None)
    session_id: int | None = db_id(default=None)
    links: list[LinkIn] | None = Field(default=None, max_length=MAX_LINKS)
    status: Literal["published", "hidden"] | None = None
    # Replaces every translation when given ({} removes them).
    translations: Translations | None = None

    _translations = field_validator("translations", mode="before")(translations_validator(TRANSLATABLE))
    _title = field_validator("title", "organisation")(lambda v: None if v is None else _clean_line(v))
    _summary = field_validator("summary")(lambda v: None if v is None else _clean_text(v))
    _country = field_validator("country", mode="before")(_country)

    @field_validator("title")
    @classmethod
    def _not_blank(cls, value: str | None) -> str | None:
        if value is not None and not value:
            raise ValueError("give the practice a title")
        return value


class InterestIn(_In):
    """One person's expression of interest; `country` only for people whose account has none."""

    wants: list[Literal[WANTS]] = Field(default_factory=list, max_length=len(WANTS))  # type: ignore[valid-type]
    note: str = Field(default="", max_length=1000)
    country: str | None = Field(default=None, max_length=2)

    _note = field_validator("note")(_clean_text)
    _country = field_validator("country", mode="before")(_country)

    @field_validator("wants")
    @classmethod
    def _distinct(cls, value: list[str]) -> list[str]:
        return [want for want in WANTS if want in value]


class FollowUpIn(_In):
    """Move a possibility to `status` and/or add a dated note; at least one of the two."""

    status: Literal[FOLLOW_UP] | None = None  # type: ignore[valid-type]
    note: str = Field(default="", max_length=2000)

    _note = field_validator("note")(_clean_text)

    @model_validator(mode="after")
    def _something(self):
        if self.status is None and not self.note:
            raise ValueError("choose a new status or write a note")
        return self


class SessionsIn(_In):
    """The programme sessions where matchmaking happens live."""

    session_ids: list[int] = Field(default_factory=list, max_length=500)

    @field_validator("session_ids")
    @classmethod
    def _ids(cls, value: list[int]) -> list[int]:
        if any(not 0 < v <= MAX_DB_ID for v in value):
            raise ValueError("not a session id")
        return sorted(set(value))


class MeetingTime(_In):
    starts_at: datetime
    duration_minutes: int = Field(default=30, ge=10, le=60, multiple_of=5)

    @field_validator("starts_at")
    @classmethod
    def _sane_date(cls, value: datetime) -> datetime:
        if not 1970 <= value.year <= 2200:
            raise ValueError("choose a date between 1970 and 2200")
        if value.second or value.microsecond or value.minute % 5:
            raise ValueError("meetings start on a multiple of five minutes (10:00, 10:05, ...)")
        return value


class MeetingIn(MeetingTime):
    """Ask someone for a meeting: in person (a place) or online (a link)."""

    recipient_id: int = db_id()
    practice_id: int | None = db_id(default=None)
    mode: Literal[MEETING_MODES]  # type: ignore[valid-type]
    place: str = Field(default="", max_length=200)
    link: str = Field(default="", max_length=500)
    note: str = Field(default="", max_length=500)

    _place = field_validator("place")(_clean_line)
    _note = field_validator("note")(_clean_text)

    @field_validator("link")
    @classmethod
    def _link(cls, value: str) -> str:
        return web_address(value) if value else value

    @model_validator(mode="after")
    def _where(self):
        if self.mode == "in_person" and not self.place:
            raise ValueError("say where to meet")
        if self.mode == "online" and not self.link:
            raise ValueError("give the link of the online meeting")
        return self


class MeetingProposal(MeetingTime):
    """Another time (and, optionally, another place or link) for a pending meeting."""

    revision: int = Field(gt=0, le=MAX_DB_ID)
    place: str | None = Field(default=None, max_length=200)
    link: str | None = Field(default=None, max_length=500)

    _place = field_validator("place")(lambda v: None if v is None else _clean_line(v))

    @field_validator("link")
    @classmethod
    def _link(cls, value: str | None) -> str | None:
        return web_address(value) if value else value


class AvailabilityIn(_In):
    """Whether anyone at the event may ask this person for a meeting."""

    open: StrictBool


class MeetingAnswer(_In):
    """Accept or decline the meeting as it stood at `revision` (what the person saw)."""

    revision: int = Field(gt=0, le=MAX_DB_ID)
