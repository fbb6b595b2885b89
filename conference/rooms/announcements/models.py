"""An announcement sent to every live room of one event; withdrawing keeps the row for the record."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ...accounts.models import User
from ...db_types import UTCDateTime, utcnow
from ...extensions import Model
from ...wire import ANNOUNCEMENT_MAX

TEXT_MAX = ANNOUNCEMENT_MAX  # stated once in conference.wire; the column below is sized by it


class Announcement(Model):
    __tablename__ = "announcements"
    __table_args__ = (
        Index("ix_announcements_event_id_id", "event_id", "id"),
        CheckConstraint(f"length(text) BETWEEN 1 AND {TEXT_MAX}", name="text_length"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"))
    text: Mapped[str] = mapped_column(String(TEXT_MAX))
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    withdrawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    withdrawn_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    author: Mapped[User | None] = relationship(foreign_keys=[author_id])

    @property
    def is_withdrawn(self) -> bool:
        return self.withdrawn_at is not None
