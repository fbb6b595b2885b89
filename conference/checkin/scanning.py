"""Scanning a badge at a list: decide entry or exit, record it in the audit log, answer after the commit.

The database keeps the rules that must never break:
- one first entry per badge and list: UNIQUE(registration_id, list_id) on `checkins`;
- one answer per scan: UNIQUE(scan_id) on the audit log `checkin_scans` (a repeat returns it);
- capacity and inside/outside moves: conditional UPDATEs whose row count decides
  (`... SET inside_count = inside_count + 1 WHERE capacity IS NULL OR inside_count < capacity`,
  `... SET inside = true WHERE id = :id AND inside = false`).
No SELECT ... FOR UPDATE anywhere: it works the same on SQLite and PostgreSQL.

Accepted entries and exits send `hooks.checkin_changed(event_id, session_ids=[...])`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

from ..accounts.models import User
from ..db_session import DbSession, execute_dml
from ..db_types import utcnow
from ..errors import Conflict, NotFound, ServiceError
from ..grants.checks import ensure_can_scan
from ..registrations.models import Registration
from ..wire import GATE_MAX, isoformat_utc
from .answers import attendee_card, clean_text, stored_response
from .auto_checkout import run_due_auto_checkouts
from .badges import InvalidBadge, check_version, verify_token
from .lists import get_list
from .models import Checkin, CheckinList, CheckinMovement, ScanRecord
from .occupancy import announce_change, free_places, take_place

RESULTS = (
    "ok",
    "already_checked_in",
    "invalid_badge",
    "not_registered",
    "cancelled",
    "not_admitted",
    "full",
    "not_inside",
)
LATE_AFTER = timedelta(minutes=5)  # an upload later than this after the scan is flagged "late"
FUTURE_TOLERANCE = timedelta(minutes=5)  # scanner clocks may run a little fast, not more
CODE_LOG_CHARS = 256
MESSAGES = {
    "ok": "Welcome",
    "already_checked_in": "Already checked in",
    "invalid_badge": "Invalid or forged badge",
    "not_registered": "Not registered for this event",
    "cancelled": "Registration cancelled",
    "not_admitted": "Not admitted to this list",
    "full": "Room full",
    "not_inside": "Not inside: no entry to leave from",
}


@dataclass
class ScanRequest:
    """One scan as a scanner sends it (online, or later in an offline batch)."""

    code: str
    list_id: int
    scan_id: str
    direction: str = "in"
    gate: str = ""
    scanned_at: datetime | None = None
    offline: bool = False
    offline_result: str | None = None  # what the offline scanner showed, to detect conflicts


@dataclass(frozen=True)
class ScanContext:
    """One scan being decided: who scans, at which list, what was sent, when it was scanned and received."""

    db: DbSession
    staff: User
    checkin_list: CheckinList
    request: ScanRequest
    scanned_at: datetime
    now: datetime

    def movement(self, registration: Registration, direction: str) -> CheckinMovement:
        return CheckinMovement(
            list_id=self.checkin_list.id,
            registration_id=registration.id,
            direction=direction,
            scanned_at=self.scanned_at,
            uploaded_at=self.now,
            gate=self.request.gate,
            staff_user_id=self.staff.id,
            scan_id=self.request.scan_id,
        )


@dataclass
class _Outcome:
    result: str
    reason: str = ""
    registration: Registration | None = None
    checkin: Checkin | None = None
    extra: dict = field(default_factory=dict)
    changed: bool = False


class _Retry(Exception):
    """The state changed under us between the read and the conditional write: decide again."""


def scan(db: DbSession, staff: User, request: ScanRequest) -> dict:
    """Decide one scan, record it in the audit log, and return the answer (after the commit).

    The same `scan_id` again returns the stored answer and writes nothing.
    """
    checkin_list = get_list(db, request.list_id)
    ensure_can_scan(db, staff, checkin_list.event_id)
    request.gate = clean_text(request.gate, GATE_MAX)
    replay = stored_response(db, request.scan_id, checkin_list.id)
    if replay is not None:
        return replay
    if request.direction not in ("in", "out"):
        raise ServiceError("invalid_direction", "direction must be in or out")
    now = utcnow()
    scanned_at = request.scanned_at or now
    if scanned_at.tzinfo is None:
        raise ServiceError("invalid_scanned_at", "scanned_at needs a time zone (e.g. 2030-05-06T09:00:00Z)")
    if scanned_at > now + FUTURE_TOLERANCE:
        raise ServiceError("invalid_scanned_at", "scanned_at lies in the future")
    run_due_auto_checkouts(db, now)
    list_id = checkin_list.id
    context = ScanContext(db, staff, checkin_list, request, scanned_at, now)
    for _attempt in range(5):
        try:
            outcome = _decide(context)
            response = _record(context, outcome)
            db.commit()
        except _Retry:
            db.rollback()
            continue
        except IntegrityError:
            db.rollback()
            if db.get(CheckinList, list_id) is None:  # its organisers removed the list meanwhile
                raise NotFound("list_not_found", f"there is no check-in list {list_id}") from None
            replay = stored_response(db, request.scan_id, list_id)
            if replay is not None:  # the same scan_id arrived twice at once: one answer
                return replay
            continue  # lost the first-entry race: the next round sees the winner's row
        if outcome.changed:
            announce_change(checkin_list)
        return response
    raise Conflict("busy", "too many simultaneous changes to this badge; scan again")


def _decide(scan: ScanContext) -> _Outcome:
    db, checkin_list, request = scan.db, scan.checkin_list, scan.request
    try:
        claims = verify_token(db, request.code, checkin_list.event_id)
    except InvalidBadge as exc:
        return _Outcome("invalid_badge", exc.reason, extra={"message": exc.message})
    registration = db.get(Registration, claims.registration_id, options=[joinedload(Registration.user)])
    if registration is None or registration.event_id != checkin_list.event_id:
        return _Outcome("not_registered", "no_registration")
    if not registration.is_confirmed:
        return _Outcome("cancelled", "cancelled", registration)
    try:
        check_version(db, claims)
    except InvalidBadge as exc:
        return _Outcome("invalid_badge", exc.reason, registration, extra={"message": exc.message})
    refusal = _admission_refusal(checkin_list, registration, scan.scanned_at)
    if refusal:
        return _Outcome("not_admitted", refusal, registration)
    if request.offline and request.offline_result not in (None, "ok"):
        # The offline scanner turned them away: record the decision taken at the door, change nothing.
        return _Outcome(request.offline_result, "refused_offline", registration)
    checkin = db.scalar(
        select(Checkin).where(Checkin.registration_id == registration.id, Checkin.list_id == checkin_list.id)
    )
    if request.direction == "out":
        return _exit(scan, registration, checkin)
    if checkin is None:
        return _first_entry(scan, registration)
    if not checkin.inside and checkin_list.allow_reentry:
        return _reentry(scan, registration, checkin)
    return _already(scan, registration, checkin)


def _admission_refusal(checkin_list: CheckinList, registration: Registration, scanned_at: datetime) -> str:
    if registration.mode == "online" and not checkin_list.admits_online:
        return "online_registration"
    if (
        checkin_list.scope == "day"
        and checkin_list.day is not None
        and scanned_at.astimezone(registration.event.tz).date() != checkin_list.day
    ):
        return "wrong_day"
    return ""


def _first_entry(scan: ScanContext, registration: Registration) -> _Outcome:
    db, checkin_list = scan.db, scan.checkin_list
    if not take_place(db, checkin_list):
        if (
            db.scalar(
                select(Checkin.id).where(
                    Checkin.registration_id == registration.id, Checkin.list_id == checkin_list.id
                )
            )
            is not None
        ):
            raise _Retry()  # they were let in meanwhile: "already", not "full"
        return _Outcome("full", "capacity_reached", registration)
    checkin = Checkin(
        registration_id=registration.id,
        list_id=checkin_list.id,
        checked_in_at=scan.scanned_at,
        gate=scan.request.gate,
        staff_user_id=scan.staff.id,
        inside=True,
    )
    db.add(checkin)
    db.flush()  # UNIQUE(registration_id, list_id): the loser of a race gets IntegrityError here
    db.add(scan.movement(registration, "in"))
    return _Outcome("ok", "", registration, checkin, changed=True)


def _reentry(scan: ScanContext, registration: Registration, checkin: Checkin) -> _Outcome:
    db = scan.db
    if not take_place(db, scan.checkin_list):
        return _Outcome("full", "capacity_reached", registration, checkin)
    moved = execute_dml(
        db,
        update(Checkin)
        .where(Checkin.id == checkin.id, Checkin.inside.is_(False))
        .values(inside=True)
        .execution_options(synchronize_session=False),
    )
    if moved.rowcount != 1:
        raise _Retry()  # someone else let them in meanwhile
    db.add(scan.movement(registration, "in"))
    return _Outcome("ok", "reentry", registration, checkin, extra={"reentry": True}, changed=True)


def _exit(scan: ScanContext, registration: Registration, checkin: Checkin | None) -> _Outcome:
    db = scan.db
    if checkin is None or not checkin.inside:
        return _Outcome("not_inside", "not_inside", registration, checkin)
    free_places(db, scan.checkin_list.id, 1)  # the list row first, as every writer does: no lock cycles
    moved = execute_dml(
        db,
        update(Checkin)
        .where(Checkin.id == checkin.id, Checkin.inside.is_(True))
        .values(inside=False)
        .execution_options(synchronize_session=False),
    )
    if moved.rowcount != 1:
        raise _Retry()  # they left meanwhile; the rollback gives the place back
    db.add(scan.movement(registration, "out"))
    return _Outcome("ok", "exit", registration, checkin, changed=True)


def _already(scan: ScanContext, registration: Registration, checkin: Checkin) -> _Outcome:
    """Refused as a repeat. An offline scan that is older than the recorded first entry moves the first
    entry back to it (first scan wins) and is kept as a movement; the clash is a conflict for staff."""
    outcome = _Outcome(
        "already_checked_in", "already_inside" if checkin.inside else "no_reentry", registration, checkin
    )
    if scan.request.offline and scan.scanned_at < checkin.checked_in_at:
        scan.db.execute(
            update(Checkin)
            .where(Checkin.id == checkin.id, Checkin.checked_in_at > scan.scanned_at)
            .values(checked_in_at=scan.scanned_at, gate=scan.request.gate, staff_user_id=scan.staff.id)
            .execution_options(synchronize_session=False)
        )
        scan.db.add(scan.movement(registration, "in"))
        outcome.extra["first_entry_moved"] = True
        outcome.changed = True
    return outcome


def _record(scan: ScanContext, outcome: _Outcome) -> dict:
    request = scan.request
    late = request.offline and scan.now - scan.scanned_at > LATE_AFTER
    conflict = bool(request.offline and request.offline_result == "ok" and outcome.result != "ok")
    response = _response(scan, outcome, late, conflict)
    registration = outcome.registration
    scan.db.add(
        ScanRecord(
            scan_id=request.scan_id,
            action="scan",
            list_id=scan.checkin_list.id,
            registration_id=registration.id if registration else None,
            direction=request.direction,
            code=clean_text(request.code if isinstance(request.code, str) else "", CODE_LOG_CHARS),
            result=outcome.result,
            reason=outcome.reason,
            gate=request.gate,
            staff_user_id=scan.staff.id,
            scanned_at=scan.scanned_at,
            uploaded_at=scan.now,
            offline=request.offline,
            late=late,
            conflict=conflict,
            response=json.dumps(response),
        )
    )
    scan.db.flush()
    return response


def _response(scan: ScanContext, outcome: _Outcome, late: bool, conflict: bool) -> dict:
    request = scan.request
    response = {
        "result": outcome.result,
        "reason": outcome.reason,
        "message": outcome.extra.get("message") or MESSAGES.get(outcome.result, outcome.result),
        "scan_id": request.scan_id,
        "list_id": scan.checkin_list.id,
        "direction": request.direction,
        "gate": request.gate,
        "scanned_at": isoformat_utc(scan.scanned_at),
        "uploaded_at": isoformat_utc(scan.now),
        "offline": request.offline,
        "late": late,
        "conflict": conflict,
    }
    response.update({k: v for k, v in outcome.extra.items() if k != "message"})
    if outcome.registration is not None:
        response["attendee"] = attendee_card(outcome.registration)
    checkin = outcome.checkin
    if checkin is not None and outcome.result != "ok":
        if outcome.extra.get("first_entry_moved"):
            scan.db.refresh(checkin)  # moved back to this older offline scan by a conditional UPDATE
        first_staff = scan.db.get(User, checkin.staff_user_id) if checkin.staff_user_id else None
        response["first_checked_in_at"] = isoformat_utc(checkin.checked_in_at)
        response["first_checked_in_gate"] = checkin.gate
        response["first_checked_in_by"] = first_staff.name if first_staff else None
    if outcome.result == "full":
        response["capacity"] = scan.checkin_list.capacity
    return response
