"""What organisers send to set a channel (form and JSON API alike) and the moderators' `/live` event."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator

from ..i18n.locales import LANGUAGES
from ..programme.schemas import normalise_stream_url
from ..programme.streams import InvalidStreamUrl, describe_stream
from ..wire import Id
from .models import LABEL_MAX, URL_MAX


def channel_language(value: object) -> str:
    """One of the interface's languages (the six UN official languages), as its code."""
    if not isinstance(value, str):
        raise ValueError("the language must be a language code such as ar or fr")
    code = value.strip().lower()
    if code not in LANGUAGES:
        raise ValueError(f"choose one of the languages {', '.join(LANGUAGES)}")
    return code


def channel_stream_url(value: str) -> str:
    """The same rule as a session's stream address: https, playable (YouTube, Vimeo, an embed, HLS)."""
    value = normalise_stream_url(value)
    try:
        stream = describe_stream(value)
    except InvalidStreamUrl as exc:
        raise ValueError(str(exc)) from None
    if stream is None:
        raise ValueError("give the channel's stream address")
    return value


class ChannelIn(BaseModel):
    """One interpretation channel of a session."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    language: str = Field(min_length=2, max_length=8, description="one of en, ar, zh, fr, ru, es")
    label: str = Field(
        default="", max_length=LABEL_MAX, description="shown in the picker; empty: the language's name"
    )
    stream_url: str = Field(min_length=1, max_length=URL_MAX)
    floor: bool = Field(default=False, description="the room's own sound (one per session)")
    live: bool = Field(default=True, description="the booth is on air")

    @field_validator("language", mode="before")
    @classmethod
    def _language(cls, value):
        return channel_language(value)

    @field_validator("label")
    @classmethod
    def _label(cls, value: str) -> str:
        if "\x00" in value:
            raise ValueError("contains a NUL character")
        return value

    @field_validator("stream_url")
    @classmethod
    def _stream(cls, value: str) -> str:
        return channel_stream_url(value)


class ChannelLive(BaseModel):
    """`interpretation:live {session_id, language, live}`: a moderator switches a booth on or off."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    session_id: Id
    language: Annotated[str, StringConstraints(min_length=2, max_length=8)]
    live: bool

    @field_validator("language", mode="before")
    @classmethod
    def _language(cls, value):
        return channel_language(value)
