"""Polls a moderator prepares and launches in a live room, and the participants' ballots.

A ballot is one row per (poll, user) — the database refuses a second one — and its content lives
in `PollAnswer` rows (one per chosen option, the rating, each word, or the text), so that every
tally is a GROUP BY in SQL rather than a loop in Python.
"""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    ForeignKey,
    ForeignKeyConstraint,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ...db_types import UTCDateTime, utcnow
from ...extensions import Model


class PollKind(str, enum.Enum):
    SINGLE = "single"
    MULTIPLE = "multiple"
    RATING = "rating"
    WORD_CLOUD = "word_cloud"
    OPEN_TEXT = "open_text"


class ResultsVisibility(str, enum.Enum):
    LIVE = "live"  # everyone sees the tally while the poll runs
    AFTER_CLOSE = "after_close"  # moderators while it runs, everyone once it is closed
    HIDDEN = "hidden"  # moderators only, ever


class PollStatus(str, enum.Enum):
    DRAFT = "draft"
    OPEN = "open"
    CLOSED = "closed"


POLL_KINDS = tuple(k.value for k in PollKind)
VISIBILITIES = tuple(v.value for v in ResultsVisibility)
STATUSES = tuple(s.value for s in PollStatus)
CHOICE_KINDS = (PollKind.SINGLE.value, PollKind.MULTIPLE.value)
RATING_SCALES = (5, 10)


def _in(column: str, values: tuple) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class Poll(Model):
    __tablename__ = "polls"
    __table_args__ = (
        CheckConstraint(_in("kind", POLL_KINDS), name="kind"),
        CheckConstraint(_in("results_visibility", VISIBILITIES), name="results_visibility"),
        CheckConstraint(_in("status", STATUSES), name="status"),
        CheckConstraint("scale IS NULL OR scale IN (5, 10)", name="scale"),
        CheckConstraint("max_choices IS NULL OR max_choices > 0", name="max_choices_positive"),
        CheckConstraint("duration_s IS NULL OR duration_s > 0", name="duration_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(
        ForeignKey("programme_sessions.id", ondelete="CASCADE"), index=True
    )
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    title: Mapped[str] = mapped_column(String(300))
    kind: Mapped[str] = mapped_column(String(16))
    max_choices: Mapped[int | None] = mapped_column(Integer)
    scale: Mapped[int | None] = mapped_column(Integer)
    results_visibility: Mapped[str] = mapped_column(String(16), default=ResultsVisibility.LIVE.value)
    duration_s: Mapped[int | None] = mapped_column(Integer)
    allow_change: Mapped[bool] = mapped_column(Boolean, default=False)
    status: Mapped[str] = mapped_column(String(8), default=PollStatus.DRAFT.value)
    # Bumped by every accepted vote in the vote's own transaction, under the condition that the
    # poll is still open: a vote and a close serialise on this row, and a tally carrying version
    # v includes every vote acknowledged with a version <= v.
    votes_version: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    opened_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    closes_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # The moderators' translations of the question, {"title": {language: text}} (i18n/content.py).
    translations: Mapped[dict] = mapped_column(JSON, default=dict, server_default="{}")

    options: Mapped[list[PollOption]] = relationship(
        back_populates="poll",
        cascade="all, delete-orphan",
        order_by="PollOption.position",
        passive_deletes=True,
    )

    def __repr__(self) -> str:
        return f"<Poll {self.id} {self.kind} {self.status}>"


class PollOption(Model):
    __tablename__ = "poll_options"
    __table_args__ = (
        UniqueConstraint("poll_id", "position"),
        # Target of PollAnswer's composite key: an answer can only name an option of its own poll.
        UniqueConstraint("poll_id", "id", name="uq_poll_options_poll_id_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    poll_id: Mapped[int] = mapped_column(ForeignKey("polls.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(Integer)
    text: Mapped[str] = mapped_column(String(200))
    # Translations of the option, {"text": {language: text}} (i18n/content.py).
    translations: Mapped[dict] = mapped_column(JSON, default=dict, server_default="{}")

    poll: Mapped[Poll] = relationship(back_populates="options")


class PollBallot(Model):
    """One person's whole vote on one poll (all the choices of a multiple-choice poll together)."""

    __tablename__ = "poll_ballots"
    __table_args__ = (UniqueConstraint("poll_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    poll_id: Mapped[int] = mapped_column(ForeignKey("polls.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    cast_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    changed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Bumped when the ballot is changed: concurrent changes of one ballot serialise on this row.
    revision: Mapped[int] = mapped_column(Integer, default=1)

    answers: Mapped[list[PollAnswer]] = relationship(
        back_populates="ballot",
        cascade="all, delete-orphan",
        order_by="PollAnswer.id",
        passive_deletes=True,
    )


class PollAnswer(Model):
    """One part of a ballot: a chosen option, the rating, one word, or the text."""

    __tablename__ = "poll_answers"
    __table_args__ = (
        CheckConstraint(
            "(CASE WHEN option_id IS NULL THEN 0 ELSE 1 END) + (CASE WHEN rating IS NULL THEN 0 ELSE 1 END)"
            " + (CASE WHEN word IS NULL THEN 0 ELSE 1 END) + (CASE WHEN text IS NULL THEN 0 ELSE 1 END) = 1",
            name="exactly_one_answer",
        ),
        CheckConstraint("rating IS NULL OR (rating >= 1 AND rating <= 10)", name="rating_range"),
        ForeignKeyConstraint(
            ["poll_id", "option_id"],
            ["poll_options.poll_id", "poll_options.id"],
            name="fk_poll_answers_option_of_poll",
            ondelete="CASCADE",
        ),
        UniqueConstraint("ballot_id", "option_id"),
        UniqueConstraint("ballot_id", "word"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    ballot_id: Mapped[int] = mapped_column(ForeignKey("poll_ballots.id", ondelete="CASCADE"))
    # Repeated from the ballot so that tallies group one table by poll without a join.
    poll_id: Mapped[int] = mapped_column(ForeignKey("polls.id", ondelete="CASCADE"), index=True)
    option_id: Mapped[int | None] = mapped_column(Integer)
    rating: Mapped[int | None] = mapped_column(Integer)
    word: Mapped[str | None] = mapped_column(String(40))
    text: Mapped[str | None] = mapped_column(Text)

    ballot: Mapped[PollBallot] = relationship(back_populates="answers")
