"""What organisers send to change an event and its programme, for the forms and the JSON API alike.

Date-times are *local* to the event's time zone when they carry no offset (a `datetime-local` input,
or "2030-05-06T09:00" in JSON); the services turn them into UTC. An offset given in JSON is honoured.
Unknown keys are refused, so a typo in an API call is a 400 rather than a silent no-op.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any, ClassVar, Literal
from urllib.parse import parse_qs, urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    ValidatorFunctionWrapHandler,
    field_validator,
)

from ..countries import normalise_country
from ..i18n.content import Translations, form_translations, translations_validator
from ..wire import CONTENT_DESCRIPTION_MAX, CONTENT_TITLE_MAX, Id, field_problems
from .models import MODES_OFFERED, SESSION_KINDS

SLUG_PATTERN = r"^[a-z0-9]+(?:-[a-z0-9]+)*$"
EMAIL_PATTERN = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
LANGUAGE_TAG = re.compile(r"^[a-z]{2,3}(?:-[A-Za-z0-9]{2,8})*$")
COLOUR_PATTERN = r"^#[0-9a-fA-F]{6}$"
MAX_CAPACITY = 1_000_000


def _email(value: str | None) -> str | None:
    if value is None:
        return None
    value = value.strip()
    if not value:
        return None
    if not EMAIL_PATTERN.match(value):
        raise ValueError("this is not an e-mail address")
    return value.lower()


def _country_code(value):
    if value is None or isinstance(value, str):
        return normalise_country(value)
    return value  # pydantic refuses it as a non-string


def _comparable(first: datetime, second: datetime) -> bool:
    """Both local wall-clock times, or both instants (JSON may mix them; the service then decides)."""
    return (first.tzinfo is None) == (second.tzinfo is None)


def _language(value: str) -> str:
    value = value.strip()
    if not LANGUAGE_TAG.match(value):
        raise ValueError(f"{value!r} is not a language tag such as en, fr or pt-BR")
    return value


def normalise_stream_url(value: str) -> str:
    """An https address to play: YouTube and Vimeo watch links become their embed address."""
    parts = urlsplit(value)
    if parts.scheme != "https" or not parts.hostname:
        raise ValueError("the stream address must start with https://")
    host = parts.hostname.lower().removeprefix("www.").removeprefix("m.")
    if host == "youtube.com" and parts.path == "/watch":
        video = parse_qs(parts.query).get("v", [""])[0]
        if re.fullmatch(r"[A-Za-z0-9_-]{6,20}", video):
            return f"https://www.youtube.com/embed/{video}"
    if host == "youtu.be" and re.fullmatch(r"/[A-Za-z0-9_-]{6,20}", parts.path):
        return f"https://www.youtube.com/embed{parts.path}"
    if host == "vimeo.com" and re.fullmatch(r"/\d{1,12}", parts.path):
        return f"https://player.vimeo.com/video{parts.path}"
    return value


# What organisers may translate on an event or a session, and each translation's longest length.
TRANSLATABLE = {"title": CONTENT_TITLE_MAX, "description": CONTENT_DESCRIPTION_MAX}


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    # The fields a `translations` value may translate (forms read them from tr-<field>-<language>).
    TRANSLATABLE: ClassVar[dict[str, int]] = {}

    @field_validator("*")
    @classmethod
    def _sane(cls, value):
        # PostgreSQL refuses NUL in text, and a date-time near year 1 or 9999 overflows once moved to UTC.
        if isinstance(value, str) and "\x00" in value:
            raise ValueError("contains a NUL character")
        if isinstance(value, datetime) and not 1970 <= value.year <= 2200:
            raise ValueError("choose a date between 1970 and 2200")
        return value


class EventIn(_In):
    """An event's settings, as the edit form shows them."""

    TRANSLATABLE = TRANSLATABLE

    title: str = Field(min_length=1, max_length=CONTENT_TITLE_MAX)
    slug: str = Field(min_length=1, max_length=80, pattern=SLUG_PATTERN)
    description: str = Field(default="", max_length=CONTENT_DESCRIPTION_MAX)
    venue: str = Field(default="", max_length=200)
    city: str = Field(default="", max_length=100)
    country: str | None = Field(default=None, max_length=2)
    timezone: str = Field(min_length=1, max_length=64)
    starts_at: datetime
    ends_at: datetime
    contact_email: str | None = Field(default=None, max_length=254)
    registration_opens_at: datetime | None = None
    registration_closes_at: datetime | None = None
    modes_offered: Literal[MODES_OFFERED] = "both"  # type: ignore[valid-type]  # built at run time from the values; mypy sees Any
    in_person_capacity: int | None = Field(default=None, gt=0, le=MAX_CAPACITY)
    online_capacity: int | None = Field(default=None, gt=0, le=MAX_CAPACITY)
    requires_approval: bool = False
    languages: str = Field(default="en", min_length=2, max_length=100)
    # {"title" | "description": {language: text}}: shown to viewers of that language (i18n/content.py).
    translations: Translations = Field(default_factory=dict)

    _translations = field_validator("translations", mode="before")(translations_validator(TRANSLATABLE))

    @field_validator("country", mode="before")
    @classmethod
    def _country(cls, value):
        return _country_code(value)

    @field_validator("slug")
    @classmethod
    def _not_reserved(cls, value: str) -> str:
        if value == "new":  # /manage/events/new is the creation page
            raise ValueError("this address is reserved; choose another")
        return value

    @field_validator("timezone")
    @classmethod
    def _timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"{value!r} is not a known time zone (e.g. Asia/Seoul, Europe/Geneva)") from None
        return value

    @field_validator("contact_email")
    @classmethod
    def _contact(cls, value):
        return _email(value)

    @field_validator("languages", mode="before")
    @classmethod
    def _language_list(cls, value):
        # The API answers a list (["en", "ar"]); take one back as well as the form's "en,ar".
        if isinstance(value, list) and len(value) <= 20 and all(isinstance(tag, str) for tag in value):
            return ",".join(value)
        return value

    @field_validator("languages")
    @classmethod
    def _languages(cls, value: str) -> str:
        tags = [_language(tag) for tag in value.split(",") if tag.strip()]
        if not tags:
            raise ValueError("name at least one language")
        return ",".join(dict.fromkeys(tags))

    # Field validators (not a model validator) so that these show beside other fields' errors.
    @field_validator("ends_at")
    @classmethod
    def _ends_after_start(cls, value: datetime, info: ValidationInfo) -> datetime:
        starts = info.data.get("starts_at")
        if starts is not None and _comparable(starts, value) and value <= starts:
            raise ValueError("the event must end after it starts")
        return value

    @field_validator("registration_closes_at")
    @classmethod
    def _closes_after_opening(cls, value: datetime | None, info: ValidationInfo) -> datetime | None:
        opens = info.data.get("registration_opens_at")
        if value is not None and opens is not None and _comparable(opens, value) and value <= opens:
            raise ValueError("registration must close after it opens")
        return value


