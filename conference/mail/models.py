"""The outbox: one row per e-mail, from the moment it is decided until the SMTP server took it."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import JSON, CheckConstraint, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ..db_types import UTCDateTime, utcnow
from ..extensions import Model


class OutboxStatus(str, enum.Enum):
    QUEUED = "queued"  # waits for its next attempt (next_attempt_at)
    SENDING = "sending"  # claimed by one sender; a claim older than the stale limit is taken over
    SENT = "sent"
    FAILED = "failed"  # a permanent refusal, or too many temporary failures


class OutboxMessage(Model):
    __tablename__ = "mail_outbox"
    __table_args__ = (CheckConstraint("status IN ('queued', 'sending', 'sent', 'failed')", name="status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    # The Message-ID header, fixed when the message is queued: a receiver can drop the copy that a
    # sender which crashed after the SMTP server's "250 OK" sends again.
    message_id: Mapped[str] = mapped_column(String(255), unique=True)
    kind: Mapped[str] = mapped_column(String(32), default="")  # invitation, signin, reset, confirmation...
    to_address: Mapped[str] = mapped_column(String(254))
    subject: Mapped[str] = mapped_column(String(300))
    text: Mapped[str] = mapped_column(Text)
    html: Mapped[str | None] = mapped_column(Text)
    # [{"filename": ..., "content_type": "image/png", "base64": ...}]: kept with the message so a
    # retry days later sends exactly what was decided.
    attachments: Mapped[list] = mapped_column(JSON, default=list)
    status: Mapped[str] = mapped_column(String(16), default=OutboxStatus.QUEUED.value, index=True)
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    def __repr__(self) -> str:
        return f"<OutboxMessage {self.id} {self.kind} to {self.to_address} {self.status}>"
