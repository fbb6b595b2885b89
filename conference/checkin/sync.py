"""Offline scanning: the snapshot a scanner downloads to decide alone, the queue it uploads later
(applied in scan time order, first scan wins), and the conflicts that upload revealed."""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import UTC, datetime

from sqlalchemy import select

from ..accounts.models import User
from ..countries import country_name
from ..db_session import DbSession
from ..db_types import utcnow
from ..errors import ServiceError
from ..registrations.models import Registration
from ..wire import isoformat_utc
from .badges import public_key_bytes
from .lists import list_as_dict
from .models import BadgeIssue, Checkin, CheckinList, ScanRecord
from .scanning import ScanRequest, scan

MAX_SYNC_BATCH = 500


def sync(db: DbSession, staff: User, requests: Iterable[ScanRequest]) -> dict:
    """Apply an offline scanner's queue in scan time order (first scan wins). Each scan commits on its
    own and is idempotent by scan_id, so a batch cut off halfway can simply be sent again."""
    items = sorted(requests, key=_scan_order)
    if len(items) > MAX_SYNC_BATCH:
        raise ServiceError("batch_too_large", f"send at most {MAX_SYNC_BATCH} scans per batch")
    results, conflicts = [], []
    for request in items:
        request.offline = True
        try:
            answer = scan(db, staff, request)
        except ServiceError as exc:
            db.rollback()
            answer = {"result": "error", "scan_id": request.scan_id, "error": exc.to_dict()}
        results.append(answer)
        if answer.get("conflict"):
            conflicts.append(answer)
    return {"results": results, "conflicts": conflicts, "applied": len(results)}


def _scan_order(request: ScanRequest) -> tuple[datetime, str]:
    """Scan time, then scan_id. A time without a zone sorts as UTC here (it is refused item by item by
    `scan`, not by crashing the comparison with the zoned times of the same batch)."""
    moment = request.scanned_at or utcnow()
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment, request.scan_id


def conflicts_of(db: DbSession, event_id: int, limit: int = 50) -> list[dict]:
    rows = db.scalars(
        select(ScanRecord)
        .join(CheckinList, CheckinList.id == ScanRecord.list_id)
        .where(CheckinList.event_id == event_id, ScanRecord.conflict.is_(True))
        .order_by(ScanRecord.id.desc())
        .limit(limit)
    )
    return [json.loads(row.response) for row in rows]


def offline_snapshot(db: DbSession, checkin_list: CheckinList) -> dict:
    """What a scanner needs to decide alone: the public key, badge versions, and who may not pass."""
    registrations = db.execute(
        select(
            Registration.id,
            Registration.mode,
            Registration.status,
            User.name,
            User.organisation,
            User.country,
        )
        .join(User, User.id == Registration.user_id)
        .where(Registration.event_id == checkin_list.event_id)
    ).all()
    versions = dict(
        db.execute(
            select(BadgeIssue.registration_id, BadgeIssue.version)
            .join(Registration, Registration.id == BadgeIssue.registration_id)
            .where(Registration.event_id == checkin_list.event_id)
        ).all()
    )
    checked = db.execute(
        select(Checkin.registration_id, Checkin.inside).where(Checkin.list_id == checkin_list.id)
    ).all()
    return {
        "event_id": checkin_list.event_id,
        "list": list_as_dict(checkin_list),
        "public_key": public_key_bytes(db, checkin_list.event_id).hex(),
        "generated_at": isoformat_utc(utcnow()),
        "cancelled": [r.id for r in registrations if r.status != "confirmed"],
        "versions": {str(k): v for k, v in versions.items() if v != 1},
        "checked_in": [rid for rid, _inside in checked],
        "inside": [rid for rid, inside in checked if inside],
        # id: [name, organisation, country's name, mode] - to show who it is without the network, as
        # the online answer does ("Australia", not "AU"; in the scanner's language)
        "people": {
            str(r.id): [r.name, r.organisation, country_name(r.country), r.mode] for r in registrations
        },
    }
