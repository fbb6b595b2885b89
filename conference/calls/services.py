"""Rules of a call: who may be in it, with how many cameras, and what moderators may do.

A call belongs to one live room: the room of a breakout of a running round, or a session its
organisers marked interactive. Only a socket that is in the room (its presence row) can be in the
room's call, so leaving the room (switching, the recall, a disconnect) ends that person's part in
the call; `prune_absent` applies it after every presence change.

With a Janus SFU (`sfu` given), the room's Janus room is created with the first member, each member
gets a token of their own in its allowed list, and leaving removes it; otherwise browsers connect peer
to peer and relay their offers, answers and candidates through `/live` (`relay_target`). A call that
opens while its live room holds `limits.audiobridge_from` people or more is audio only: Janus's
audiobridge mixes it, nobody takes a camera slot, and a moderator's mute is applied by Janus.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError

from ..accounts.models import User
from ..db_session import DbSession
from ..db_types import utcnow
from ..errors import Conflict, Forbidden, NotFound
from ..grants.checks import can_moderate, ensure_can_moderate
from ..matchmaking.models import Meeting
from ..programme.models import ProgrammeSession
from ..rooms.breakouts.models import BreakoutRoom, BreakoutRound, RoundStatus
from ..rooms.models import RoomPresence
from ..wire import isoformat_utc
from .janus import AUDIOBRIDGE, VIDEOROOM, JanusClient
from .models import CallMember, CallRoom

# Janus room numbers are chosen by us (random, below 2**53 so that JavaScript reads them exactly).
_JANUS_ROOM_BITS = 52


@dataclass(frozen=True)
class CallLimits:
    max_video: int  # cameras (or shared screens) at once; beyond it people join with audio only
    max_members: int  # people in one call at once
    # With Janus: a call opening while this many people are in its room goes through the audiobridge
    # (audio only); 0: never.
    audiobridge_from: int = 0
    audiobridge_max_members: int = 0  # people in one audiobridge call (it mixes: it carries many more)


@dataclass(frozen=True)
class Joined:
    member: CallMember
    room: CallRoom
    created: bool  # False: this socket was in the call already (a repeated join)
    replaced: CallMember | None = None  # this socket's part in another call, ended by this join


def call_available(db: DbSession, session: ProgrammeSession) -> bool:
    """A breakout room of a running round, or a session marked interactive, has a call."""
    if session.interactive:
        return True
    running = db.scalar(
        select(BreakoutRoom.id)
        .join(BreakoutRound, BreakoutRound.id == BreakoutRoom.round_id)
        .where(BreakoutRoom.session_id == session.id, BreakoutRound.status == RoundStatus.RUNNING.value)
        .limit(1)
    )
    return running is not None


def _session(db: DbSession, session_id: int) -> ProgrammeSession:
    session = db.get(ProgrammeSession, session_id)
    if session is None:
        raise NotFound("session_not_found", f"there is no session {session_id}")
    return session


def _call_room(db: DbSession, session_id: int) -> CallRoom:
    room = db.get(CallRoom, session_id)
    if room is not None:
        return room
    try:
        with db.begin_nested():
            room = CallRoom(session_id=session_id)
            db.add(room)
        return room
    except IntegrityError:  # another worker opened it first
        room = db.get(CallRoom, session_id)
        assert room is not None
        return room


def member_of(db: DbSession, sid: str) -> CallMember | None:
    return db.scalar(select(CallMember).where(CallMember.sid == sid))


def join_call(
    db: DbSession,
    user: User,
    session_id: int,
    sid: str,
    *,
    limits: CallLimits,
    with_video: bool,
    sfu: JanusClient | None = None,
) -> Joined:
    """Put this socket in its room's call; with a camera when `with_video` and a slot is free."""
    session = _session(db, session_id)
    presence = db.scalar(select(RoomPresence).where(RoomPresence.sid == sid))
    if presence is None or presence.session_id != session_id:
        raise Conflict("not_in_room", "enter the room before joining its call")
    if not call_available(db, session):
        raise Conflict(
            "no_call", "this room has no call: calls are held in breakout rooms and interactive sessions"
        )
    existing = member_of(db, sid)
    if existing is not None and existing.session_id == session_id:
        return Joined(existing, _call_room(db, session_id), created=False)
    replaced = None
    if existing is not None:  # a member of another call (a room's, or a meeting's): that part ends
        _remove(db, existing, sfu)
        replaced = existing
    # Sockets a crashed or restarted worker left in the call (their room presence is gone) hold no
    # place and no camera slot: clear them before counting.
    prune_absent(db, [session_id], sfu, commit=False)
    room = _call_room(db, session_id)
    if room.locked and not can_moderate(db, user, session):
        raise Forbidden("call_locked", "a moderator locked this call: nobody new can join now")
    members = db.scalar(select(func.count()).where(CallMember.session_id == session_id)) or 0
    cap = limits.audiobridge_max_members if audio_only(room) else limits.max_members
    if members >= cap:
        raise Conflict("call_full", f"this call already has {cap} people")
    member = CallMember(sid=sid, session_id=session_id, user_id=user.id)
    db.add(member)
    try:
        db.flush()
    except IntegrityError as exc:  # the same socket joined twice at once: the other join won
        db.rollback()
        raise Conflict("join_in_progress", "this connection is already joining the call; try again") from exc
    if sfu is not None:
        _open_to(db, sfu, room, member, limits)
    if with_video and not audio_only(room):
        _take_video_slot(db, member, limits)
    db.commit()
    return Joined(member, room, created=True, replaced=replaced)


