"""Who is inside which room: one presence row per socket, one visit row per stay.

Everything lives in the database so that several server processes share one picture. A socket
is in at most one room (UNIQUE sid); a person counts once however many tabs they open
(COUNT(DISTINCT user_id)).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from flask import current_app, has_app_context
from sqlalchemy import bindparam, delete, func, insert, select, update
from sqlalchemy.exc import IntegrityError

from .. import hooks
from ..db_session import DbSession, execute_dml
from ..db_types import utcnow
from ..errors import Conflict
from ..programme.models import ProgrammeSession
from .models import RoomPresence, RoomVisit

# Built once (every join runs them; building and keying a statement anew cost more than running it).
_ROOM_OF = select(RoomPresence.session_id).where(RoomPresence.sid == bindparam("sid"))
_ONLINE = select(func.count(func.distinct(RoomPresence.user_id))).where(
    RoomPresence.session_id == bindparam("session_id"), RoomPresence.screen.is_(False)
)


def current_room_of(db: DbSession, sid: str) -> int | None:
    """The session id of the room this socket is in, or None."""
    return db.scalar(_ROOM_OF, {"sid": sid})


def online_count(db: DbSession, session_id: int) -> int:
    """Distinct people connected to the room now, whatever their number of tabs."""
    return db.connection().execute(_ONLINE, {"session_id": session_id}).scalar() or 0


def online_user_ids(db: DbSession, session_id: int) -> list[int]:
    return list(
        db.scalars(
            select(RoomPresence.user_id)
            .where(RoomPresence.session_id == session_id, RoomPresence.screen.is_(False))
            .distinct()
        )
    )


def presence_of(db: DbSession, session: ProgrammeSession) -> dict:
    """The `presence` payload: {session_id, online, on_site}."""
    return {
        "session_id": session.id,
        "online": online_count(db, session.id),
        "on_site": hooks.on_site_count(db, session),
    }


def enter(db: DbSession, user_id: int, session_id: int, sid: str, *, screen: bool = False) -> int | None:
    """Put the socket in the room (leaving its previous one); returns the room it left, if any.

    Does not commit: the caller commits once the whole join is ready.
    """
    try:
        return enter_rows(db, user_id, session_id, sid, screen=screen)
    except IntegrityError as exc:  # the same socket joined twice at once: the other join won
        db.rollback()
        raise JoinInProgress() from exc


class JoinInProgress(Conflict):
    def __init__(self) -> None:
        super().__init__("join_in_progress", "this connection is already joining a room; try again")


def enter_rows(db: DbSession, user_id: int, session_id: int, sid: str, *, screen: bool = False) -> int | None:
    """`enter` without its handling of a race: the IntegrityError of a socket that joined twice at
    once is the caller's (a group-commit item rolls back its savepoint, not the batch)."""
    previous = current_room_of(db, sid)
    if previous == session_id:
        return None
    if previous is not None:
        _remove(db, sid)
    # Plain INSERTs (no mapped objects to track): the join storm's share of the ORM's work.
    now = utcnow()
    db.execute(
        insert(RoomPresence).values(
            sid=sid,
            session_id=session_id,
            user_id=user_id,
            screen=screen,
            instance_id=instance_id(),
            joined_at=now,
        )
    )
    if not screen:  # a projector is no attendee: no stay to count
        db.execute(insert(RoomVisit).values(sid=sid, session_id=session_id, user_id=user_id, joined_at=now))
    return previous


_ROOMS_OF_SOCKETS = select(RoomPresence.sid).where(RoomPresence.sid.in_(bindparam("sids", expanding=True)))
# Run on the session's connection (Core): no ORM bulk-insert handling for plain rows.
_INSERT_PRESENCE = insert(RoomPresence)
_INSERT_VISIT = insert(RoomVisit)


def rooms_of_sockets(db: DbSession, sids: list[str]) -> list[str]:
    """Which of these sockets are in a room now (one Core statement)."""
    return list(db.connection().execute(_ROOMS_OF_SOCKETS, {"sids": sids}).scalars())


@dataclass(frozen=True)
class Entry:
    """A socket entering a room (a group-commit item of the `join`); the caller checked that the
    person may."""

    user_id: int
    session_id: int
    sid: str
    screen: bool = False


