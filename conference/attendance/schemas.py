"""Payloads of the attendance socket events."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class Subscribe(BaseModel):
    model_config = ConfigDict(extra="forbid")

    event_slug: str = Field(min_length=1, max_length=80)
