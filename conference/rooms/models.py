"""Live rooms: per-session room state, who is inside, attendance stays, Q&A and chat."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import Boolean, CheckConstraint, ForeignKey, Index, Integer, String, UniqueConstraint, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..accounts.models import User
from ..db_types import UTCDateTime, utcnow
from ..extensions import Model


class LiveRoom(Model):
    """The live state of one programme session's room, created the first time someone needs it.

    The pinned ("on air") question lives here as a single column, so at most one question is pinned
    per room by construction, on SQLite and PostgreSQL alike.
    """

    __tablename__ = "live_rooms"

    session_id: Mapped[int] = mapped_column(
        ForeignKey("programme_sessions.id", ondelete="CASCADE"), primary_key=True
    )
    moderated: Mapped[bool] = mapped_column(Boolean)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    pinned_question_id: Mapped[int | None] = mapped_column(ForeignKey("questions.id", ondelete="SET NULL"))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

    @property
    def is_closed(self) -> bool:
        return self.closed_at is not None


class RoomPresence(Model):
    """One connected socket inside one room. Shared by every server process through the database."""

    __tablename__ = "room_presence"

    id: Mapped[int] = mapped_column(primary_key=True)
    # One room at a time per socket: the unique sid makes a second presence row impossible.
    sid: Mapped[str] = mapped_column(String(64), unique=True)
    session_id: Mapped[int] = mapped_column(
        ForeignKey("programme_sessions.id", ondelete="CASCADE"), index=True
    )
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    joined_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # The hall's projector screen: it follows the room but is nobody online (not counted, no visit).
    screen: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())


class RoomVisit(Model):
    """One socket's stay in a room, for attendance: opened on join, closed on leave/switch/disconnect."""

    __tablename__ = "room_visits"
    __table_args__ = (Index("ix_room_visits_session_id_user_id", "session_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(
        ForeignKey("programme_sessions.id", ondelete="CASCADE"), index=True
    )
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    sid: Mapped[str] = mapped_column(String(64), index=True)
    joined_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    left_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class QuestionStatus(str, enum.Enum):
    PENDING = "pending"
    APPROVED = "approved"
    ANSWERED = "answered"
    DISMISSED = "dismissed"


QUESTION_STATUSES = tuple(s.value for s in QuestionStatus)
# Statuses every participant of the room may see.
PUBLIC_STATUSES = (QuestionStatus.APPROVED.value, QuestionStatus.ANSWERED.value)


class Question(Model):
    __tablename__ = "questions"
    __table_args__ = (
        CheckConstraint("status IN ('pending', 'approved', 'answered', 'dismissed')", name="status"),
        Index("ix_questions_session_id_status", "session_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("programme_sessions.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    text: Mapped[str] = mapped_column(String(500))
    anonymous: Mapped[bool] = mapped_column(Boolean, default=False)
    status: Mapped[str] = mapped_column(String(16), default=QuestionStatus.PENDING.value)
    edited: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

    author: Mapped[User] = relationship()

    @property
    def is_public(self) -> bool:
        return self.status in PUBLIC_STATUSES


class QuestionVote(Model):
    """One upvote. UNIQUE(question_id, user_id) is the "one vote per person" rule itself."""

    __tablename__ = "question_votes"
    __table_args__ = (UniqueConstraint("question_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    question_id: Mapped[int] = mapped_column(ForeignKey("questions.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class ChatMessage(Model):
    """A chat line; a moderator's delete hides it (deleted_at) but keeps the row for the record."""

    __tablename__ = "chat_messages"
    __table_args__ = (Index("ix_chat_messages_session_id_id", "session_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("programme_sessions.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    text: Mapped[str] = mapped_column(String(1000))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    deleted_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    author: Mapped[User] = relationship(foreign_keys=[user_id])


class RateCounter(Model):
    """Fixed-window counters for the rate limiter, shared by every server process."""

    __tablename__ = "rate_counters"
    __table_args__ = (UniqueConstraint("key", "window_start"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(120))
    window_start: Mapped[int] = mapped_column(Integer, index=True)  # unix seconds, start of the window
    hits: Mapped[int] = mapped_column(Integer, default=1)
