"""A file an organiser attached to an event, or to one session of it.

The bytes live in the storage (`storage.py`) under a generated key; the row keeps what the
people see (title, the kind of file) and who may download it.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..db_types import UTCDateTime, utcnow
from ..extensions import Model
from ..programme.models import Event, ProgrammeSession

VISIBILITIES = ("public", "participants")
VISIBILITY_LABELS = {"public": "Everyone", "participants": "Registered participants only"}


class Document(Model):
    __tablename__ = "documents"
    __table_args__ = (
        CheckConstraint("visibility IN ('public', 'participants')", name="visibility"),
        CheckConstraint("size >= 0", name="size_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"), index=True)
    # None: a document of the whole event. Deleting a session keeps its documents on the event.
    session_id: Mapped[int | None] = mapped_column(
        ForeignKey("programme_sessions.id", ondelete="SET NULL"), index=True
    )
    title: Mapped[str] = mapped_column(String(200))
    visibility: Mapped[str] = mapped_column(String(16), default="public")
    # What the content turned out to be ("pdf", "docx", "png"...), decided by `filetypes.sniff`.
    kind: Mapped[str] = mapped_column(String(8))
    content_type: Mapped[str] = mapped_column(String(120))
    size: Mapped[int] = mapped_column(Integer)
    storage_key: Mapped[str] = mapped_column(String(80), unique=True)
    original_filename: Mapped[str] = mapped_column(String(255), default="")
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

    event: Mapped[Event] = relationship()
    session: Mapped[ProgrammeSession | None] = relationship()

    @property
    def visibility_label(self) -> str:
        return VISIBILITY_LABELS[self.visibility]

    @property
    def extension(self) -> str:
        return "jpg" if self.kind == "jpeg" else self.kind
