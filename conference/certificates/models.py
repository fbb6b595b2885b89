"""Certificates of attendance: the organisers' rule per event, and the certificates issued."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..accounts.models import User
from ..db_types import UTCDateTime, utcnow
from ..extensions import Model
from ..programme.models import Event

RULE_KINDS = ("percent", "sessions")


class CertificateRule(Model):
    """Who earns a certificate: attendance of at least `min_percent` % of the event's sessions, or of
    every session listed in `session_ids`. No row: no certificates for this event."""

    __tablename__ = "certificate_rules"
    __table_args__ = (
        CheckConstraint("kind IN ('percent', 'sessions')", name="kind"),
        CheckConstraint("min_percent IS NULL OR (min_percent BETWEEN 1 AND 100)", name="min_percent_range"),
    )

    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"), primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    min_percent: Mapped[int | None] = mapped_column(Integer)
    session_ids: Mapped[list] = mapped_column(JSON, default=list)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)


class Certificate(Model):
    """One person's certificate for one event. The code is random (not derived from anything), printed
    on the PDF and in its QR code; the public verification page looks it up."""

    __tablename__ = "certificates"
    __table_args__ = (UniqueConstraint("event_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    code: Mapped[str] = mapped_column(String(16), unique=True)
    name: Mapped[str] = mapped_column(String(200))  # as printed, at issue time
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    revoked_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    user: Mapped[User] = relationship(foreign_keys=[user_id])
    event: Mapped[Event] = relationship()

    @property
    def is_revoked(self) -> bool:
        return self.revoked_at is not None
