"""A session's interpretation channels: one row per language, at most one of them the floor."""

from __future__ import annotations

from sqlalchemy import Boolean, ForeignKey, Index, String, UniqueConstraint, false, text, true
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import Model

LABEL_MAX = 80
URL_MAX = 500  # the same size as programme_sessions.stream_url
LANGUAGE_MAX = 35


class InterpretationChannel(Model):
    """One stream of a session in one language: the floor (the room's own sound) or an interpreter's booth.

    UNIQUE(session_id, language): one channel per language; a partial unique index keeps one floor
    per session. `live` is the booth's state, switched by moderators and organisers.
    """

    __tablename__ = "interpretation_channels"
    __table_args__ = (
        UniqueConstraint("session_id", "language", name="uq_interpretation_channels_session_language"),
        Index(
            "uq_interpretation_channels_one_floor",
            "session_id",
            unique=True,
            sqlite_where=text("is_floor"),
            postgresql_where=text("is_floor"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("programme_sessions.id", ondelete="CASCADE"))
    language: Mapped[str] = mapped_column(String(LANGUAGE_MAX))
    label: Mapped[str] = mapped_column(String(LABEL_MAX), default="", server_default="")
    stream_url: Mapped[str] = mapped_column(String(URL_MAX))
    is_floor: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    live: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())

    def __repr__(self) -> str:
        return f"<InterpretationChannel {self.session_id}:{self.language}>"
