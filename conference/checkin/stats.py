"""Check-in numbers: per list (checked in, inside now, scans, refusals, late uploads, conflicts), per
event, and the on-site count the live rooms show their moderators."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import case, func, select

from ..db_session import DbSession
from ..db_types import utcnow
from ..programme.models import ProgrammeSession
from .lists import lists_of
from .models import Checkin, CheckinList, ScanRecord


def list_stats(db: DbSession, checkin_list: CheckinList, now: datetime | None = None) -> dict:
    """Checked in, inside now, capacity, scans in the last minute, refusals, late uploads, conflicts."""
    now = now or utcnow()
    checked_in, inside = db.execute(
        select(
            func.count(Checkin.id), func.coalesce(func.sum(case((Checkin.inside.is_(True), 1), else_=0)), 0)
        ).where(Checkin.list_id == checkin_list.id)
    ).one()
    minute_ago = now - timedelta(minutes=1)
    scans = db.execute(
        select(
            func.count(ScanRecord.id),
            func.coalesce(func.sum(case((ScanRecord.result != "ok", 1), else_=0)), 0),
            func.coalesce(func.sum(case((ScanRecord.conflict.is_(True), 1), else_=0)), 0),
            func.coalesce(func.sum(case((ScanRecord.late.is_(True), 1), else_=0)), 0),
        ).where(ScanRecord.list_id == checkin_list.id, ScanRecord.action == "scan")
    ).one()
    last_minute = db.execute(
        select(func.count(ScanRecord.id)).where(
            ScanRecord.list_id == checkin_list.id,
            ScanRecord.action == "scan",
            ScanRecord.uploaded_at >= minute_ago,
        )
    ).scalar_one()
    return {
        "list_id": checkin_list.id,
        "event_id": checkin_list.event_id,
        "name": checkin_list.name,
        "scope": checkin_list.scope,
        "session_id": checkin_list.session_id,
        "checked_in": int(checked_in),
        "inside_now": int(inside),
        "capacity": checkin_list.capacity,
        "scans_per_minute": int(last_minute),
        "scans_total": int(scans[0]),
        "refused_total": int(scans[1]),
        "conflicts": int(scans[2]),
        "late_uploads": int(scans[3]),
    }


def event_stats(db: DbSession, event_id: int) -> list[dict]:
    now = utcnow()
    return [list_stats(db, checkin_list, now) for checkin_list in lists_of(db, event_id)]


def on_site_count(db: DbSession, session: ProgrammeSession) -> int:
    """People inside now on the session's door list, else on the event's entrance list."""
    list_id = db.scalar(
        select(CheckinList.id).where(CheckinList.session_id == session.id).order_by(CheckinList.id).limit(1)
    )
    if list_id is None:
        list_id = db.scalar(
            select(CheckinList.id)
            .where(CheckinList.event_id == session.event_id, CheckinList.scope == "event")
            .order_by(CheckinList.id)
            .limit(1)
        )
    if list_id is None:
        return 0
    return (
        db.scalar(select(func.count(Checkin.id)).where(Checkin.list_id == list_id, Checkin.inside.is_(True)))
        or 0
    )
