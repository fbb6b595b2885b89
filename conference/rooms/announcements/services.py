"""Announcement rules: who may send and withdraw, the text, the flood limit, how many are kept.

Plain functions over a database session; they raise ServiceError codes and never emit (the callers
broadcast `announcement:new` / `announcement:withdrawn` to the event's room).
"""

from __future__ import annotations

from sqlalchemy import delete, select, update

from ...accounts.models import User
from ...db_session import DbSession, execute_dml
from ...db_types import utcnow
from ...errors import Conflict, Forbidden, NotFound
from ...grants import checks
from ...programme.models import Event, ProgrammeSession
from ...wire import isoformat_utc
from .. import ratelimit
from ..services import clean_text
from .models import TEXT_MAX, Announcement

KEEP = 50  # the most recent announcements kept per event; older ones are deleted when a new one is sent


def may_announce(db: DbSession, user: User | None, event: Event) -> bool:
    """The event's organisers and event-wide moderators (and admins)."""
    return checks.can_moderate_event(db, user, event)


def ensure_may_announce(db: DbSession, user: User | None, event: Event) -> None:
    if not may_announce(db, user, event):
        raise Forbidden("forbidden", "only this event's organisers and moderators may send announcements")


def may_withdraw(db: DbSession, user: User | None, announcement: Announcement) -> bool:
    """Organisers withdraw any announcement of their event; a moderator only the ones they sent."""
    if checks.can_manage(db, user, announcement.event_id):
        return True
    return (
        user is not None
        and announcement.author_id == getattr(user, "id", None)
        and checks.can_moderate_event(db, user, announcement.event_id)
    )


def get_event_by_id(db: DbSession, event_id: int) -> Event:
    event = db.get(Event, event_id)
    if event is None:
        raise NotFound("event_not_found", f"there is no event {event_id}")
    return event


def announcement_payload(announcement: Announcement) -> dict:
    author = announcement.author
    return {
        "id": announcement.id,
        "event_id": announcement.event_id,
        "text": announcement.text,
        "created_at": isoformat_utc(announcement.created_at, milliseconds=True),
        "author": {"id": author.id, "name": author.name} if author is not None else None,
    }


def current_announcement(db: DbSession, event_id: int) -> Announcement | None:
    """The newest announcement of the event that was not withdrawn: the one the banners show."""
    return db.scalar(
        select(Announcement)
        .where(Announcement.event_id == event_id, Announcement.withdrawn_at.is_(None))
        .order_by(Announcement.id.desc())
        .limit(1)
    )


def recent_announcements(db: DbSession, event: Event, limit: int = KEEP) -> list[Announcement]:
    """Newest first, withdrawn ones included (the back-office shows them as withdrawn)."""
    return list(
        db.scalars(
            select(Announcement)
            .where(Announcement.event_id == event.id)
            .order_by(Announcement.id.desc())
            .limit(limit)
        )
    )


def send_announcement(db: DbSession, user: User, event: Event, text: str) -> Announcement:
    """Store a new announcement for every live room of `event`; the caller broadcasts it."""
    ensure_may_announce(db, user, event)
    text = clean_text(text, TEXT_MAX, "announcement")
    ratelimit.consume(db, f"announcement:{event.id}", "announcement")
    announcement = Announcement(event_id=event.id, text=text, author_id=user.id)
    db.add(announcement)
    db.flush()
    _forget_old(db, event.id)
    db.commit()
    return announcement


def _forget_old(db: DbSession, event_id: int) -> None:
    kept = (
        select(Announcement.id)
        .where(Announcement.event_id == event_id)
        .order_by(Announcement.id.desc())
        .limit(KEEP)
    )
    db.execute(
        delete(Announcement)
        .where(Announcement.event_id == event_id, Announcement.id.not_in(kept.scalar_subquery()))
        .execution_options(synchronize_session=False)
    )


def withdraw_announcement(
    db: DbSession, user: User, announcement_id: int, event: Event | None = None
) -> Announcement:
    """Take an announcement down (it stays listed as withdrawn). `event`, when given, must be its event."""
    announcement = db.get(Announcement, announcement_id)
    if announcement is None or (event is not None and announcement.event_id != event.id):
        raise NotFound("announcement_not_found", f"there is no announcement {announcement_id}")
    if not may_withdraw(db, user, announcement):
        raise Forbidden(
            "forbidden", "only this event's organisers (or the moderator who sent it) may withdraw it"
        )
    taken_down = execute_dml(
        db,
        update(Announcement)
        .where(Announcement.id == announcement.id, Announcement.withdrawn_at.is_(None))
        .values(withdrawn_at=utcnow(), withdrawn_by_id=user.id)
        .execution_options(synchronize_session=False),
    ).rowcount
    if not taken_down:
        db.rollback()
        raise Conflict("already_withdrawn", "this announcement was already withdrawn")
    db.commit()
    db.refresh(announcement)
    return announcement


def join_state(db: DbSession, session: ProgrammeSession) -> dict:
    """Part of every `join` ack: the event's current announcement, so late joiners and reconnects see it."""
    current = current_announcement(db, session.event_id)
    return {"announcement": announcement_payload(current) if current is not None else None}
