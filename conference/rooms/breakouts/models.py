"""A breakout round of a main session, its rooms (child sessions) and who went where.

A breakout room is a `ProgrammeSession` of kind "breakout" whose parent is the main session, so the
normal live `join` gives it presence, Q&A, chat and polls. A round lists the rooms it uses
(`BreakoutRoom`, with a capacity copied from the session and a `taken` counter) and records every
participant's place (`BreakoutAssignment`), which stays after the recall as the record of the round.
"""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import Boolean, CheckConstraint, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ...accounts.models import User
from ...db_types import UTCDateTime, utcnow
from ...extensions import Model
from ...programme.models import ProgrammeSession


class RoundStatus(str, enum.Enum):
    DRAFT = "draft"
    RUNNING = "running"
    RECALLED = "recalled"


class RoundMode(str, enum.Enum):
    SELF_SELECT = "self_select"  # participants choose; a moderator's assignment is only preselected
    ASSIGNED = "assigned"  # participants go where the moderator put them
    MIXED = "mixed"  # assigned people are held to it, the others choose


class AssignmentSource(str, enum.Enum):
    ASSIGNED = "assigned"
    SELF = "self"


ROUND_MODES = tuple(m.value for m in RoundMode)


class BreakoutRound(Model):
    __tablename__ = "breakout_rounds"
    __table_args__ = (
        CheckConstraint("status IN ('draft', 'running', 'recalled')", name="status"),
        CheckConstraint("mode IN ('self_select', 'assigned', 'mixed')", name="mode"),
        CheckConstraint("duration_s > 0", name="duration_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(
        ForeignKey("programme_sessions.id", ondelete="CASCADE"), index=True
    )
    # Equals session_id while the round is a draft or running, NULL once recalled: the UNIQUE
    # constraint lets a main session have one open round at a time (NULLs never collide).
    open_session_id: Mapped[int | None] = mapped_column(unique=True)
    status: Mapped[str] = mapped_column(String(16), default=RoundStatus.DRAFT.value)
    mode: Mapped[str] = mapped_column(String(16), default=RoundMode.SELF_SELECT.value)
    duration_s: Mapped[int] = mapped_column(default=900)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    ends_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    recalled_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    recalled_by: Mapped[str | None] = mapped_column(String(16))  # "moderator" or "timer"
    # Set once by a conditional UPDATE, so the one-minute warning goes out once across processes.
    warned: Mapped[bool] = mapped_column(Boolean, default=False)
    last_message: Mapped[str | None] = mapped_column(Text)
    last_message_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    session: Mapped[ProgrammeSession] = relationship()
    rooms: Mapped[list[BreakoutRoom]] = relationship(
        back_populates="round", cascade="all, delete-orphan", order_by="BreakoutRoom.position"
    )


class BreakoutRoom(Model):
    """One breakout session used by one round, with a counter of the places taken in it."""

    __tablename__ = "breakout_rooms"
    __table_args__ = (
        UniqueConstraint("round_id", "session_id"),
        CheckConstraint("taken >= 0", name="taken_not_negative"),
        CheckConstraint("capacity IS NULL OR capacity > 0", name="capacity_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("breakout_rounds.id", ondelete="CASCADE"), index=True)
    session_id: Mapped[int] = mapped_column(
        ForeignKey("programme_sessions.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int] = mapped_column(default=0)
    capacity: Mapped[int | None] = mapped_column()
    # People assigned to or choosing this room; self-select increments it with
    # `UPDATE ... SET taken = taken + 1 WHERE taken < capacity` and checks the row count.
    taken: Mapped[int] = mapped_column(default=0)

    round: Mapped[BreakoutRound] = relationship(back_populates="rooms")
    session: Mapped[ProgrammeSession] = relationship()


class BreakoutAssignment(Model):
    """Where one participant is in one round; kept after the recall as the round's record."""

    __tablename__ = "breakout_assignments"
    __table_args__ = (
        UniqueConstraint("round_id", "user_id"),
        CheckConstraint("source IN ('assigned', 'self')", name="source"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("breakout_rounds.id", ondelete="CASCADE"), index=True)
    room_id: Mapped[int] = mapped_column(ForeignKey("breakout_rooms.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    source: Mapped[str] = mapped_column(String(16), default=AssignmentSource.ASSIGNED.value)
    assigned_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # First `breakout:join` into the room while the round ran: the participant really went there.
    joined_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Last "call a moderator"; a conditional UPDATE on it throttles repeated calls.
    last_alert_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    room: Mapped[BreakoutRoom] = relationship()
    user: Mapped[User] = relationship()