class EventCreateIn(EventIn):
    """A new event; a platform admin may name its first organiser by the e-mail of their account."""

    organiser_email: str | None = Field(default=None, max_length=254)

    @field_validator("organiser_email")
    @classmethod
    def _organiser(cls, value):
        return _email(value)


class TrackIn(_In):
    name: str = Field(min_length=1, max_length=200)
    description: str = Field(default="", max_length=2000)
    colour: str = Field(default="#1f6feb", pattern=COLOUR_PATTERN)
    position: int = Field(default=0, ge=0, le=10_000)


class SessionIn(_In):
    TRANSLATABLE = TRANSLATABLE

    title: str = Field(min_length=1, max_length=CONTENT_TITLE_MAX)
    description: str = Field(default="", max_length=CONTENT_DESCRIPTION_MAX)
    kind: Literal[SESSION_KINDS]  # type: ignore[valid-type]  # built at run time from the values; mypy sees Any
    track_id: Id | None = None
    room: str = Field(default="", max_length=120)
    starts_at: datetime
    ends_at: datetime
    capacity: int | None = Field(default=None, gt=0, le=MAX_CAPACITY)
    language: str = Field(default="en", min_length=2, max_length=35)
    stream_url: str | None = Field(default=None, max_length=500)
    parent_id: Id | None = None
    # None: by kind (plenaries and keynotes wait for a moderator); True / False: always / never.
    questions_moderated: bool | None = None
    interactive: bool = False  # a call in the live room (breakout rooms always have one)
    # {"title" | "description": {language: text}}: shown to viewers of that language (i18n/content.py).
    translations: Translations = Field(default_factory=dict)

    _translations = field_validator("translations", mode="before")(translations_validator(TRANSLATABLE))

    @field_validator("language")
    @classmethod
    def _lang(cls, value: str) -> str:
        return _language(value)

    @field_validator("stream_url")
    @classmethod
    def _stream(cls, value: str | None) -> str | None:
        if not value:
            return None
        return normalise_stream_url(value)

    @field_validator("ends_at")
    @classmethod
    def _ends_after_start(cls, value: datetime, info: ValidationInfo) -> datetime:
        starts = info.data.get("starts_at")
        if starts is not None and _comparable(starts, value) and value <= starts:
            raise ValueError("the session must end after it starts")
        return value


