"""Payloads of the /live room events, validated before any handler runs.

Lengths are checked again by the services (they are the rules); here they give early, precise
errors. Ids are strict integers: "5" or true is refused, not guessed, and so is an id beyond the
database's integer range (it could only fail in the driver).
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from ..db_types import MAX_DB_ID

Id = Annotated[int, Field(strict=True, gt=0, le=MAX_DB_ID)]
QuestionText = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500)]
ChatText = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=1000)]


class Payload(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


class SessionRef(Payload):
    session_id: Id


class JoinRoom(SessionRef):
    screen: Annotated[bool, Field(strict=True)] = False  # the projector screen: not counted online


class AskQuestion(Payload):
    session_id: Id
    text: QuestionText
    anonymous: Annotated[bool, Field(strict=True)] = False


class QuestionRef(Payload):
    question_id: Id


class ModerateQuestion(Payload):
    question_id: Id
    action: Literal["approve", "dismiss", "answer", "pin", "unpin", "edit"]
    text: QuestionText | None = None


class SendChat(Payload):
    session_id: Id
    text: ChatText


class ChatRef(Payload):
    message_id: Id


class RoomSettings(Payload):
    session_id: Id
    moderated: Annotated[bool, Field(strict=True)]
