"""The event's discussion board: questions left open by the sessions, and new ones, with replies and votes.

A live question that was approved but not answered when its session ended (or its room closed) is
copied here once: UNIQUE(origin_question_id) is the "moves once" rule, whichever process moves it.
Its votes come along as board votes; the live question itself stays as it was in its room.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, CheckConstraint, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..accounts.models import User
from ..db_types import UTCDateTime, utcnow
from ..extensions import Model

QUESTION_MAX = 500
REPLY_MAX = 2000


class BoardSettings(Model):
    """When the board stops taking questions, replies and votes (read-only after). No row: the default."""

    __tablename__ = "board_settings"

    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"), primary_key=True)
    closes_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)


class BoardQuestion(Model):
    __tablename__ = "board_questions"
    __table_args__ = (
        Index("ix_board_questions_event_id_id", "event_id", "id"),
        CheckConstraint(f"length(text) BETWEEN 1 AND {QUESTION_MAX}", name="text_length"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"))
    # The session it was asked in (moved from the live room), or None for a question asked on the board.
    session_id: Mapped[int | None] = mapped_column(
        ForeignKey("programme_sessions.id", ondelete="SET NULL"), index=True
    )
    origin_question_id: Mapped[int | None] = mapped_column(
        ForeignKey("questions.id", ondelete="SET NULL"), unique=True
    )
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    text: Mapped[str] = mapped_column(String(QUESTION_MAX))
    anonymous: Mapped[bool] = mapped_column(Boolean, default=False)
    asked_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)  # in the room, or here
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)  # on the board

    author: Mapped[User] = relationship()
    replies: Mapped[list[BoardReply]] = relationship(
        back_populates="question", order_by="BoardReply.id", cascade="all, delete-orphan"
    )


class BoardVote(Model):
    """One upvote per person and board question: the unique constraint is the rule."""

    __tablename__ = "board_votes"
    __table_args__ = (UniqueConstraint("question_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    question_id: Mapped[int] = mapped_column(ForeignKey("board_questions.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class BoardReply(Model):
    """A reply; `is_answer` when a speaker or moderator wrote it as the answer."""

    __tablename__ = "board_replies"
    __table_args__ = (CheckConstraint(f"length(text) BETWEEN 1 AND {REPLY_MAX}", name="text_length"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    question_id: Mapped[int] = mapped_column(ForeignKey("board_questions.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    text: Mapped[str] = mapped_column(String(REPLY_MAX))
    is_answer: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    author: Mapped[User] = relationship()
    question: Mapped[BoardQuestion] = relationship(back_populates="replies")
