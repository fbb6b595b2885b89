"""Payloads of the /live room events, validated before any handler runs.

Lengths are checked again by the services (they are the rules); here they give early, precise
errors. Ids are `wire.Id`: "5" or true is refused, not guessed, and so is an id beyond the
database's integer range (it could only fail in the driver).
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from ..wire import CHAT_MAX, QUESTION_MAX, Id

QuestionText = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=QUESTION_MAX)]
ChatText = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=CHAT_MAX)]


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
