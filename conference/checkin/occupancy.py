"""How many people are inside a list: `inside_count` moves only through conditional UPDATEs.

Every writer (entry, exit, undo, automatic check-out) locks the list row before a check-in row, so on
PostgreSQL two writers never wait on each other in a cycle. After the commit, `announce_change`
tells the live rooms their on-site numbers may have moved.
"""

from __future__ import annotations

from sqlalchemy import case, update

from .. import hooks
from ..db_session import DbSession, execute_dml
from .models import CheckinList


def take_place(db: DbSession, checkin_list: CheckinList) -> bool:
    """One more person inside, unless the room is full: the row count decides, atomically."""
    result = execute_dml(
        db,
        update(CheckinList)
        .where(CheckinList.id == checkin_list.id)
        .where((CheckinList.capacity.is_(None)) | (CheckinList.inside_count < CheckinList.capacity))
        .values(inside_count=CheckinList.inside_count + 1)
        .execution_options(synchronize_session=False),
    )
    return result.rowcount == 1


def add_place_taken(db: DbSession, list_id: int) -> None:
    """One more person inside whatever the capacity (an undone exit puts them back)."""
    db.execute(
        update(CheckinList)
        .where(CheckinList.id == list_id)
        .values(inside_count=CheckinList.inside_count + 1)
        .execution_options(synchronize_session=False)
    )


def lock_list(db: DbSession, list_id: int) -> None:
    """Take the list row's write lock first, as every writer does."""
    db.execute(
        update(CheckinList)
        .where(CheckinList.id == list_id)
        .values(inside_count=CheckinList.inside_count)
        .execution_options(synchronize_session=False)
    )


def free_places(db: DbSession, list_id: int, count: int) -> None:
    """`count` fewer people inside, never below zero."""
    if count:
        db.execute(
            update(CheckinList)
            .where(CheckinList.id == list_id)
            .values(
                inside_count=case(
                    (CheckinList.inside_count >= count, CheckinList.inside_count - count), else_=0
                )
            )
            .execution_options(synchronize_session=False)
        )


def announce_change(checkin_list: CheckinList) -> None:
    """Tell the live rooms their on-site numbers may have moved (after the commit)."""
    hooks.checkin_changed.send(
        checkin_list.event_id,
        session_ids=[checkin_list.session_id] if checkin_list.session_id else [],
        list_id=checkin_list.id,
    )