def enter_many(db: DbSession, entries: Sequence[Entry]) -> None:
    """`enter_rows` for sockets in no room yet, each once: one executemany INSERT of their presence
    rows, one of their visits (a projector's screen has none). Does not commit."""
    if not entries:
        return
    now, instance = utcnow(), instance_id()
    connection = db.connection()
    connection.execute(
        _INSERT_PRESENCE,
        [
            {
                "sid": e.sid,
                "session_id": e.session_id,
                "user_id": e.user_id,
                "screen": e.screen,
                "instance_id": instance,
                "joined_at": now,
            }
            for e in entries
        ],
    )
    visits = [
        {"sid": e.sid, "session_id": e.session_id, "user_id": e.user_id, "joined_at": now, "left_at": None}
        for e in entries
        if not e.screen
    ]
    if visits:
        connection.execute(_INSERT_VISIT, visits)


def _remove(db: DbSession, sid: str) -> None:
    now = utcnow()
    db.execute(delete(RoomPresence).where(RoomPresence.sid == sid))
    db.execute(update(RoomVisit).where(RoomVisit.sid == sid, RoomVisit.left_at.is_(None)).values(left_at=now))


def leave_room(db: DbSession, sid: str, session_id: int | None = None) -> int | None:
    """Take the socket out of its room (only if that is `session_id`, when given) and commit.

    Returns the session id it left, or None when it was in no (matching) room.
    """
    current = current_room_of(db, sid)
    if current is None or (session_id is not None and current != session_id):
        return None
    _remove(db, sid)
    db.commit()
    return current


@dataclass(frozen=True)
class Departure:
    """Where a socket that went away was: its room and that room's event."""

    session_id: int
    event_id: int


def remove_sockets(db: DbSession, sids: list[str]) -> list[Departure | None]:
    """A group-commit bulk write (conference.group_commit.submit_bulk) for the disconnect clean-up:
    the presence rows of these sockets deleted and their visits closed, a few statements for the
    whole batch (one DELETE ... WHERE sid IN (...)); per sid, where it was (None: in no room).
    Does not commit. Running it again for a sid finds nothing and changes nothing."""
    unique = list(dict.fromkeys(sids))
    found = {
        sid: Departure(session_id, event_id)
        for sid, session_id, event_id in db.execute(
            select(RoomPresence.sid, RoomPresence.session_id, ProgrammeSession.event_id)
            .join(ProgrammeSession, ProgrammeSession.id == RoomPresence.session_id)
            .where(RoomPresence.sid.in_(unique))
        )
    }
    if found:
        gone = list(found)
        db.execute(
            delete(RoomPresence)
            .where(RoomPresence.sid.in_(gone))
            .execution_options(synchronize_session=False)
        )
        db.execute(
            update(RoomVisit)
            .where(RoomVisit.sid.in_(gone), RoomVisit.left_at.is_(None))
            .values(left_at=utcnow())
            .execution_options(synchronize_session=False)
        )
    return [found.get(sid) for sid in sids]


def instance_id() -> str:
    """This server process's name in the presence table (config INSTANCE_ID; "" when unnamed)."""
    return (current_app.config.get("INSTANCE_ID") or "") if has_app_context() else ""


def forget_instance(db: DbSession, instance: str) -> list[int]:
    """At a server process's start: remove the presence rows its previous run left (sockets that died
    with it) and close their visits, leaving every other process's people. Returns the sessions whose
    numbers changed."""
    stale = select(RoomPresence.sid).where(RoomPresence.instance_id == instance)
    sessions = sorted(
        set(db.scalars(select(RoomPresence.session_id).where(RoomPresence.instance_id == instance)))
    )
    if not sessions:
        return []
    db.execute(
        update(RoomVisit)
        .where(RoomVisit.sid.in_(stale), RoomVisit.left_at.is_(None))
        .values(left_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    db.execute(
        delete(RoomPresence)
        .where(RoomPresence.instance_id == instance)
        .execution_options(synchronize_session=False)
    )
    db.commit()
    return sessions


def reset_presence(db: DbSession) -> tuple[int, int]:
    """Forget every socket and close every open visit: for a (re)start when no server is running.

    A crashed process cannot say goodbye for its sockets; `conference rooms-reset` calls this before
    the servers start. Returns (presence rows removed, visits closed).
    """
    removed = execute_dml(db, delete(RoomPresence)).rowcount
    closed = execute_dml(
        db, update(RoomVisit).where(RoomVisit.left_at.is_(None)).values(left_at=utcnow())
    ).rowcount
    db.commit()
    return removed, closed
