"""Undoing a scan: a mistaken entry or exit is marked undone, the person's state is rebuilt from the
movements that still stand, and the undo is logged in the audit log (idempotent by undo_id)."""

from __future__ import annotations

import json

from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError

from ..accounts.models import User
from ..db_session import DbSession, execute_dml
from ..db_types import utcnow
from ..errors import Conflict, NotFound
from ..grants.checks import ensure_can_scan
from ..registrations.models import Registration
from ..wire import isoformat_utc
from .answers import attendee_card, stored_response
from .lists import get_list
from .models import Checkin, CheckinList, CheckinMovement, ScanRecord
from .occupancy import add_place_taken, announce_change, free_places, lock_list


def undo(db: DbSession, staff: User, scan_id: str, undo_id: str | None = None) -> dict:
    """Undo the entry or exit an accepted scan made (a mistaken check-in); logged in the audit log."""
    undo_id = undo_id or f"undo:{scan_id}"[:64]
    movement = db.scalar(
        select(CheckinMovement)
        .where(CheckinMovement.scan_id == scan_id, CheckinMovement.automatic.is_(False))
        .order_by(CheckinMovement.id)
    )
    if movement is None:
        raise NotFound("scan_not_found", "no accepted scan with this scan_id")
    checkin_list = get_list(db, movement.list_id)
    ensure_can_scan(db, staff, checkin_list.event_id)
    replay = stored_response(db, undo_id, checkin_list.id, action="undo", undoes=scan_id)
    if replay is not None:
        return replay
    now = utcnow()
    lock_list(db, checkin_list.id)
    marked = execute_dml(
        db,
        update(CheckinMovement)
        .where(CheckinMovement.id == movement.id, CheckinMovement.undone_at.is_(None))
        .values(undone_at=now, undone_by_id=staff.id)
        .execution_options(synchronize_session=False),
    )
    if marked.rowcount != 1:
        db.rollback()
        raise Conflict("already_undone", "this scan was already undone")
    _rebuild_state(db, checkin_list, movement.registration_id)
    registration = db.get_one(Registration, movement.registration_id)
    response = {
        "result": "undone",
        "scan_id": scan_id,
        "undo_id": undo_id,
        "list_id": checkin_list.id,
        "direction": movement.direction,
        "undone_at": isoformat_utc(now),
        "attendee": attendee_card(registration),
    }
    db.add(
        ScanRecord(
            scan_id=undo_id,
            action="undo",
            list_id=checkin_list.id,
            registration_id=registration.id,
            direction=movement.direction,
            result="undone",
            reason=scan_id[:64],
            staff_user_id=staff.id,
            scanned_at=now,
            uploaded_at=now,
            response=json.dumps(response),
        )
    )
    try:
        db.commit()
    except IntegrityError:
        db.rollback()
        replay = stored_response(db, undo_id, checkin_list.id, action="undo", undoes=scan_id)
        if replay is not None:
            return replay
        raise Conflict("already_undone", "this scan was already undone") from None
    announce_change(checkin_list)
    return response


def _rebuild_state(db: DbSession, checkin_list: CheckinList, registration_id: int) -> None:
    """Recompute the first entry and inside flag from the movements that still stand."""
    standing = list(
        db.scalars(
            select(CheckinMovement)
            .where(
                CheckinMovement.list_id == checkin_list.id,
                CheckinMovement.registration_id == registration_id,
                CheckinMovement.undone_at.is_(None),
            )
            .order_by(CheckinMovement.scanned_at, CheckinMovement.id)
        )
    )
    checkin = db.scalar(
        select(Checkin).where(Checkin.list_id == checkin_list.id, Checkin.registration_id == registration_id)
    )
    was_inside = bool(checkin and checkin.inside)
    entries = [m for m in standing if m.direction == "in"]
    if not entries:
        if checkin is not None:
            db.execute(delete(Checkin).where(Checkin.id == checkin.id))
        now_inside = False
    else:
        first = entries[0]
        now_inside = standing[-1].direction == "in"
        db.execute(
            update(Checkin)
            .where(
                Checkin.list_id == checkin_list.id, Checkin.registration_id == registration_id
            )  # `checkin`
            .values(
                checked_in_at=first.scanned_at,
                gate=first.gate,
                staff_user_id=first.staff_user_id,
                inside=now_inside,
            )
            .execution_options(synchronize_session=False)
        )
    if was_inside and not now_inside:
        free_places(db, checkin_list.id, 1)
    elif now_inside and not was_inside:
        add_place_taken(db, checkin_list.id)
    db.expire_all()
