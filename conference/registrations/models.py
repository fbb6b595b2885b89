"""A person's registration for an event."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
    false,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..accounts.models import User
from ..db_types import UTCDateTime, utcnow
from ..extensions import Model
from ..programme.models import Event


class Mode(str, enum.Enum):
    IN_PERSON = "in_person"
    ONLINE = "online"


class Status(str, enum.Enum):
    CONFIRMED = "confirmed"
    CANCELLED = "cancelled"
    PENDING = "pending"  # waits for an organiser's approval
    WAITLISTED = "waitlisted"  # the in-person places are taken; promoted in order when one frees up
    DECLINED = "declined"  # an organiser said no


MODES = tuple(m.value for m in Mode)
MODE_LABELS = {"in_person": "In person", "online": "Online"}


class Registration(Model):
    __tablename__ = "registrations"
    __table_args__ = (
        UniqueConstraint("user_id", "event_id"),
        CheckConstraint("mode IN ('in_person', 'online')", name="mode"),
        CheckConstraint(
            "status IN ('confirmed', 'cancelled', 'pending', 'waitlisted', 'declined')", name="status"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"), index=True)
    mode: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16), default=Status.CONFIRMED.value)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # When the status last changed: the waiting list is served in this order.
    status_changed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=utcnow)
    # The answers to the event's own registration fields, by field key.
    answers: Mapped[dict] = mapped_column(JSON, default=dict)
    invited_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    user: Mapped[User] = relationship()
    event: Mapped[Event] = relationship()

    @property
    def is_confirmed(self) -> bool:
        return self.status == Status.CONFIRMED.value

    @property
    def mode_label(self) -> str:
        return MODE_LABELS.get(self.mode, self.mode)


class FieldKind(str, enum.Enum):
    TEXT = "text"  # one line
    TEXTAREA = "textarea"  # several lines
    CHOICE = "choice"  # one of the choices
    MULTI = "multi"  # any of the choices
    CHECKBOX = "checkbox"  # yes / no
    CONSENT = "consent"  # a checkbox under the privacy notice the organisers write


FIELD_KINDS = tuple(k.value for k in FieldKind)
CHOICE_KINDS = (FieldKind.CHOICE.value, FieldKind.MULTI.value)


class RegistrationField(Model):
    """A question of one event's registration form; the answers live in `Registration.answers[key]`."""

    __tablename__ = "registration_fields"
    __table_args__ = (
        UniqueConstraint("event_id", "key"),
        CheckConstraint(
            "kind IN ('text', 'textarea', 'choice', 'multi', 'checkbox', 'consent')", name="kind"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"), index=True)
    # The answer's name in exports, CSV imports and `?by=` (lower case, digits and underscores).
    key: Mapped[str] = mapped_column(String(40))
    label: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(16))
    choices: Mapped[list] = mapped_column(JSON, default=list)
    required: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    position: Mapped[int] = mapped_column(Integer, default=0)
    help_text: Mapped[str] = mapped_column(Text, default="", server_default="")
    # For a consent field: the privacy notice shown above the box, as the organisers wrote it.
    notice: Mapped[str] = mapped_column(Text, default="", server_default="")

    @property
    def has_choices(self) -> bool:
        return self.kind in CHOICE_KINDS
