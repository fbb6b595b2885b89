"""Payloads of the breakout events on /live, validated before any rule runs."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from ...wire import (
    BREAKOUT_BROADCAST_MAX,
    BREAKOUT_CALL_MAX,
    BREAKOUT_DURATION_MAX_S,
    BREAKOUT_NAME_MAX,
    BREAKOUT_ROOMS_MAX,
    Id,
)

Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=BREAKOUT_NAME_MAX)]
Language = Annotated[
    str,
    StringConstraints(strip_whitespace=True, pattern=r"^[a-zA-Z]{2,3}(-[A-Za-z0-9]{2,8})*$", max_length=35),
]
Duration = Annotated[int, Field(ge=1, le=BREAKOUT_DURATION_MAX_S)]


class _Payload(BaseModel):
    model_config = ConfigDict(extra="forbid")


class RoomIn(_Payload):
    name: Name
    language: Language = "en"
    capacity: Annotated[int, Field(ge=1, le=100_000)] | None = None


class CreateRound(_Payload):
    session_id: Id
    rooms: Annotated[list[RoomIn], Field(max_length=BREAKOUT_ROOMS_MAX)] = []
    mode: Literal["self_select", "assigned", "mixed"] = "self_select"
    duration_s: Duration = 900


class Placement(_Payload):
    user_id: Id
    room_id: Id | None


class Assign(_Payload):
    round_id: Id
    assignments: Annotated[list[Placement], Field(max_length=2000)] = []
    auto: bool = False
    by: Literal["language", "country"] | None = None
    among: Literal["registered", "present"] = "registered"
    user_ids: Annotated[list[Id], Field(max_length=5000)] | None = None


class Start(_Payload):
    round_id: Id
    duration_s: Duration | None = None


class Join(_Payload):
    round_id: Id
    room_id: Id | None = None


class Message(_Payload):
    round_id: Id
    text: Annotated[
        str, StringConstraints(strip_whitespace=True, min_length=1, max_length=BREAKOUT_BROADCAST_MAX)
    ]


class Extend(_Payload):
    round_id: Id
    seconds: Duration


class RoundRef(_Payload):
    round_id: Id


class CallModerator(_Payload):
    session_id: Id
    message: Annotated[str, StringConstraints(strip_whitespace=True, max_length=BREAKOUT_CALL_MAX)] = ""
