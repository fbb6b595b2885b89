"""Matchmaking between countries: practices, expressions of interest (the partnership possibilities),
their follow-up, the sessions where matchmaking happens live, and one-to-one meetings.

The rules that must never break are the database's:
- one expression of interest per practice and country (`UNIQUE(practice_id, country)`); a second
  person of the same country joins it (`UNIQUE(interest_id, user_id)`);
- a person's accepted meetings never overlap: each accepted meeting holds one `meeting_slots` row per
  five minutes it lasts for each of its two people, under `UNIQUE(user_id, starts_at)`. Two accepts
  that would overlap cannot both insert their rows, on SQLite or PostgreSQL alike.
"""

from __future__ import annotations

from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import JSON, CheckConstraint, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..accounts.models import User
from ..db_types import UTCDateTime, utcnow
from ..extensions import Model
from ..programme.models import Event, ProgrammeSession, Track

PRACTICE_STATUSES = ("published", "hidden")
WANTS = ("study_visit", "documents", "expert_exchange", "adaptation")
# Labels are lazy: they are read in the language of the page or the file that shows them.
WANT_LABELS = {
    "study_visit": _l("Study visit"),
    "documents": _l("Documents"),
    "expert_exchange": _l("Expert exchange"),
    "adaptation": _l("Adaptation"),
}
# The follow-up of one partnership possibility, in the order it usually moves.
FOLLOW_UP = ("proposed", "contacted", "in_progress", "done", "dropped")
FOLLOW_UP_LABELS = {
    "proposed": _l("Proposed"),
    "contacted": _l("Contacted"),
    "in_progress": _l("In progress"),
    "done": _l("Done"),
    "dropped": _l("Dropped"),
}
MEETING_STATUSES = ("pending", "accepted", "declined", "cancelled")
MEETING_STATUS_LABELS = {
    "pending": _l("pending"),
    "accepted": _l("accepted"),
    "declined": _l("declined"),
    "cancelled": _l("cancelled"),
}
MEETING_MODES = ("in_person", "online")
SLOT_MINUTES = 5


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class Practice(Model):
    """A best practice a country offers to share (title, summary, who shares it, its thematic area)."""

    __tablename__ = "mm_practices"
    __table_args__ = (CheckConstraint(_in("status", PRACTICE_STATUSES), name="status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"), index=True)
    # The person who speaks for the practice (edits it, follows its possibilities up, takes meetings).
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    title: Mapped[str] = mapped_column(String(200))
    summary: Mapped[str] = mapped_column(Text, default="")
    country: Mapped[str] = mapped_column(String(2))
    organisation: Mapped[str] = mapped_column(String(200), default="")
    track_id: Mapped[int | None] = mapped_column(ForeignKey("tracks.id", ondelete="SET NULL"), index=True)
    session_id: Mapped[int | None] = mapped_column(
        ForeignKey("programme_sessions.id", ondelete="SET NULL"), index=True
    )
    # [{"title": ..., "url": ...}]: documents and pages about the practice, by address.
    links: Mapped[list] = mapped_column(JSON, default=list)
    status: Mapped[str] = mapped_column(String(16), default="published")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

    event: Mapped[Event] = relationship()
    owner: Mapped[User | None] = relationship(foreign_keys=[owner_id])
    track: Mapped[Track | None] = relationship()
    session: Mapped[ProgrammeSession | None] = relationship()
    interests: Mapped[list[Interest]] = relationship(
        back_populates="practice", cascade="all, delete-orphan", order_by="Interest.country"
    )