def same_call(member: CallMember):
    """The SQL condition "a member of `member`'s call" (a live room's, or a meeting's)."""
    if member.meeting_id is not None:
        return CallMember.meeting_id == member.meeting_id
    return CallMember.session_id == member.session_id


def call_key(member: CallMember) -> dict[str, int]:
    """What names `member`'s call in payloads: {"session_id": ...} or {"meeting_id": ...}."""
    if member.meeting_id is not None:
        return {"meeting_id": member.meeting_id}
    assert member.session_id is not None  # the CHECK: one of the two is set
    return {"session_id": member.session_id}


def _take_video_slot(db: DbSession, member: CallMember, limits: CallLimits) -> bool:
    """Give `member` the lowest free camera slot; False when all `limits.max_video` are taken."""
    for _attempt in range(3):
        taken = set(
            db.scalars(
                select(CallMember.video_slot).where(same_call(member), CallMember.video_slot.is_not(None))
            )
        )
        free = next((n for n in range(1, limits.max_video + 1) if n not in taken), None)
        if free is None:
            return False
        try:
            with db.begin_nested():
                member.video_slot = free
                db.flush()
            return True
        except IntegrityError:  # someone took that slot between our read and our write: read again
            db.refresh(member)
    return False


def audio_only(room: CallRoom) -> bool:
    """The call goes through Janus's audiobridge: audio only, no camera or screen."""
    return room.janus_plugin == AUDIOBRIDGE


def _large_room(db: DbSession, session_id: int, limits: CallLimits) -> bool:
    if limits.audiobridge_from <= 0:
        return False
    present = db.scalar(
        select(func.count(func.distinct(RoomPresence.user_id))).where(RoomPresence.session_id == session_id)
    )
    return (present or 0) >= limits.audiobridge_from


def _open_to(db: DbSession, sfu: JanusClient, room: CallRoom, member: CallMember, limits: CallLimits) -> None:
    member.janus_token = secrets.token_urlsafe(24)
    if room.janus_room is None:
        room.janus_room = secrets.randbits(_JANUS_ROOM_BITS) or 1
        room.janus_secret = secrets.token_urlsafe(24)
        room.janus_plugin = AUDIOBRIDGE if _large_room(db, room.session_id, limits) else VIDEOROOM
        db.flush()
        sfu.create_room(
            room.janus_room, room.janus_secret, limits.max_video, member.janus_token, room.janus_plugin
        )
    else:
        sfu.allow(room.janus_room, room.janus_secret or "", member.janus_token, True, _plugin(room))


