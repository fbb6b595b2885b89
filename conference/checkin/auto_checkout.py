"""Automatic check-out: when a list's `auto_checkout_at` has passed, everyone still inside goes out,
once per list across processes (a conditional UPDATE claims the list)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update

from ..db_session import DbSession, execute_dml
from ..db_types import utcnow
from .models import Checkin, CheckinList, CheckinMovement
from .occupancy import announce_change, free_places


def run_due_auto_checkouts(db: DbSession, now: datetime | None = None) -> list[int]:
    """Check everyone out of lists whose `auto_checkout_at` has passed, once per list across processes.

    Each person inside gets an "out" movement (automatic = true, scanned_at = the checkout time).
    Returns the ids of the lists processed.
    """
    now = now or utcnow()
    due = list(
        db.scalars(
            select(CheckinList.id).where(
                CheckinList.auto_checkout_at <= now, CheckinList.auto_checked_out_at.is_(None)
            )
        )
    )
    done = []
    for list_id in due:
        claimed = execute_dml(
            db,
            update(CheckinList)
            .where(CheckinList.id == list_id, CheckinList.auto_checked_out_at.is_(None))
            .values(auto_checked_out_at=now)
            .execution_options(synchronize_session=False),
        )
        if claimed.rowcount != 1:
            db.rollback()
            continue
        checkin_list = db.get_one(CheckinList, list_id)  # claimed just now
        inside = (
            db.execute(
                update(Checkin)
                .where(Checkin.list_id == list_id, Checkin.inside.is_(True))
                .values(inside=False)
                .returning(Checkin.registration_id)
                .execution_options(synchronize_session=False)
            )
            .scalars()
            .all()
        )
        db.add_all(
            [
                CheckinMovement(
                    list_id=list_id,
                    registration_id=registration_id,
                    direction="out",
                    scanned_at=checkin_list.auto_checkout_at,
                    uploaded_at=now,
                    automatic=True,
                )
                for registration_id in inside
            ]
        )
        free_places(db, list_id, len(inside))
        db.commit()
        done.append(list_id)
        if inside:
            announce_change(checkin_list)
    return done