class Interest(Model):
    """One country's interest in one practice: one partnership possibility, followed up on its own."""

    __tablename__ = "mm_interests"
    __table_args__ = (
        UniqueConstraint("practice_id", "country"),
        CheckConstraint(_in("status", FOLLOW_UP), name="status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    practice_id: Mapped[int] = mapped_column(ForeignKey("mm_practices.id", ondelete="CASCADE"), index=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"), index=True)
    country: Mapped[str] = mapped_column(String(2))
    status: Mapped[str] = mapped_column(String(16), default="proposed")
    status_changed_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    practice: Mapped[Practice] = relationship(back_populates="interests")
    members: Mapped[list[InterestMember]] = relationship(
        back_populates="interest", cascade="all, delete-orphan", order_by="InterestMember.id"
    )
    notes: Mapped[list[FollowUpNote]] = relationship(
        back_populates="interest", cascade="all, delete-orphan", order_by="FollowUpNote.id"
    )

    @property
    def wants(self) -> list[str]:
        """What the country asks for: everything any of its people asked for, in the usual order."""
        asked = {want for member in self.members for want in (member.wants or [])}
        return [want for want in WANTS if want in asked]


class InterestMember(Model):
    """A person who expressed their country's interest, with what they want and a short note."""

    __tablename__ = "mm_interest_members"
    __table_args__ = (UniqueConstraint("interest_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    interest_id: Mapped[int] = mapped_column(ForeignKey("mm_interests.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    wants: Mapped[list] = mapped_column(JSON, default=list)
    note: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    interest: Mapped[Interest] = relationship(back_populates="members")
    user: Mapped[User] = relationship()


class FollowUpNote(Model):
    """A dated note on a possibility, and the status change it came with (if any)."""

    __tablename__ = "mm_follow_up_notes"

    id: Mapped[int] = mapped_column(primary_key=True)
    interest_id: Mapped[int] = mapped_column(ForeignKey("mm_interests.id", ondelete="CASCADE"), index=True)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    text: Mapped[str] = mapped_column(Text, default="")
    from_status: Mapped[str | None] = mapped_column(String(16))
    to_status: Mapped[str | None] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    interest: Mapped[Interest] = relationship(back_populates="notes")
    author: Mapped[User | None] = relationship()


class MatchmakingSession(Model):
    """A programme session where matchmaking happens live: its live page and screen show new
    practices and expressions of interest as they come."""

    __tablename__ = "mm_sessions"

    session_id: Mapped[int] = mapped_column(
        ForeignKey("programme_sessions.id", ondelete="CASCADE"), primary_key=True
    )
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"), index=True)

    session: Mapped[ProgrammeSession] = relationship()


class MeetingOptIn(Model):
    """A participant who lets anyone at the event ask them for a meeting (practice owners always may be)."""

    __tablename__ = "mm_meeting_opt_ins"
    __table_args__ = (UniqueConstraint("event_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class Meeting(Model):
    """A short one-to-one meeting during the event, asked by one person of another.

    While `pending`, `awaiting_id` is the person who must answer (accept, propose another time,
    decline); a proposal hands the turn to the other person. `revision` grows with every change so
    that an answer to a time that has just changed is refused instead of accepting the wrong time.
    """

    __tablename__ = "mm_meetings"
    __table_args__ = (
        CheckConstraint(_in("status", MEETING_STATUSES), name="status"),
        CheckConstraint(_in("mode", MEETING_MODES), name="mode"),
        CheckConstraint("ends_at > starts_at", name="times_ordered"),
        CheckConstraint("requester_id <> recipient_id", name="two_people"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"), index=True)
    requester_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    recipient_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    awaiting_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    practice_id: Mapped[int | None] = mapped_column(ForeignKey("mm_practices.id", ondelete="SET NULL"))
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime())
    mode: Mapped[str] = mapped_column(String(16))
    place: Mapped[str] = mapped_column(String(200), default="")
    link: Mapped[str] = mapped_column(String(500), default="")
    note: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(16), default="pending")
    revision: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

    event: Mapped[Event] = relationship()
    requester: Mapped[User] = relationship(foreign_keys=[requester_id])
    recipient: Mapped[User] = relationship(foreign_keys=[recipient_id])
    practice: Mapped[Practice | None] = relationship()

    def other(self, user_id: int) -> User:
        return self.recipient if user_id == self.requester_id else self.requester


class MeetingSlot(Model):
    """Five minutes of one person's time held by one accepted meeting."""

    __tablename__ = "mm_meeting_slots"
    __table_args__ = (UniqueConstraint("user_id", "starts_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("mm_meetings.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime())
