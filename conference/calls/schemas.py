"""Payloads of the call events, validated at the edge."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, StrictBool, model_validator

from ..wire import Id

# A browser's SDP for audio, video and a screen with a few codecs stays well under this.
MAX_SDP_CHARS = 64_000


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class CallRef(_Strict):
    """Which call: a live room's (`session_id`) or a matchmaking meeting's (`meeting_id`), one of them."""

    session_id: Id | None = None
    meeting_id: Id | None = None

    @model_validator(mode="after")
    def _one_call(self) -> CallRef:
        if (self.session_id is None) == (self.meeting_id is None):
            raise ValueError("name one call: `session_id` (a live room) or `meeting_id` (a meeting)")
        return self


class JoinCall(CallRef):
    video: StrictBool = False  # ask for a camera slot now (the device check had the camera on)


class Candidate(_Strict):
    candidate: str = Field(max_length=2_000)
    sdpMid: str | None = Field(default=None, max_length=64)
    sdpMLineIndex: int | None = Field(default=None, ge=0, le=64)
    usernameFragment: str | None = Field(default=None, max_length=256)


class Signal(CallRef):
    to: Id  # the member the signal is for
    kind: Literal["offer", "answer", "candidate"]
    sdp: str | None = Field(default=None, max_length=MAX_SDP_CHARS)
    candidate: Candidate | None = None

    @model_validator(mode="after")
    def _one_body(self) -> Signal:
        if self.kind == "candidate" and (self.candidate is None or self.sdp is not None):
            raise ValueError("a candidate signal carries `candidate` and no `sdp`")
        if self.kind != "candidate" and (self.sdp is None or self.candidate is not None):
            raise ValueError("an offer or answer carries `sdp` and no `candidate`")
        return self


class Media(CallRef):
    audio: StrictBool
    video: StrictBool
    screen: StrictBool = False


class Hand(CallRef):
    raised: StrictBool


class Moderate(_Strict):
    """Moderators act on a live room's call; a meeting's call has two equal people and no moderator."""

    session_id: Id
    action: Literal["mute", "lower_hand", "remove", "lock", "unlock"]
    member_id: Id | None = None

    @model_validator(mode="after")
    def _target(self) -> Moderate:
        if self.action in ("mute", "lower_hand", "remove") and self.member_id is None:
            raise ValueError(f"{self.action} needs `member_id`")
        return self
