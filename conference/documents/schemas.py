"""What the upload and edit forms and the documents API accept (the same models for both)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from ..wire import Id


def _clean_title(value: str | None) -> str | None:
    if value is None:
        return None
    cleaned = " ".join("".join(ch if ch.isprintable() else " " for ch in value).split())
    if not cleaned:
        raise ValueError("give the document a title")
    return cleaned


class DocumentIn(BaseModel):
    """A new document; without a title the file's name (less its extension) is used."""

    model_config = ConfigDict(extra="forbid")

    title: str | None = Field(default=None, max_length=200)
    session_id: Id | None = None
    visibility: Literal["public", "participants"] = "public"

    _title = field_validator("title")(_clean_title)


class DocumentUpdate(BaseModel):
    """Rename, move to a session (or back to the event with `session_id: null`), change who sees it.
    Fields left out stay as they are."""

    model_config = ConfigDict(extra="forbid")

    title: str | None = Field(default=None, max_length=200)
    session_id: Id | None = None
    visibility: Literal["public", "participants"] | None = None

    _title = field_validator("title")(_clean_title)