def _plugin(room: CallRoom) -> str:
    return room.janus_plugin or VIDEOROOM


def set_media(
    db: DbSession, sid: str, *, audio: bool, video: bool, screen: bool, limits: CallLimits
) -> CallMember:
    """Microphone, camera and screen of one member. A camera or a screen needs a slot."""
    member = _member(db, sid)
    wants_picture = video or screen
    room = _room_of(db, member)
    if wants_picture and room is not None and audio_only(room):
        raise Conflict("audio_only", "this call is audio only: it has too many people for cameras")
    if wants_picture and member.video_slot is None and not _take_video_slot(db, member, limits):
        db.rollback()
        raise Conflict(
            "video_full",
            f"{limits.max_video} cameras are on already: you can still speak, and turn yours on when one goes off",
        )
    member.audio, member.video, member.screen = audio, video, screen
    if not wants_picture:
        member.video_slot = None
    db.commit()
    return member


def raise_hand(db: DbSession, sid: str, raised: bool) -> CallMember:
    member = _member(db, sid)
    if raised and member.hand_raised_at is None:
        member.hand_raised_at = utcnow()
    elif not raised:
        member.hand_raised_at = None
    db.commit()
    return member


def _member(db: DbSession, sid: str) -> CallMember:
    member = member_of(db, sid)
    if member is None:
        raise Conflict("not_in_call", "join the call first")
    return member


def relay_target(
    db: DbSession,
    sid: str,
    to_member_id: int,
    *,
    session_id: int | None = None,
    meeting_id: int | None = None,
) -> tuple[CallMember, str]:
    """The sender's membership and the socket id of the member an offer, answer or candidate is for.
    Both must be in the same call (the room's `session_id`, or the meeting's `meeting_id`): nobody
    outside it can reach or be reached. A meeting's call also ends for signalling when the meeting
    is no longer accepted (cancelled while the two were talking)."""
    sender = _member(db, sid)
    if sender.session_id != session_id or sender.meeting_id != meeting_id:
        raise Conflict("not_in_call", "you are not in this call")
    target = db.get(CallMember, to_member_id)
    if (
        target is None
        or target.id == sender.id
        or target.session_id != sender.session_id
        or target.meeting_id != sender.meeting_id
    ):
        raise NotFound("member_not_found", "that person is not in this call (any more)")
    if meeting_id is not None:
        meeting = db.get(Meeting, meeting_id)
        if meeting is None or meeting.status != "accepted":
            raise Conflict("meeting_not_accepted", "this meeting is no longer accepted: its call has ended")
    return sender, target.sid


def leave_call(db: DbSession, sid: str, sfu: JanusClient | None = None) -> CallMember | None:
    member = member_of(db, sid)
    if member is None:
        return None
    _remove(db, member, sfu)
    db.commit()
    return member


def _room_of(db: DbSession, member: CallMember) -> CallRoom | None:
    """The live room's call row (meeting calls have none: they are always peer to peer)."""
    return db.get(CallRoom, member.session_id) if member.session_id is not None else None


def _remove(db: DbSession, member: CallMember, sfu: JanusClient | None) -> None:
    room = _room_of(db, member)
    db.delete(member)
    db.flush()
    if sfu is not None and room is not None and room.janus_room is not None and member.janus_token:
        plugin = _plugin(room)
        sfu.allow(room.janus_room, room.janus_secret or "", member.janus_token, False, plugin)
        sfu.kick(room.janus_room, room.janus_secret or "", member.id, plugin)
        if not db.scalar(select(CallMember.id).where(CallMember.session_id == member.session_id).limit(1)):
            sfu.destroy_room(room.janus_room, room.janus_secret or "", plugin)
            room.janus_room = room.janus_secret = room.janus_plugin = None


