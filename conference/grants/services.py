"""Naming and removing the people who run an event (organisers, moderators, check-in staff)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from ..accounts.models import User
from ..db_session import DbSession
from ..errors import NotFound, ServiceError
from ..hooks import access_lost, grants_changed
from ..programme.models import Event, ProgrammeSession
from .models import GRANT_ROLES, EventGrant


def _find(db: DbSession, event_id: int, user_id: int, role: str, session_id: int | None) -> EventGrant | None:
    return db.scalar(
        select(EventGrant).where(
            EventGrant.event_id == event_id,
            EventGrant.user_id == user_id,
            EventGrant.role == role,
            EventGrant.session_id.is_(None) if session_id is None else EventGrant.session_id == session_id,
        )
    )


def grant(
    db: DbSession,
    event: Event,
    user: User,
    role: str,
    *,
    session: ProgrammeSession | None = None,
    granted_by: User | None = None,
    commit: bool = True,
) -> EventGrant:
    """Give `user` a role at `event` (a moderator role may be limited to one session). Idempotent."""
    if role not in GRANT_ROLES:
        raise ServiceError("invalid_role", f"role must be one of {', '.join(GRANT_ROLES)}")
    if session is not None:
        if role != "moderator":
            raise ServiceError("invalid_role", "only a moderator grant can be limited to one session")
        if session.event_id != event.id:
            raise ServiceError("session_not_in_event", "that session belongs to another event")
    session_id = session.id if session is not None else None
    existing = _find(db, event.id, user.id, role, session_id)
    if existing is not None:
        return existing
    row = EventGrant(
        event_id=event.id,
        user_id=user.id,
        role=role,
        session_id=session_id,
        granted_by_id=granted_by.id if granted_by is not None else None,
    )
    db.add(row)
    try:
        db.flush()
        if commit:
            db.commit()
    except IntegrityError:
        # Someone granted the same role at the same moment: the unique index kept one row.
        db.rollback()
        found = _find(db, event.id, user.id, role, session_id)
        if found is None:  # pragma: no cover - the row vanished between two statements
            raise
        return found
    # Without commit the caller commits at once; a join in between may remember the old answer
    # until LIVE_CONTEXT_TTL_SECONDS.
    grants_changed.send("grant", user_id=user.id, event_id=event.id)
    return row


def revoke(db: DbSession, event: Event, grant_id: int) -> None:
    """Remove one grant of this event."""
    row = db.get(EventGrant, grant_id)
    if row is None or row.event_id != event.id:
        raise NotFound("grant_not_found", "no such grant at this event")
    user_id = row.user_id
    db.delete(row)
    db.commit()
    grants_changed.send("grant", user_id=user_id, event_id=event.id)
    # The person's open sockets (dashboards, moderator consoles) must stop receiving at once.
    access_lost.send("grant", user_id=user_id, event_id=event.id)


def grants_of(db: DbSession, event: Event) -> list[EventGrant]:
    """Everyone who runs the event, organisers first."""
    order = {"organiser": 0, "moderator": 1, "staff": 2}
    rows = list(db.scalars(select(EventGrant).where(EventGrant.event_id == event.id).order_by(EventGrant.id)))
    return sorted(rows, key=lambda g: (order[g.role], g.user.name.lower(), g.session_id or 0))


def user_ids_with_grant(db: DbSession, event_id: int, roles: tuple[str, ...] = GRANT_ROLES) -> set[int]:
    return set(
        db.scalars(
            select(EventGrant.user_id).where(EventGrant.event_id == event_id, EventGrant.role.in_(roles))
        )
    )
