"""Interpretation channel rules: what a session offers, who changes it, and the list viewers get.

Plain functions over a database session; they raise ServiceError codes and never emit (the callers
broadcast `interpretation:channels` to the session's room).

The session's own stream address (`programme_sessions.stream_url`, set on the session form as
before) is its floor channel unless a channel row is marked as the floor or already covers the
session's language: so every session that had a stream keeps it, unchanged, as the first channel.
"""

from __future__ import annotations

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from ..accounts.models import User
from ..db_session import DbSession, execute_dml
from ..errors import Conflict, NotFound, ServiceError
from ..grants.checks import ensure_can_moderate
from ..i18n.locales import LANGUAGES
from ..programme.models import ProgrammeSession
from ..programme.streams import stream_or_none
from .models import InterpretationChannel
from .schemas import ChannelIn

_ORDER = {code: index for index, code in enumerate(LANGUAGES)}


def _invalid(field: str, message: str, code: str, status: int = 400) -> ServiceError:
    return ServiceError(code, message, status=status, fields={field: message})


def channels_of(db: DbSession, session_id: int) -> list[InterpretationChannel]:
    """The session's channel rows: the floor first, then in the order of the interface's languages."""
    query = (
        select(InterpretationChannel)
        .where(InterpretationChannel.session_id == session_id)
        .execution_options(populate_existing=True)  # rows this process holds may be older than a switch
    )
    rows = list(db.scalars(query))
    return sorted(rows, key=lambda c: (not c.is_floor, _ORDER.get(c.language, len(_ORDER)), c.language))


def get_channel(db: DbSession, session: ProgrammeSession, channel_id: int) -> InterpretationChannel:
    channel = db.get(InterpretationChannel, channel_id)
    if channel is None or channel.session_id != session.id:
        raise NotFound("channel_not_found", f"this session has no channel {channel_id}")
    return channel


def channel_json(channel: InterpretationChannel) -> dict:
    """A channel row as the organisers' API shows it."""
    return {"id": channel.id, "session_id": channel.session_id, **channel_values(channel)}


def channel_values(channel: InterpretationChannel) -> dict:
    """A channel as the values of its form (and the base a PATCH lays its changes over)."""
    return {
        "language": channel.language,
        "label": channel.label,
        "stream_url": channel.stream_url,
        "floor": channel.is_floor,
        "live": channel.live,
    }


def channel_list(db: DbSession, session: ProgrammeSession) -> list[dict]:
    """What the live pages show: `[{id, language, label, floor, live, stream: {kind, embed_url}}]`.

    `id` is None for the floor taken from the session's own stream address (always live: it is the
    session's stream, as before). A stored address that no longer plays is left out.
    """
    rows = channels_of(db, session.id)
    listed: list[dict] = []
    floor_stream = stream_or_none(session.stream_url)
    if (
        floor_stream is not None
        and not any(c.is_floor for c in rows)
        and all(c.language != session.language for c in rows)
    ):
        listed.append(
            {
                "id": None,
                "language": session.language,
                "label": "",
                "floor": True,
                "live": True,
                "stream": floor_stream,
            }
        )
    for channel in rows:
        stream = stream_or_none(channel.stream_url)
        if stream is None:
            continue
        listed.append(
            {
                "id": channel.id,
                "language": channel.language,
                "label": channel.label,
                "floor": channel.is_floor,
                "live": channel.live,
                "stream": stream,
            }
        )
    return listed


def _apply(channel: InterpretationChannel, data: ChannelIn) -> None:
    channel.language, channel.label, channel.stream_url = data.language, data.label, data.stream_url
    channel.is_floor, channel.live = data.floor, data.live


def _commit(db: DbSession, session: ProgrammeSession, data: ChannelIn, channel_id: int | None) -> None:
    """Commit; UNIQUE(session_id, language) and the one-floor index decide, and name the field."""
    try:
        db.commit()
    except IntegrityError:
        db.rollback()
        others = [c for c in channels_of(db, session.id) if c.id != channel_id]
        if any(c.language == data.language for c in others):
            raise _invalid(
                "language", "this session already has a channel in this language", "channel_exists", 409
            ) from None
        if data.floor and any(c.is_floor for c in others):
            raise _invalid("floor", "this session already has a floor channel", "floor_exists", 409) from None
        raise


def create_channel(db: DbSession, session: ProgrammeSession, data: ChannelIn) -> InterpretationChannel:
    """Add a channel to `session` (the caller checked that the user manages its event)."""
    channel = InterpretationChannel(session_id=session.id)
    _apply(channel, data)
    db.add(channel)
    _commit(db, session, data, None)
    return channel


def update_channel(
    db: DbSession, session: ProgrammeSession, channel: InterpretationChannel, data: ChannelIn
) -> InterpretationChannel:
    _apply(channel, data)
    _commit(db, session, data, channel.id)
    return channel


def delete_channel(db: DbSession, channel: InterpretationChannel) -> None:
    db.delete(channel)
    db.commit()


def set_live(db: DbSession, user: User, session: ProgrammeSession, language: str, live: bool) -> None:
    """A moderator (or organiser) switches the session's channel in `language` on or off."""
    ensure_can_moderate(db, user, session)
    changed = execute_dml(
        db,
        update(InterpretationChannel)
        .where(InterpretationChannel.session_id == session.id, InterpretationChannel.language == language)
        .values(live=live)
        .execution_options(synchronize_session=False),
    ).rowcount
    if not changed:
        db.rollback()
        if session.stream_url and language == session.language:
            raise Conflict(
                "floor_always_live",
                "the floor is the session's own stream: it is live while the session runs",
            )
        raise NotFound("channel_not_found", f"this session has no {language!r} channel")
    db.commit()


def join_state(db: DbSession, _user: User, session: ProgrammeSession) -> dict:
    """Part of every `join` ack: the session's channels, so the picker is drawn after every reconnect."""
    return shared_join_state(db, session)


def shared_join_state(db: DbSession, session: ProgrammeSession) -> dict:
    """The same for everyone in the room (a `JoinStatePart`'s shared half, cached per room): every
    change of the channels is broadcast to the room (`interpretation:channels`)."""
    return {"interpretation": {"channels": channel_list(db, session)}}
