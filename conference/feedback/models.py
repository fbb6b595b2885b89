"""Session feedback: the event's rating questions and one answer per person and session."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Boolean, CheckConstraint, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from ..db_types import UTCDateTime, utcnow
from ..extensions import Model

LABEL_MAX = 200
COMMENT_MAX = 2000
RATING_MIN, RATING_MAX = 1, 5


class FeedbackQuestion(Model):
    """One rating question (1 to 5) of an event's survey. Removed questions are retired, not deleted,
    so the answers given to them keep their label."""

    __tablename__ = "feedback_questions"
    __table_args__ = (
        CheckConstraint(f"length(label) BETWEEN 1 AND {LABEL_MAX}", name="label_length"),
        UniqueConstraint("event_id", "label"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(default=0)
    label: Mapped[str] = mapped_column(String(LABEL_MAX))
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class FeedbackResponse(Model):
    """One person's answer about one session. UNIQUE(session_id, user_id) is "one answer per person"."""

    __tablename__ = "feedback_responses"
    __table_args__ = (UniqueConstraint("session_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"), index=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("programme_sessions.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    # {question id (as text): rating 1..5}
    ratings: Mapped[dict] = mapped_column(JSON, default=dict)
    comment: Mapped[str] = mapped_column(String(COMMENT_MAX), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
