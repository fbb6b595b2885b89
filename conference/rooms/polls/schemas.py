"""Shapes of the poll events' payloads. Types only: the rules (lengths, ranges, kinds) live in
services.py so that each broken rule gets its own error code."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictInt, StrictStr

from ...wire import Id as PollId
from .services import PollSpec, Vote

# Generous caps: anything larger is not a poll but an attempt to fill memory.
_LONG_TEXT = 10_000


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class PollFields(_Strict):
    title: StrictStr = Field(max_length=_LONG_TEXT)
    kind: StrictStr = Field(max_length=32)
    options: list[StrictStr] = Field(default_factory=list, max_length=100)
    max_choices: StrictInt | None = None
    scale: StrictInt | None = None
    results: StrictStr = "live"
    duration_s: StrictInt | None = None
    allow_change: StrictBool = False
    # {"title": {language: text}}; option_translations: one {language: text} per option, in order.
    translations: dict[StrictStr, dict[StrictStr, StrictStr]] = Field(default_factory=dict, max_length=5)
    option_translations: list[dict[StrictStr, StrictStr]] = Field(default_factory=list, max_length=100)

    def spec(self) -> PollSpec:
        return PollSpec(
            title=self.title,
            kind=self.kind,
            options=list(self.options),
            max_choices=self.max_choices,
            scale=self.scale,
            results=self.results,
            duration_s=self.duration_s,
            allow_change=self.allow_change,
            translations=dict(self.translations),
            option_translations=list(self.option_translations),
        )


class PollCreate(PollFields):
    session_id: PollId


class PollUpdate(PollFields):
    poll_id: PollId


class PollTranslations(_Strict):
    """The translations of a poll's question and options (`poll:translate`, and the API's
    PUT .../polls/<poll_id>/translations): replaces them all; the service checks languages and lengths."""

    title: dict[StrictStr, StrictStr] = Field(default_factory=dict, max_length=20)
    options: list[dict[StrictStr, StrictStr]] = Field(default_factory=list, max_length=100)


class PollTranslate(PollTranslations):
    poll_id: PollId


class PollRef(_Strict):
    poll_id: PollId


class PollVote(_Strict):
    poll_id: PollId
    choices: list[StrictInt] | None = Field(default=None, max_length=100)
    rating: StrictInt | None = None
    words: list[StrictStr] | None = Field(default=None, max_length=20)
    text: StrictStr | None = Field(default=None, max_length=_LONG_TEXT)

    def vote(self) -> Vote:
        return Vote(choices=self.choices, rating=self.rating, words=self.words, text=self.text)
