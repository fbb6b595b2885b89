"""The one place that answers "may this user manage / moderate / scan / see the people here?".

Every page, API call and /live handler asks these functions; nothing else looks at roles.
Platform admins may do everything everywhere; everyone else needs a grant on *that* event
(a moderator grant may be narrowed to one session, which also covers its breakout rooms).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, exists, or_, select

from ..accounts.models import User
from ..db_session import DbSession
from ..errors import Forbidden
from ..programme.models import Event, ProgrammeSession, Speaker
from .models import EventGrant

SCAN_ROLES = ("organiser", "staff")  # who scans badges at an event's doors (besides admins)


def _event_id(event: Event | int) -> int:
    return event if isinstance(event, int) else event.id


def _is_admin(user: User | None) -> bool:
    return bool(user is not None and getattr(user, "is_authenticated", True) and user.is_admin)


def _holds(
    db: DbSession, user: User | None, event_id: int, roles: tuple[str, ...], session_ids: tuple[int, ...] = ()
) -> bool:
    if user is None or not getattr(user, "is_authenticated", True) or user.id is None:
        return False
    return bool(db.scalar(select(_holds_clause(user.id, event_id, roles, session_ids))))


def _holds_clause(
    user_id: Any, event_id: Any, roles: tuple[str, ...], session_ids: tuple[Any, ...] = ()
) -> ColumnElement[bool]:
    scope: ColumnElement[bool] = EventGrant.session_id.is_(None)
    if session_ids:
        scope = or_(scope, EventGrant.session_id.in_(session_ids))
    return exists().where(
        EventGrant.user_id == user_id, EventGrant.event_id == event_id, EventGrant.role.in_(roles), scope
    )


def _any_grant_clause(user_id: Any, event_id: Any) -> ColumnElement[bool]:
    return exists().where(EventGrant.user_id == user_id, EventGrant.event_id == event_id)


def room_rights_clauses(
    user_id: Any, event_id: Any, session_ids: tuple[Any, ...]
) -> tuple[ColumnElement[bool], ColumnElement[bool]]:
    """`runs_event(event)` and `can_moderate(session)` of a signed-in non-admin as SQL EXISTS
    clauses (`session_ids`: the session and its parent, if any; values or bind parameters), for a
    caller that asks them in one statement with other questions (the join)."""
    return (
        _any_grant_clause(user_id, event_id),
        _holds_clause(user_id, event_id, ("organiser", "moderator"), session_ids),
    )


def scan_right_clause(user_id: Any, event_id: Any) -> ColumnElement[bool]:
    """The grant half of `can_scan` as an SQL EXISTS clause (values, columns or bind parameters), for
    a caller that asks it in one statement with other questions (a badge scan); the caller then
    decides with `ensure_scan_right`."""
    return _holds_clause(user_id, event_id, SCAN_ROLES)


def ensure_scan_right(user: User | None, holds_grant: bool) -> None:
    """`ensure_can_scan` with the grant half already asked (`scan_right_clause`)."""
    if not (_is_admin(user) or holds_grant):
        raise Forbidden("forbidden", "you are not check-in staff of this event")


def can_administer(user: User | None) -> bool:
    """Platform admins create events and name their organisers."""
    return _is_admin(user)


def can_manage(db: DbSession, user: User | None, event: Event | int) -> bool:
    """Change the event: its settings, programme, people, doors and grants."""
    return _is_admin(user) or _holds(db, user, _event_id(event), ("organiser",))


def can_moderate(db: DbSession, user: User | None, session: ProgrammeSession) -> bool:
    """Run a session's live room: questions, polls, breakouts, settings (also its breakout rooms)."""
    if _is_admin(user):
        return True
    session_ids = tuple(sid for sid in (session.id, session.parent_id) if sid is not None)
    return _holds(db, user, session.event_id, ("organiser", "moderator"), session_ids)


def can_moderate_event(db: DbSession, user: User | None, event: Event | int) -> bool:
    """Moderate every session of the event (an event-wide moderator grant or organiser)."""
    return _is_admin(user) or _holds(db, user, _event_id(event), ("organiser", "moderator"))


