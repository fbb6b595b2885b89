"""Check-in lists, first entries, every entry/exit movement, the scan audit log, badge versions,
and per-event signing keys (who may scan is an EventGrant, see conference.grants).

"Inside now" on a list: `Checkin.inside` (kept by conditional UPDATEs) and equivalently the last
non-undone `CheckinMovement` of that registration on that list being "in". Automatic check-outs
(a list's `auto_checkout_at`) are recorded as real "out" movements with `automatic = true`, so
readers such as attendance only ever need the movements.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Date,
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
from ..programme.models import Event, ProgrammeSession
from ..registrations.models import Registration
from ..wire import GATE_MAX  # the columns below are sized by it (a change needs a migration)

SCOPES = ("event", "day", "session")
DIRECTIONS = ("in", "out")


class CheckinList(Model):
    """What staff scan against: the entrance (event), one day, or one session's door."""

    __tablename__ = "checkin_lists"
    __table_args__ = (
        UniqueConstraint("event_id", "name"),
        CheckConstraint("scope IN ('event', 'day', 'session')", name="scope"),
        CheckConstraint("capacity IS NULL OR capacity > 0", name="capacity_positive"),
        CheckConstraint("inside_count >= 0", name="inside_count_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    scope: Mapped[str] = mapped_column(String(16), default="event")
    day: Mapped[date | None] = mapped_column(Date())
    session_id: Mapped[int | None] = mapped_column(
        ForeignKey("programme_sessions.id", ondelete="CASCADE"), index=True
    )
    admits_online: Mapped[bool] = mapped_column(Boolean, default=False)
    allow_reentry: Mapped[bool] = mapped_column(Boolean, default=True)
    # A session's door stops admitting when the session ends, unless its organisers allow it.
    admits_after_end: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    auto_checkout_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Set once the automatic check-out ran (a conditional UPDATE makes it run once across processes).
    auto_checked_out_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    capacity: Mapped[int | None] = mapped_column(Integer)
    # People inside now; moved only together with Checkin.inside, and the capacity gate:
    # UPDATE ... SET inside_count = inside_count + 1 WHERE capacity IS NULL OR inside_count < capacity.
    inside_count: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    event: Mapped[Event] = relationship()
    session: Mapped[ProgrammeSession | None] = relationship()


class Checkin(Model):
    """The first entry of a registration on a list: the database allows exactly one."""

    __tablename__ = "checkins"
    __table_args__ = (UniqueConstraint("registration_id", "list_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    registration_id: Mapped[int] = mapped_column(
        ForeignKey("registrations.id", ondelete="CASCADE"), index=True
    )
    list_id: Mapped[int] = mapped_column(ForeignKey("checkin_lists.id", ondelete="CASCADE"), index=True)
    checked_in_at: Mapped[datetime] = mapped_column(UTCDateTime())
    gate: Mapped[str] = mapped_column(String(GATE_MAX), default="")
    staff_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    inside: Mapped[bool] = mapped_column(Boolean, default=True)

    registration: Mapped[Registration] = relationship()
    staff_user: Mapped[User | None] = relationship()


class CheckinMovement(Model):
    """Every accepted entry or exit (and automatic check-out); undo marks it, never deletes it."""

    __tablename__ = "checkin_movements"
    __table_args__ = (CheckConstraint("direction IN ('in', 'out')", name="direction"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    list_id: Mapped[int] = mapped_column(ForeignKey("checkin_lists.id", ondelete="CASCADE"), index=True)
    registration_id: Mapped[int] = mapped_column(
        ForeignKey("registrations.id", ondelete="CASCADE"), index=True
    )
    direction: Mapped[str] = mapped_column(String(3))
    scanned_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    gate: Mapped[str] = mapped_column(String(GATE_MAX), default="")
    staff_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    scan_id: Mapped[str | None] = mapped_column(String(64))
    automatic: Mapped[bool] = mapped_column(Boolean, default=False)
    undone_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    undone_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    staff_user: Mapped[User | None] = relationship(foreign_keys=[staff_user_id])


class ScanRecord(Model):
    """The audit log: every scan, accepted or refused, and every undo. `scan_id` makes scans idempotent:
    the stored `response` is what a repeated scan_id gets back."""

    __tablename__ = "checkin_scans"

    id: Mapped[int] = mapped_column(primary_key=True)
    scan_id: Mapped[str] = mapped_column(String(64), unique=True)
    action: Mapped[str] = mapped_column(String(8), default="scan")  # scan | undo
    list_id: Mapped[int | None] = mapped_column(
        ForeignKey("checkin_lists.id", ondelete="CASCADE"), index=True
    )
    registration_id: Mapped[int | None] = mapped_column(ForeignKey("registrations.id", ondelete="SET NULL"))
    direction: Mapped[str] = mapped_column(String(3), default="in")
    code: Mapped[str] = mapped_column(String(256), default="")  # truncated: the log must stay small
    result: Mapped[str] = mapped_column(String(32), index=True)
    reason: Mapped[str] = mapped_column(String(64), default="")
    gate: Mapped[str] = mapped_column(String(GATE_MAX), default="")
    staff_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    scanned_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    offline: Mapped[bool] = mapped_column(Boolean, default=False)
    late: Mapped[bool] = mapped_column(Boolean, default=False)
    # The offline scanner admitted the person but the server refused: the same badge at two gates.
    conflict: Mapped[bool] = mapped_column(Boolean, default=False)
    response: Mapped[str] = mapped_column(Text, default="{}")


class BadgeIssue(Model):
    """The current badge version of a registration (no row = version 1). Reissuing bumps it."""

    __tablename__ = "badge_issues"

    registration_id: Mapped[int] = mapped_column(
        ForeignKey("registrations.id", ondelete="CASCADE"), primary_key=True
    )
    version: Mapped[int] = mapped_column(Integer, default=1)
    reissued_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    reissued_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))


class EventSigningKey(Model):
    """The Ed25519 key that signs an event's badges, kept in the database so every process agrees."""

    __tablename__ = "event_signing_keys"

    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"), primary_key=True)
    private_key: Mapped[str] = mapped_column(String(64))  # raw 32 bytes, hex
    public_key: Mapped[str] = mapped_column(String(64))  # raw 32 bytes, hex
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
