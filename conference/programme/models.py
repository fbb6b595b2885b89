"""Events, their thematic tracks, programme sessions and speakers."""

from __future__ import annotations

import enum
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Column,
    ForeignKey,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
    false,
    true,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..db_types import UTCDateTime
from ..extensions import Model, db


class SessionKind(str, enum.Enum):
    PLENARY = "plenary"
    KEYNOTE = "keynote"
    THEMATIC = "thematic"
    BREAKOUT = "breakout"
    WORKSHOP = "workshop"


SESSION_KINDS = tuple(k.value for k in SessionKind)
# Big rooms get a moderation queue for questions by default; small ones post at once.
MODERATED_BY_DEFAULT = {SessionKind.PLENARY.value, SessionKind.KEYNOTE.value}

# Which ways of taking part an event offers.
MODES_OFFERED = ("both", "in_person", "online")


class Event(Model):
    __tablename__ = "events"
    __table_args__ = (
        CheckConstraint("ends_at > starts_at", name="dates_ordered"),
        CheckConstraint("modes_offered IN ('both', 'in_person', 'online')", name="modes_offered"),
        CheckConstraint(
            "in_person_capacity IS NULL OR in_person_capacity > 0", name="in_person_capacity_positive"
        ),
        CheckConstraint("online_capacity IS NULL OR online_capacity > 0", name="online_capacity_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    title: Mapped[str] = mapped_column(String(300))
    venue: Mapped[str] = mapped_column(String(200), default="")
    city: Mapped[str] = mapped_column(String(100), default="")
    country: Mapped[str | None] = mapped_column(String(2))
    timezone: Mapped[str] = mapped_column(String(64))
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime())
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime())
    description: Mapped[str] = mapped_column(Text, default="")
    # Drafts are seen only by the event's organisers (and admins).
    published: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    contact_email: Mapped[str] = mapped_column(String(254), default="", server_default="")
    # Registration settings: a window (None = always open), the modes offered, capacities
    # (None = no limit) and whether organisers approve each registration.
    registration_opens_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    registration_closes_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    modes_offered: Mapped[str] = mapped_column(String(16), default="both", server_default="both")
    in_person_capacity: Mapped[int | None] = mapped_column(Integer)
    online_capacity: Mapped[int | None] = mapped_column(Integer)
    requires_approval: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # The event's languages as BCP 47 tags separated by commas, the first being the default ("en,ar").
    languages: Mapped[str] = mapped_column(String(100), default="en", server_default="en")
    # Organisers' translations of the texts above, {field: {language: text}} (i18n/content.py).
    translations: Mapped[dict] = mapped_column(JSON, default=dict, server_default="{}")

    tracks: Mapped[list[Track]] = relationship(
        back_populates="event", cascade="all, delete-orphan", order_by="Track.position"
    )
    sessions: Mapped[list[ProgrammeSession]] = relationship(
        back_populates="event", cascade="all, delete-orphan", order_by="ProgrammeSession.starts_at"
    )
    speakers: Mapped[list[Speaker]] = relationship(back_populates="event", cascade="all, delete-orphan")

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def __repr__(self) -> str:
        return f"<Event {self.slug}>"


class Track(Model):
    """A thematic area of an event's programme."""

    __tablename__ = "tracks"
    __table_args__ = (UniqueConstraint("event_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    position: Mapped[int] = mapped_column(default=0)
    colour: Mapped[str] = mapped_column(String(7), default="#1f6feb")

    event: Mapped[Event] = relationship(back_populates="tracks")


session_speakers = Table(
    "session_speakers",
    db.metadata,
    Column("session_id", Integer, ForeignKey("programme_sessions.id", ondelete="CASCADE"), primary_key=True),
    Column("speaker_id", Integer, ForeignKey("speakers.id", ondelete="CASCADE"), primary_key=True),
)


class ProgrammeSession(Model):
    """One slot of the agenda (a plenary, a thematic session, a breakout...). Not a database session."""

    __tablename__ = "programme_sessions"
    __table_args__ = (
        CheckConstraint("ends_at > starts_at", name="times_ordered"),
        CheckConstraint("kind IN ('plenary', 'keynote', 'thematic', 'breakout', 'workshop')", name="kind"),
        CheckConstraint("capacity IS NULL OR capacity > 0", name="capacity_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"), index=True)
    track_id: Mapped[int | None] = mapped_column(ForeignKey("tracks.id", ondelete="SET NULL"), index=True)
    parent_id: Mapped[int | None] = mapped_column(
        ForeignKey("programme_sessions.id", ondelete="CASCADE"), index=True
    )
    title: Mapped[str] = mapped_column(String(300))
    description: Mapped[str] = mapped_column(Text, default="")
    kind: Mapped[str] = mapped_column(String(16))
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime())
    room: Mapped[str] = mapped_column(String(120), default="")
    capacity: Mapped[int | None] = mapped_column()
    language: Mapped[str] = mapped_column(String(35), default="en")
    stream_url: Mapped[str | None] = mapped_column(String(500))
    # Whether questions wait for a moderator; None means by kind (plenaries and keynotes do).
    questions_moderated: Mapped[bool | None] = mapped_column(Boolean)
    # A call (audio and video) in the live room, as every breakout room has: a workshop table.
    interactive: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # A stable identifier shared with schedule files (frab/pretalx `guid`), so re-imports match.
    guid: Mapped[str | None] = mapped_column(String(64), unique=True)
    # Organisers' translations of the texts above, {field: {language: text}} (i18n/content.py).
    translations: Mapped[dict] = mapped_column(JSON, default=dict, server_default="{}")

    event: Mapped[Event] = relationship(back_populates="sessions")
    track: Mapped[Track | None] = relationship()
    parent: Mapped[ProgrammeSession | None] = relationship(remote_side=[id], back_populates="children")
    children: Mapped[list[ProgrammeSession]] = relationship(
        back_populates="parent", order_by="ProgrammeSession.id"
    )
    speakers: Mapped[list[Speaker]] = relationship(
        secondary=session_speakers, back_populates="sessions", order_by="Speaker.name"
    )

    def __repr__(self) -> str:
        return f"<ProgrammeSession {self.id} {self.title[:30]!r}>"


class Speaker(Model):
    __tablename__ = "speakers"
    # A person's `guid` in schedule files (frab/pretalx), so re-imports find the same speaker.
    __table_args__ = (UniqueConstraint("event_id", "guid"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    title: Mapped[str] = mapped_column(String(200), default="")
    organisation: Mapped[str] = mapped_column(String(200), default="")
    country: Mapped[str | None] = mapped_column(String(2))
    bio: Mapped[str] = mapped_column(Text, default="", server_default="")
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    guid: Mapped[str | None] = mapped_column(String(64))

    event: Mapped[Event] = relationship(back_populates="speakers")
    sessions: Mapped[list[ProgrammeSession]] = relationship(
        secondary=session_speakers, back_populates="speakers"
    )
