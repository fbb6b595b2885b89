"""Who may enter and run a live room, and the Socket.IO room names every live feature uses.

`can_moderate` and `ensure_can_moderate` are conference.grants.checks' own, re-exported for the
live features: a moderator of a session (or of its whole event) runs its room and its breakouts.
"""

from __future__ import annotations

from functools import cache

from sqlalchemy import BindParameter, Select, bindparam, select

from .. import hooks
from ..accounts.models import User
from ..db_session import DbSession, detached_from_row, mapped_columns
from ..errors import Forbidden, NotFound
from ..grants.checks import (  # noqa: F401 - re-exported
    can_moderate,
    ensure_can_moderate,
    room_rights_clauses,
    runs_event,
)
from ..programme.models import ProgrammeSession, SessionKind
from ..registrations.services import confirmed_registration, confirmed_registration_clause


def room_name(session_id: int) -> str:
    """Everyone in a session's live room (a breakout is a session of its own)."""
    return f"session:{session_id}"


def moderators_room(session_id: int) -> str:
    """The moderators of a session: pending questions, hidden results and alerts go here only."""
    return f"moderators:{session_id}"


def user_room(user_id: int) -> str:
    """All sockets of one person, for replies that follow them across tabs."""
    return f"user:{user_id}"


def event_room(event_id: int) -> str:
    """Every socket in any live room of one event: announcements go here, once."""
    return f"event:{event_id}"


def agenda_room(event_id: int) -> str:
    """Open agenda pages of one event (`agenda:watch`): they hear that a session moved."""
    return f"agenda:{event_id}"


def get_live_session(db: DbSession, session_id: int) -> ProgrammeSession:
    session = db.get(ProgrammeSession, session_id)
    if session is None:
        raise NotFound("session_not_found", f"there is no session {session_id}")
    return session


_SESSION_COLUMNS = mapped_columns(ProgrammeSession)
_SESSION_ROW = select(*(column for _name, column in _SESSION_COLUMNS)).where(
    ProgrammeSession.__table__.c.id == bindparam("session_id")
)


def live_session(db: DbSession, session_id: int) -> ProgrammeSession:
    """`get_live_session` for the `join`: read as one Core row (no ORM loading), detached (see
    db_session.detached_from_row): never change it. A breakout room (a session with a parent) is
    loaded by the session as usual, as its rules and state follow its parent (a relationship)."""
    row = db.connection().execute(_SESSION_ROW, {"session_id": session_id}).first()
    if row is None:
        raise NotFound("session_not_found", f"there is no session {session_id}")
    if row.parent_id is not None or row.kind == SessionKind.BREAKOUT.value:
        return get_live_session(db, session_id)
    return detached_from_row(ProgrammeSession, _SESSION_COLUMNS, row)


def ensure_can_join(db: DbSession, user: User, session: ProgrammeSession) -> None:
    """Registered participants of the event, and the people who run it, may enter its rooms."""
    if runs_event(db, user, session.event_id):
        return
    if confirmed_registration(db, user.id, session.event_id) is None:
        raise Forbidden("not_registered", "register for this event to join its live sessions")
    hooks.check_entry_rules(db, user, session)


def join_rights(db: DbSession, user: User, session: ProgrammeSession) -> bool:
    """`ensure_can_join` and `can_moderate` in one statement (the join asks both): raises as
    `ensure_can_join` does, else returns whether the person moderates the session."""
    if user.is_admin:
        return True
    ids = {"user_id": user.id, "event_id": session.event_id, "session_id": session.id}
    if session.parent_id is not None:
        ids["parent_id"] = session.parent_id
    row = db.connection().execute(_join_rights_statement(session.parent_id is not None), ids).one()
    if not row[0]:
        if not row[1]:
            raise Forbidden("not_registered", "register for this event to join its live sessions")
        hooks.check_entry_rules(db, user, session)
    return bool(row[2])


@cache
def _join_rights_statement(with_parent: bool) -> Select:
    """Built once (a join storm would otherwise spend its time building and keying it anew)."""
    user_id: BindParameter[int] = bindparam("user_id")
    event_id: BindParameter[int] = bindparam("event_id")
    session_ids: tuple[BindParameter[int], ...] = (bindparam("session_id"),)
    if with_parent:
        session_ids += (bindparam("parent_id"),)
    runs, moderates = room_rights_clauses(user_id, event_id, session_ids)
    return select(runs, confirmed_registration_clause(user_id, event_id), moderates)
