"""Per-event grants: who organises, moderates or scans at which event (or one session of it)."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..accounts.models import User
from ..db_types import UTCDateTime, utcnow
from ..extensions import Model


class GrantRole(str, enum.Enum):
    ORGANISER = "organiser"
    MODERATOR = "moderator"
    STAFF = "staff"


GRANT_ROLES = tuple(r.value for r in GrantRole)
GRANT_LABELS = {"organiser": "Organiser", "moderator": "Moderator", "staff": "Check-in staff"}


class EventGrant(Model):
    """One person's role at one event; a moderator grant may name a single session instead."""

    __tablename__ = "event_grants"
    __table_args__ = (
        CheckConstraint("role IN ('organiser', 'moderator', 'staff')", name="role"),
        CheckConstraint("session_id IS NULL OR role = 'moderator'", name="session_only_moderator"),
        # NULLs never collide in a UNIQUE constraint, so event-wide and session grants get one index each.
        Index(
            "uq_event_grants_event_wide",
            "event_id",
            "user_id",
            "role",
            unique=True,
            sqlite_where=text("session_id IS NULL"),
            postgresql_where=text("session_id IS NULL"),
        ),
        Index(
            "uq_event_grants_session",
            "session_id",
            "user_id",
            "role",
            unique=True,
            sqlite_where=text("session_id IS NOT NULL"),
            postgresql_where=text("session_id IS NOT NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    role: Mapped[str] = mapped_column(String(16))
    session_id: Mapped[int | None] = mapped_column(ForeignKey("programme_sessions.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    granted_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    user: Mapped[User] = relationship(foreign_keys=[user_id])

    @property
    def label(self) -> str:
        return GRANT_LABELS[self.role]