def can_scan(db: DbSession, user: User | None, event: Event | int) -> bool:
    """Scan badges and undo scans at the event's doors."""
    return _is_admin(user) or _holds(db, user, _event_id(event), SCAN_ROLES)


def can_see_people(db: DbSession, user: User | None, event: Event | int) -> bool:
    """Personal data of the event (participants, attendance): anyone who holds a grant there."""
    if _is_admin(user):
        return True
    if user is None or not getattr(user, "is_authenticated", True) or user.id is None:
        return False
    return bool(db.scalar(select(_any_grant_clause(user.id, _event_id(event)))))


def can_watch_streams(db: DbSession, user: User | None, event: Event | int) -> bool:
    """The sessions' stream addresses: the event's confirmed participants and the people who run it
    (the live page shows the stream to the same people)."""
    if can_see_people(db, user, event):
        return True
    if user is None or not getattr(user, "is_authenticated", True) or user.id is None:
        return False
    from ..registrations.models import Registration, Status

    return bool(
        db.scalar(
            select(
                exists().where(
                    Registration.user_id == user.id,
                    Registration.event_id == _event_id(event),
                    Registration.status == Status.CONFIRMED.value,
                )
            )
        )
    )


def runs_event(db: DbSession, user: User | None, event: Event | int) -> bool:
    """Same as can_see_people: the person runs this event rather than attends it."""
    return can_see_people(db, user, event)


def is_speaker(db: DbSession, user: User | None, event: Event | int) -> bool:
    """The account is linked to one of the event's speakers."""
    if user is None or not getattr(user, "is_authenticated", True) or user.id is None:
        return False
    return bool(
        db.scalar(select(exists().where(Speaker.user_id == user.id, Speaker.event_id == _event_id(event))))
    )


def can_answer_questions(
    db: DbSession, user: User | None, event: Event | int, session: ProgrammeSession | None = None
) -> bool:
    """Answer a question in writing on the discussion board: the event's speakers, and the moderators of
    the session it was asked in (or of the whole event for a question asked on the board)."""
    if is_speaker(db, user, event):
        return True
    return can_moderate(db, user, session) if session is not None else can_moderate_event(db, user, event)


def ensure_can_administer(user: User | None) -> None:
    if not can_administer(user):
        raise Forbidden("forbidden", "only platform admins may do this")


def ensure_can_manage(db: DbSession, user: User | None, event: Event | int) -> None:
    if not can_manage(db, user, event):
        raise Forbidden("forbidden", "only this event's organisers may do this")


def ensure_can_moderate(db: DbSession, user: User | None, session: ProgrammeSession) -> None:
    if not can_moderate(db, user, session):
        raise Forbidden("forbidden", "only this session's moderators may do this")


def ensure_can_scan(db: DbSession, user: User | None, event: Event | int) -> None:
    ensure_scan_right(user, not _is_admin(user) and _holds(db, user, _event_id(event), SCAN_ROLES))


def ensure_can_answer_questions(
    db: DbSession, user: User | None, event: Event | int, session: ProgrammeSession | None = None
) -> None:
    if not can_answer_questions(db, user, event, session):
        raise Forbidden("forbidden", "only the event's speakers and moderators answer questions")


def ensure_can_see_people(db: DbSession, user: User | None, event: Event | int) -> None:
    if not can_see_people(db, user, event):
        raise Forbidden("forbidden", "only the people who run this event may see its participants")


def events_run_by(db: DbSession, user: User, *, roles: tuple[str, ...] | None = None) -> list[Event]:
    """The events where the user holds a grant (of one of `roles`), or every event for an admin."""
    query = select(Event).order_by(Event.starts_at)
    if not _is_admin(user):
        grant = select(EventGrant.event_id).where(EventGrant.user_id == user.id)
        if roles:
            grant = grant.where(EventGrant.role.in_(roles))
        query = query.where(Event.id.in_(grant))
    return list(db.scalars(query))