class SpeakerIn(_In):
    name: str = Field(min_length=1, max_length=200)
    title: str = Field(default="", max_length=200)
    organisation: str = Field(default="", max_length=200)
    country: str | None = Field(default=None, max_length=2)
    bio: str = Field(default="", max_length=5000)
    # The speaker's own account on the platform, if they have one.
    user_email: str | None = Field(default=None, max_length=254)
    session_ids: list[Id] = Field(default_factory=list, max_length=500)

    @field_validator("country", mode="before")
    @classmethod
    def _country(cls, value):
        return _country_code(value)

    @field_validator("user_email")
    @classmethod
    def _user(cls, value):
        return _email(value)

    @field_validator("session_ids", mode="wrap")
    @classmethod
    def _ids(cls, value: object, handler: ValidatorFunctionWrapHandler) -> list[int]:
        try:
            ids = handler(value)
        except ValidationError:
            raise ValueError("unknown session") from None  # one message for the list, as the form shows it
        return list(dict.fromkeys(ids))


class GrantIn(_In):
    email: str = Field(min_length=3, max_length=254)
    role: Literal["organiser", "moderator", "staff"]
    session_id: Id | None = None

    @field_validator("email")
    @classmethod
    def _address(cls, value):
        return _email(value)


def field_errors(exc: ValidationError) -> dict[str, str]:
    """{field: message} for a form, which shows the first problem beside each field (`_form` above it)."""
    errors: dict[str, str] = {}
    for name, messages in field_problems(exc).items():
        errors.setdefault(name.split(".")[0] or "_form", messages[0])
    return errors


def form_values(schema: type[BaseModel], form) -> dict:
    """A submitted HTML form as the dict `schema` validates: blank optional fields take their default,
    an unticked checkbox is False, repeated fields are lists; other posted keys are ignored."""
    values: dict[str, Any] = {}
    for name, info in schema.model_fields.items():
        annotation = info.annotation
        if name == "translations":
            values[name] = form_translations(form, getattr(schema, "TRANSLATABLE", {}))
            continue
        if annotation is bool:
            values[name] = name in form
            continue
        if getattr(annotation, "__origin__", None) is list:
            values[name] = [v for v in form.getlist(name) if v.strip()]
            continue
        if name not in form:
            continue
        value = form.get(name, "")
        if value.strip() == "" and not info.is_required():
            continue  # a blank optional field takes its default (None, "", the event's language...)
        values[name] = value
    return values