@dataclass(frozen=True)
class Moderation:
    action: str
    target: CallMember | None  # the member acted on (its row as it was, for removals)
    room: CallRoom


def moderate(
    db: DbSession,
    user: User,
    session_id: int,
    action: str,
    member_id: int | None = None,
    sfu: JanusClient | None = None,
) -> Moderation:
    """`mute`, `lower_hand`, `remove` one member, or `lock` / `unlock` the call."""
    session = _session(db, session_id)
    ensure_can_moderate(db, user, session)
    room = _call_room(db, session_id)
    if action in ("lock", "unlock"):
        room.locked = action == "lock"
        db.commit()
        return Moderation(action, None, room)
    target = db.get(CallMember, member_id) if member_id is not None else None
    if target is None or target.session_id != session_id:
        raise NotFound("member_not_found", "that person is not in this call (any more)")
    if action == "mute":
        target.audio = False
        if sfu is not None and room.janus_room is not None and audio_only(room):
            # Janus stops mixing their audio, whatever their browser does.
            sfu.mute(room.janus_room, room.janus_secret or "", target.id)
    elif action == "lower_hand":
        target.hand_raised_at = None
    elif action == "remove":
        _remove(db, target, sfu)
    db.commit()
    return Moderation(action, target, room)


def prune_absent(
    db: DbSession, session_ids: list[int], sfu: JanusClient | None = None, *, commit: bool = True
) -> list[CallMember]:
    """Members of these rooms' calls whose socket is no longer in the room: removed, and returned."""
    gone = list(
        db.scalars(
            select(CallMember).where(
                CallMember.session_id.in_(session_ids),
                ~select(RoomPresence.id)
                .where(RoomPresence.sid == CallMember.sid, RoomPresence.session_id == CallMember.session_id)
                .exists(),
            )
        )
    )
    for member in gone:
        _remove(db, member, sfu)
    if gone and commit:
        db.commit()
    return gone


def end_calls(db: DbSession, session_ids: list[int], sfu: JanusClient | None = None) -> dict[int, list[str]]:
    """End the calls of these rooms (a breakout round recalled): {session_id: [member sids]}."""
    ended: dict[int, list[str]] = {}
    for member in db.scalars(select(CallMember).where(CallMember.session_id.in_(session_ids))):
        assert member.session_id is not None  # selected by session
        ended.setdefault(member.session_id, []).append(member.sid)
        _remove(db, member, sfu)
    db.execute(delete(CallRoom).where(CallRoom.session_id.in_(session_ids), CallRoom.janus_room.is_(None)))
    db.commit()
    return ended


def member_json(member: CallMember, name: str) -> dict:
    return {
        "id": member.id,
        "user_id": member.user_id,
        "name": name,
        "audio": member.audio,
        "video": member.video,
        "screen": member.screen,
        "may_publish_video": member.video_slot is not None,
        "hand_raised_at": isoformat_utc(member.hand_raised_at),
    }


def members_json(db: DbSession, session_id: int) -> list[dict]:
    rows = db.execute(
        select(CallMember, User.name)
        .join(User, User.id == CallMember.user_id)
        # only sockets still in the room: a crashed worker's leftovers never show
        .join(RoomPresence, (RoomPresence.sid == CallMember.sid) & (RoomPresence.session_id == session_id))
        .where(CallMember.session_id == session_id)
        .order_by(CallMember.joined_at, CallMember.id)
    )
    return [member_json(member, name) for member, name in rows]


def call_state(db: DbSession, session: ProgrammeSession) -> dict:
    """The call's part of a room's join state (a pure read)."""
    available = call_available(db, session)
    room = db.get(CallRoom, session.id) if available else None
    return {
        "available": available,
        "locked": bool(room and room.locked),
        "audio_only": bool(room and audio_only(room)),
        "members": members_json(db, session.id) if available else [],
    }
