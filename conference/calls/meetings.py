"""The call of a matchmaking meeting: its two people, peer to peer, around the meeting's time.

A meeting's call is admitted only to the two parties of an *accepted* meeting, whose registration
for the event still holds, from `OPENS_BEFORE` before the meeting starts until `CLOSES_AFTER` after
it ends (people come early, and a good conversation runs over). It is always a mesh (two browsers,
no Janus room), keyed in `call_members` by `meeting_id` instead of a live room's `session_id`.

One socket per person: `UNIQUE(meeting_id, user_id)` holds it, and joining from a second tab (or
again after a worker crashed and left a row behind) replaces the person's previous row. There is no
live room, so there is no presence to follow and no attendance: a disconnect or `call:leave` ends
the person's part.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from ..accounts.models import User
from ..db_session import DbSession
from ..db_types import utcnow
from ..errors import Conflict, Forbidden, NotFound
from ..matchmaking.models import Meeting
from ..matchmaking.services import is_registered
from ..wire import isoformat_utc
from .models import CallMember
from .services import CallLimits, _remove, _take_video_slot, member_json, member_of

OPENS_BEFORE = timedelta(minutes=15)
CLOSES_AFTER = timedelta(minutes=30)


@dataclass(frozen=True)
class MeetingJoined:
    member: CallMember
    created: bool  # False: this socket was in the call already (a repeated join)
    # Rows this join ended: the socket's part in another call, the person's older socket in this one.
    replaced: list[CallMember] = field(default_factory=list)


def call_window(meeting: Meeting) -> tuple[datetime, datetime]:
    """When the meeting's call admits its parties."""
    return meeting.starts_at - OPENS_BEFORE, meeting.ends_at + CLOSES_AFTER


def _admissible(db: DbSession, user: User, meeting_id: int) -> Meeting:
    meeting = db.get(Meeting, meeting_id)
    if meeting is None:
        raise NotFound("meeting_not_found", f"there is no meeting {meeting_id}")
    if user.id not in (meeting.requester_id, meeting.recipient_id):
        raise Forbidden("not_a_party", "only the two people of a meeting can join its call")
    if meeting.status != "accepted":
        raise Conflict(
            "meeting_not_accepted", f"this meeting is {meeting.status}: only an accepted one has a call"
        )
    if not is_registered(db, user, meeting.event):
        raise Forbidden("not_registered", "your registration for this event is no longer valid")
    opens, closes = call_window(meeting)
    now = utcnow()
    if not opens <= now <= closes:
        raise Conflict(
            "meeting_call_closed",
            f"the meeting's call is open from {OPENS_BEFORE.seconds // 60} minutes before the meeting"
            f" until {CLOSES_AFTER.seconds // 60} minutes after it",
            opens_at=isoformat_utc(opens),
            closes_at=isoformat_utc(closes),
        )
    return meeting


def join_meeting_call(
    db: DbSession, user: User, meeting_id: int, sid: str, *, limits: CallLimits, with_video: bool
) -> MeetingJoined:
    """Put this socket in the meeting's call (with a camera when `with_video` and a slot is free)."""
    _admissible(db, user, meeting_id)
    existing = member_of(db, sid)
    if existing is not None and existing.meeting_id == meeting_id:
        return MeetingJoined(existing, created=False)
    replaced = []
    if existing is not None:  # one call per socket: its part in a room's (or meeting's) call ends
        _remove(db, existing, None)
        replaced.append(existing)
    older = db.scalar(
        select(CallMember).where(CallMember.meeting_id == meeting_id, CallMember.user_id == user.id)
    )
    if older is not None:  # the same person from another tab, or a crashed worker's leftover
        _remove(db, older, None)
        replaced.append(older)
    member = CallMember(sid=sid, meeting_id=meeting_id, user_id=user.id)
    db.add(member)
    try:
        db.flush()
    except IntegrityError as exc:  # two joins of this person (or this socket) at once: the other won
        db.rollback()
        raise Conflict("join_in_progress", "you are already joining this call; try again") from exc
    if with_video:
        _take_video_slot(db, member, limits)
    db.commit()
    return MeetingJoined(member, created=True, replaced=replaced)


def meeting_members_json(db: DbSession, meeting_id: int) -> list[dict]:
    rows = db.execute(
        select(CallMember, User.name)
        .join(User, User.id == CallMember.user_id)
        .where(CallMember.meeting_id == meeting_id)
        .order_by(CallMember.joined_at, CallMember.id)
    )
    return [member_json(member, name) for member, name in rows]
