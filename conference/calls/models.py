"""Calls: the audio/video conversation of one live room (a breakout room or an interactive session),
or of one accepted matchmaking meeting (its two people, peer to peer).

Media never passes through this process: browsers talk peer to peer (a mesh) or through a Janus SFU.
The database holds who is in which call, with what switched on, so every worker sees the same call.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Boolean, CheckConstraint, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from ..db_types import UTCDateTime, utcnow
from ..extensions import Model


class CallRoom(Model):
    """The call of one live room: locked or not, and its Janus room when an SFU carries it."""

    __tablename__ = "call_rooms"

    session_id: Mapped[int] = mapped_column(
        ForeignKey("programme_sessions.id", ondelete="CASCADE"), primary_key=True
    )
    locked: Mapped[bool] = mapped_column(Boolean, default=False)
    janus_room: Mapped[int | None] = mapped_column(BigInteger, unique=True)
    # Janus asks it for every change to the room (allowed tokens, kicks, destroy): only we hold it.
    janus_secret: Mapped[str | None] = mapped_column(String(64))
    # The Janus plugin carrying the room while it exists: "videoroom", or "audiobridge" (audio only,
    # mixed by Janus) for a room that was large when its call opened.
    janus_plugin: Mapped[str | None] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class CallMember(Model):
    """One socket in one call. One call at a time per socket: the unique sid makes a second row
    impossible, and leaving the room (switch, recall, disconnect) removes it.

    A call is keyed by a live room (`session_id`) or by a matchmaking meeting (`meeting_id`), never
    both and never neither (the CHECK)."""

    __tablename__ = "call_members"
    __table_args__ = (
        # A camera needs a numbered slot (1..CALLS_MAX_VIDEO): the constraint, not a count before the
        # insert, keeps two people who switch their camera on at once from both taking the last one.
        UniqueConstraint("session_id", "video_slot"),
        UniqueConstraint("meeting_id", "video_slot"),
        # One socket per person in a meeting's call: joining from another tab or after a crash replaces
        # the old row, so a worker's leftovers never pile up (NULL meeting ids never collide).
        UniqueConstraint("meeting_id", "user_id"),
        CheckConstraint("(session_id IS NULL) <> (meeting_id IS NULL)", name="one_call"),
    )
    # Leaving is idempotent: a disconnect and a room switch (or two workers) may remove the same row at
    # once, and the second removal finding nothing is expected, not a warning.
    __mapper_args__ = {"confirm_deleted_rows": False}  # noqa: RUF012 - SQLAlchemy reads it once, at mapping

    id: Mapped[int] = mapped_column(primary_key=True)
    sid: Mapped[str] = mapped_column(String(64), unique=True)
    session_id: Mapped[int | None] = mapped_column(
        ForeignKey("programme_sessions.id", ondelete="CASCADE"), index=True
    )
    meeting_id: Mapped[int | None] = mapped_column(ForeignKey("mm_meetings.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    audio: Mapped[bool] = mapped_column(Boolean, default=False)
    video: Mapped[bool] = mapped_column(Boolean, default=False)
    screen: Mapped[bool] = mapped_column(Boolean, default=False)
    # Set while the camera or a shared screen is on; NULL: audio only (NULLs never collide).
    video_slot: Mapped[int | None] = mapped_column()
    hand_raised_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # The person's Janus token (in the room's allowed list while they are in the call).
    janus_token: Mapped[str | None] = mapped_column(String(64))
    joined_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
