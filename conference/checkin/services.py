"""Check-in rules: scans (entries and exits), undo, automatic check-out, offline sync, stats, staff.

Every rule the database must never break is enforced by the database itself:
- one first entry per badge and list: UNIQUE(registration_id, list_id) on `checkins`;
- one answer per scan: UNIQUE(scan_id) on the audit log `checkin_scans` (a repeat returns it);
- capacity and inside/outside moves: conditional UPDATEs whose row count decides
  (`... SET inside_count = inside_count + 1 WHERE capacity IS NULL OR inside_count < capacity`,
  `... SET inside = true WHERE id = :id AND inside = false`).
No SELECT ... FOR UPDATE anywhere: it works the same on SQLite and PostgreSQL.

A scan is acknowledged only after its commit. Accepted entries, exits and undos send
`hooks.checkin_changed(event_id, session_ids=[...])`.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Iterable

from sqlalchemy import case, delete, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, joinedload

from .. import hooks
from ..accounts.models import User
from ..countries import country_name
from ..db_types import MAX_DB_ID, utcnow
from ..errors import Conflict, NotFound, ServiceError
from ..grants.checks import ensure_can_scan
from ..programme.models import Event, ProgrammeSession
from ..registrations.models import Registration
from .badges import InvalidBadge, check_version, public_key_bytes, verify_token
from .models import BadgeIssue, Checkin, CheckinList, CheckinMovement, ScanRecord

RESULTS = ("ok", "already_checked_in", "invalid_badge", "not_registered", "cancelled", "not_admitted", "full",
           "not_inside")
LATE_AFTER = timedelta(minutes=5)  # an upload later than this after the scan is flagged "late"
FUTURE_TOLERANCE = timedelta(minutes=5)  # scanner clocks may run a little fast, not more
MAX_SYNC_BATCH = 500
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


# --- lists --------------------------------------------------------------------------------

def get_list(db: Session, list_id: int) -> CheckinList:
    checkin_list = db.get(CheckinList, list_id) if 0 < list_id <= MAX_DB_ID else None
    if checkin_list is None:
        raise NotFound("list_not_found", f"there is no check-in list {list_id}")
    return checkin_list


def lists_of(db: Session, event_id: int) -> list[CheckinList]:
    order = {"event": 0, "day": 1, "session": 2}
    lists = list(db.scalars(select(CheckinList).where(CheckinList.event_id == event_id).order_by(CheckinList.id)))
    return sorted(lists, key=lambda c: (order.get(c.scope, 3), c.day or date.min, c.id))


def ensure_list(db: Session, event: Event, name: str, *, scope: str = "event", day: date | None = None,
                session: ProgrammeSession | None = None, admits_online: bool = False, allow_reentry: bool = True,
                auto_checkout_at: datetime | None = None, capacity: int | None = None) -> CheckinList:
    """Find a list by (event, name) or create it: loading lists twice creates nothing."""
    existing = db.scalar(select(CheckinList).where(CheckinList.event_id == event.id, CheckinList.name == name))
    if existing is not None:
        return existing
    if scope not in ("event", "day", "session"):
        raise ServiceError("invalid_scope", "scope must be event, day or session")
    checkin_list = CheckinList(
        event_id=event.id, name=name, scope=scope, day=day, session_id=session.id if session else None,
        admits_online=admits_online, allow_reentry=allow_reentry, auto_checkout_at=auto_checkout_at,
        capacity=capacity, inside_count=0,
    )
    db.add(checkin_list)
    try:
        db.commit()
    except IntegrityError:
        db.rollback()
        return db.scalars(select(CheckinList).where(CheckinList.event_id == event.id,
                                                    CheckinList.name == name)).one()
    return checkin_list


def ensure_default_lists(db: Session, event: Event) -> list[CheckinList]:
    """The entrance, one list per day (checked out at 22:00 local) and one per session door
    (the room's capacity; everyone out 30 minutes after the session ends)."""
    tz = event.tz
    ensure_list(db, event, "Entrance", scope="event", allow_reentry=True)
    first_day = event.starts_at.astimezone(tz).date()
    last_day = event.ends_at.astimezone(tz).date()
    for offset in range((last_day - first_day).days + 1):
        day = first_day + timedelta(days=offset)
        closing = datetime.combine(day, time(22, 0), tzinfo=tz).astimezone(event.starts_at.tzinfo)
        ensure_list(db, event, f"Day {offset + 1} ({day.isoformat()})", scope="day", day=day,
                    allow_reentry=True, auto_checkout_at=closing)
    sessions = db.scalars(select(ProgrammeSession).where(ProgrammeSession.event_id == event.id)
                          .order_by(ProgrammeSession.starts_at, ProgrammeSession.id))
    for session in sessions:
        ensure_list(db, event, f"Door: {session.title[:150]} #{session.id}", scope="session", session=session,
                    allow_reentry=True, capacity=session.capacity,
                    auto_checkout_at=session.ends_at + timedelta(minutes=30))
    return lists_of(db, event.id)


# --- scanning ---------------------------------------------------------------------------------------

def scan(db: Session, staff: User, request: ScanRequest) -> dict:
    """Decide one scan, record it in the audit log, and return the answer (after the commit).

    The same `scan_id` again returns the stored answer and writes nothing.
    """
    checkin_list = get_list(db, request.list_id)
    ensure_can_scan(db, staff, checkin_list.event_id)
    request.gate = clean_text(request.gate, 80)
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
    for _attempt in range(5):
        try:
            outcome = _decide(db, staff, checkin_list, request, scanned_at, now)
            response = _record(db, staff, checkin_list, request, outcome, scanned_at, now)
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
            _announce(checkin_list)
        return response
    raise Conflict("busy", "too many simultaneous changes to this badge; scan again")


def clean_text(text: str, limit: int) -> str:
    """Text safe to store anywhere: no control characters (PostgreSQL refuses NUL), no lone surrogates."""
    text = "".join(ch for ch in text[: limit * 2] if ch >= " " and ch != "\x7f")
    return text.encode("utf-8", "replace").decode("utf-8")[:limit]


def stored_response(db: Session, scan_id: str, list_id: int | None = None) -> dict | None:
    """The answer already given to this scan_id (None if new). A scan_id is one scan on one list:
    reusing it elsewhere is refused rather than answered with another list's data."""
    stored = db.execute(select(ScanRecord.response, ScanRecord.list_id).where(ScanRecord.scan_id == scan_id)).first()
    if stored is None:
        return None
    if list_id is not None and stored.list_id != list_id:
        raise Conflict("scan_id_reused", "this scan_id was already used for another scan")
    return json.loads(stored.response)


def _decide(db: Session, staff: User, checkin_list: CheckinList, request: ScanRequest, scanned_at: datetime,
            now: datetime) -> _Outcome:
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
    refusal = _admission_refusal(checkin_list, registration, scanned_at)
    if refusal:
        return _Outcome("not_admitted", refusal, registration)
    if request.offline and request.offline_result not in (None, "ok"):
        # The offline scanner turned them away: record the decision taken at the door, change nothing.
        return _Outcome(request.offline_result, "refused_offline", registration)
    checkin = db.scalar(select(Checkin).where(Checkin.registration_id == registration.id,
                                              Checkin.list_id == checkin_list.id))
    if request.direction == "out":
        return _exit(db, staff, checkin_list, registration, checkin, request, scanned_at, now)
    if checkin is None:
        return _first_entry(db, staff, checkin_list, registration, request, scanned_at, now)
    if not checkin.inside and checkin_list.allow_reentry:
        return _reentry(db, staff, checkin_list, registration, checkin, request, scanned_at, now)
    return _already(db, staff, checkin_list, registration, checkin, request, scanned_at, now)


def _admission_refusal(checkin_list: CheckinList, registration: Registration, scanned_at: datetime) -> str:
    if registration.mode == "online" and not checkin_list.admits_online:
        return "online_registration"
    if checkin_list.scope == "day" and checkin_list.day is not None:
        if scanned_at.astimezone(registration.event.tz).date() != checkin_list.day:
            return "wrong_day"
    return ""


def _take_place(db: Session, checkin_list: CheckinList) -> bool:
    """One more person inside, unless the room is full: the row count decides, atomically."""
    result = db.execute(
        update(CheckinList)
        .where(CheckinList.id == checkin_list.id)
        .where((CheckinList.capacity.is_(None)) | (CheckinList.inside_count < CheckinList.capacity))
        .values(inside_count=CheckinList.inside_count + 1)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1


def _lock_list(db: Session, list_id: int) -> None:
    """Take the list row's write lock first. Every writer (entry, exit, undo, auto-checkout) locks the
    list before a check-in row, so on PostgreSQL two writers never wait on each other in a cycle."""
    db.execute(update(CheckinList).where(CheckinList.id == list_id)
               .values(inside_count=CheckinList.inside_count).execution_options(synchronize_session=False))


def _free_places(db: Session, list_id: int, count: int) -> None:
    if count:
        db.execute(update(CheckinList).where(CheckinList.id == list_id)
                   .values(inside_count=case((CheckinList.inside_count >= count, CheckinList.inside_count - count),
                                             else_=0))
                   .execution_options(synchronize_session=False))


def _movement(checkin_list, registration, direction, request, staff, scanned_at, now) -> CheckinMovement:
    return CheckinMovement(list_id=checkin_list.id, registration_id=registration.id, direction=direction,
                           scanned_at=scanned_at, uploaded_at=now, gate=request.gate, staff_user_id=staff.id,
                           scan_id=request.scan_id)


def _first_entry(db, staff, checkin_list, registration, request, scanned_at, now) -> _Outcome:
    if not _take_place(db, checkin_list):
        if db.scalar(select(Checkin.id).where(Checkin.registration_id == registration.id,
                                              Checkin.list_id == checkin_list.id)) is not None:
            raise _Retry()  # they were let in meanwhile: "already", not "full"
        return _Outcome("full", "capacity_reached", registration)
    checkin = Checkin(registration_id=registration.id, list_id=checkin_list.id, checked_in_at=scanned_at,
                      gate=request.gate, staff_user_id=staff.id, inside=True)
    db.add(checkin)
    db.flush()  # UNIQUE(registration_id, list_id): the loser of a race gets IntegrityError here
    db.add(_movement(checkin_list, registration, "in", request, staff, scanned_at, now))
    return _Outcome("ok", "", registration, checkin, changed=True)


def _reentry(db, staff, checkin_list, registration, checkin, request, scanned_at, now) -> _Outcome:
    if not _take_place(db, checkin_list):
        return _Outcome("full", "capacity_reached", registration, checkin)
    moved = db.execute(update(Checkin).where(Checkin.id == checkin.id, Checkin.inside.is_(False))
                       .values(inside=True).execution_options(synchronize_session=False))
    if moved.rowcount != 1:
        raise _Retry()  # someone else let them in meanwhile
    db.add(_movement(checkin_list, registration, "in", request, staff, scanned_at, now))
    return _Outcome("ok", "reentry", registration, checkin, extra={"reentry": True}, changed=True)


def _exit(db, staff, checkin_list, registration, checkin, request, scanned_at, now) -> _Outcome:
    if checkin is None or not checkin.inside:
        return _Outcome("not_inside", "not_inside", registration, checkin)
    _free_places(db, checkin_list.id, 1)  # the list row first, as every writer does: no lock cycles
    moved = db.execute(update(Checkin).where(Checkin.id == checkin.id, Checkin.inside.is_(True))
                       .values(inside=False).execution_options(synchronize_session=False))
    if moved.rowcount != 1:
        raise _Retry()  # they left meanwhile; the rollback gives the place back
    db.add(_movement(checkin_list, registration, "out", request, staff, scanned_at, now))
    return _Outcome("ok", "exit", registration, checkin, changed=True)


def _already(db, staff, checkin_list, registration, checkin, request, scanned_at, now) -> _Outcome:
    """Refused as a repeat. An offline scan that is older than the recorded first entry moves the first
    entry back to it (first scan wins) and is kept as a movement; the clash is a conflict for staff."""
    outcome = _Outcome("already_checked_in", "already_inside" if checkin.inside else "no_reentry",
                       registration, checkin)
    if request.offline and scanned_at < checkin.checked_in_at:
        db.execute(update(Checkin).where(Checkin.id == checkin.id, Checkin.checked_in_at > scanned_at)
                   .values(checked_in_at=scanned_at, gate=request.gate, staff_user_id=staff.id)
                   .execution_options(synchronize_session=False))
        db.add(_movement(checkin_list, registration, "in", request, staff, scanned_at, now))
        outcome.extra["first_entry_moved"] = True
        outcome.changed = True
    return outcome


def _record(db: Session, staff: User, checkin_list: CheckinList, request: ScanRequest, outcome: _Outcome,
            scanned_at: datetime, now: datetime) -> dict:
    late = request.offline and now - scanned_at > LATE_AFTER
    conflict = bool(request.offline and request.offline_result == "ok" and outcome.result != "ok")
    response = _response(db, checkin_list, request, outcome, scanned_at, now, late, conflict)
    registration = outcome.registration
    db.add(ScanRecord(
        scan_id=request.scan_id, action="scan", list_id=checkin_list.id,
        registration_id=registration.id if registration else None, direction=request.direction,
        code=clean_text(request.code if isinstance(request.code, str) else "", CODE_LOG_CHARS),
        result=outcome.result, reason=outcome.reason, gate=request.gate, staff_user_id=staff.id,
        scanned_at=scanned_at, uploaded_at=now, offline=request.offline, late=late, conflict=conflict,
        response=json.dumps(response),
    ))
    db.flush()
    return response


def _response(db, checkin_list, request, outcome, scanned_at, now, late, conflict) -> dict:
    response = {
        "result": outcome.result,
        "reason": outcome.reason,
        "message": outcome.extra.get("message") or MESSAGES.get(outcome.result, outcome.result),
        "scan_id": request.scan_id,
        "list_id": checkin_list.id,
        "direction": request.direction,
        "gate": request.gate,
        "scanned_at": _iso(scanned_at),
        "uploaded_at": _iso(now),
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
            db.refresh(checkin)  # moved back to this older offline scan by a conditional UPDATE
        staff = db.get(User, checkin.staff_user_id) if checkin.staff_user_id else None
        response["first_checked_in_at"] = _iso(checkin.checked_in_at)
        response["first_checked_in_gate"] = checkin.gate
        response["first_checked_in_by"] = staff.name if staff else None
    if outcome.result == "full":
        response["capacity"] = checkin_list.capacity
    return response


def attendee_card(registration: Registration) -> dict:
    user = registration.user
    return {"registration_id": registration.id, "name": user.name, "organisation": user.organisation,
            "country": user.country, "country_name": country_name(user.country) if user.country else "",
            "mode": registration.mode}


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat().replace("+00:00", "Z") if moment else None


# --- undo -------------------------------------------------------------------------------------------

def undo(db: Session, staff: User, scan_id: str, undo_id: str | None = None) -> dict:
    """Undo the entry or exit an accepted scan made (a mistaken check-in); logged in the audit log."""
    undo_id = undo_id or f"undo:{scan_id}"[:64]
    movement = db.scalar(select(CheckinMovement).where(CheckinMovement.scan_id == scan_id,
                                                       CheckinMovement.automatic.is_(False))
                         .order_by(CheckinMovement.id))
    if movement is None:
        raise NotFound("scan_not_found", "no accepted scan with this scan_id")
    checkin_list = get_list(db, movement.list_id)
    ensure_can_scan(db, staff, checkin_list.event_id)
    replay = stored_response(db, undo_id, checkin_list.id)
    if replay is not None:
        return replay
    now = utcnow()
    _lock_list(db, checkin_list.id)
    marked = db.execute(update(CheckinMovement)
                        .where(CheckinMovement.id == movement.id, CheckinMovement.undone_at.is_(None))
                        .values(undone_at=now, undone_by_id=staff.id).execution_options(synchronize_session=False))
    if marked.rowcount != 1:
        db.rollback()
        raise Conflict("already_undone", "this scan was already undone")
    _rebuild_state(db, checkin_list, movement.registration_id)
    registration = db.get(Registration, movement.registration_id)
    response = {"result": "undone", "scan_id": scan_id, "undo_id": undo_id, "list_id": checkin_list.id,
                "direction": movement.direction, "undone_at": _iso(now), "attendee": attendee_card(registration)}
    db.add(ScanRecord(scan_id=undo_id, action="undo", list_id=checkin_list.id, registration_id=registration.id,
                      direction=movement.direction, result="undone", reason=scan_id[:64],
                      staff_user_id=staff.id, scanned_at=now, uploaded_at=now, response=json.dumps(response)))
    try:
        db.commit()
    except IntegrityError:
        db.rollback()
        replay = stored_response(db, undo_id, checkin_list.id)
        if replay is not None:
            return replay
        raise Conflict("already_undone", "this scan was already undone") from None
    _announce(checkin_list)
    return response


def _rebuild_state(db: Session, checkin_list: CheckinList, registration_id: int) -> None:
    """Recompute the first entry and inside flag from the movements that still stand."""
    standing = list(db.scalars(select(CheckinMovement).where(
        CheckinMovement.list_id == checkin_list.id, CheckinMovement.registration_id == registration_id,
        CheckinMovement.undone_at.is_(None)).order_by(CheckinMovement.scanned_at, CheckinMovement.id)))
    checkin = db.scalar(select(Checkin).where(Checkin.list_id == checkin_list.id,
                                              Checkin.registration_id == registration_id))
    was_inside = bool(checkin and checkin.inside)
    entries = [m for m in standing if m.direction == "in"]
    if not entries:
        if checkin is not None:
            db.execute(delete(Checkin).where(Checkin.id == checkin.id))
        now_inside = False
    else:
        first = entries[0]
        now_inside = standing[-1].direction == "in"
        db.execute(update(Checkin).where(Checkin.id == checkin.id).values(
            checked_in_at=first.scanned_at, gate=first.gate, staff_user_id=first.staff_user_id, inside=now_inside,
        ).execution_options(synchronize_session=False))
    if was_inside and not now_inside:
        _free_places(db, checkin_list.id, 1)
    elif now_inside and not was_inside:
        db.execute(update(CheckinList).where(CheckinList.id == checkin_list.id)
                   .values(inside_count=CheckinList.inside_count + 1).execution_options(synchronize_session=False))
    db.expire_all()


# --- automatic check-out ----------------------------------------------------------------------------

def run_due_auto_checkouts(db: Session, now: datetime | None = None) -> list[int]:
    """Check everyone out of lists whose `auto_checkout_at` has passed, once per list across processes.

    Each person inside gets an "out" movement (automatic = true, scanned_at = the checkout time).
    Returns the ids of the lists processed.
    """
    now = now or utcnow()
    due = list(db.scalars(select(CheckinList.id).where(CheckinList.auto_checkout_at <= now,
                                                       CheckinList.auto_checked_out_at.is_(None))))
    done = []
    for list_id in due:
        claimed = db.execute(update(CheckinList)
                             .where(CheckinList.id == list_id, CheckinList.auto_checked_out_at.is_(None))
                             .values(auto_checked_out_at=now).execution_options(synchronize_session=False))
        if claimed.rowcount != 1:
            db.rollback()
            continue
        checkin_list = db.get(CheckinList, list_id)
        inside = db.execute(update(Checkin).where(Checkin.list_id == list_id, Checkin.inside.is_(True))
                            .values(inside=False).returning(Checkin.registration_id)
                            .execution_options(synchronize_session=False)).scalars().all()
        db.add_all([CheckinMovement(list_id=list_id, registration_id=registration_id, direction="out",
                                    scanned_at=checkin_list.auto_checkout_at, uploaded_at=now, automatic=True)
                    for registration_id in inside])
        _free_places(db, list_id, len(inside))
        db.commit()
        done.append(list_id)
        if inside:
            _announce(checkin_list)
    return done


# --- offline sync -----------------------------------------------------------------------------------

def sync(db: Session, staff: User, requests: Iterable[ScanRequest]) -> dict:
    """Apply an offline scanner's queue in scan time order (first scan wins). Each scan commits on its
    own and is idempotent by scan_id, so a batch cut off halfway can simply be sent again."""
    items = sorted(requests, key=lambda r: (r.scanned_at or utcnow(), r.scan_id))
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


def conflicts_of(db: Session, event_id: int, limit: int = 50) -> list[dict]:
    rows = db.scalars(select(ScanRecord).join(CheckinList, CheckinList.id == ScanRecord.list_id)
                      .where(CheckinList.event_id == event_id, ScanRecord.conflict.is_(True))
                      .order_by(ScanRecord.id.desc()).limit(limit))
    return [json.loads(row.response) for row in rows]


# --- numbers ----------------------------------------------------------------------------------------

def list_stats(db: Session, checkin_list: CheckinList, now: datetime | None = None) -> dict:
    """Checked in, inside now, capacity, scans in the last minute, refusals, late uploads, conflicts."""
    now = now or utcnow()
    checked_in, inside = db.execute(
        select(func.count(Checkin.id), func.coalesce(func.sum(case((Checkin.inside.is_(True), 1), else_=0)), 0))
        .where(Checkin.list_id == checkin_list.id)
    ).one()
    minute_ago = now - timedelta(minutes=1)
    scans = db.execute(
        select(func.count(ScanRecord.id),
               func.coalesce(func.sum(case((ScanRecord.result != "ok", 1), else_=0)), 0),
               func.coalesce(func.sum(case((ScanRecord.conflict.is_(True), 1), else_=0)), 0),
               func.coalesce(func.sum(case((ScanRecord.late.is_(True), 1), else_=0)), 0))
        .where(ScanRecord.list_id == checkin_list.id, ScanRecord.action == "scan")
    ).one()
    last_minute = db.scalar(select(func.count(ScanRecord.id)).where(
        ScanRecord.list_id == checkin_list.id, ScanRecord.action == "scan", ScanRecord.uploaded_at >= minute_ago))
    return {
        "list_id": checkin_list.id, "event_id": checkin_list.event_id, "name": checkin_list.name,
        "scope": checkin_list.scope, "session_id": checkin_list.session_id,
        "checked_in": int(checked_in), "inside_now": int(inside), "capacity": checkin_list.capacity,
        "scans_per_minute": int(last_minute), "scans_total": int(scans[0]), "refused_total": int(scans[1]),
        "conflicts": int(scans[2]), "late_uploads": int(scans[3]),
    }


def event_stats(db: Session, event_id: int) -> list[dict]:
    now = utcnow()
    return [list_stats(db, checkin_list, now) for checkin_list in lists_of(db, event_id)]


def list_as_dict(checkin_list: CheckinList) -> dict:
    return {
        "id": checkin_list.id, "event_id": checkin_list.event_id, "name": checkin_list.name,
        "scope": checkin_list.scope, "day": checkin_list.day.isoformat() if checkin_list.day else None,
        "session_id": checkin_list.session_id, "admits_online": checkin_list.admits_online,
        "allow_reentry": checkin_list.allow_reentry, "auto_checkout_at": _iso(checkin_list.auto_checkout_at),
        "capacity": checkin_list.capacity,
    }


def on_site_count(db: Session, session: ProgrammeSession) -> int:
    """People inside now on the session's door list, else on the event's entrance list."""
    list_id = db.scalar(select(CheckinList.id).where(CheckinList.session_id == session.id)
                        .order_by(CheckinList.id).limit(1))
    if list_id is None:
        list_id = db.scalar(select(CheckinList.id).where(CheckinList.event_id == session.event_id,
                                                         CheckinList.scope == "event")
                            .order_by(CheckinList.id).limit(1))
    if list_id is None:
        return 0
    return db.scalar(select(func.count(Checkin.id)).where(Checkin.list_id == list_id, Checkin.inside.is_(True))) or 0


def _announce(checkin_list: CheckinList) -> None:
    """Tell the live rooms their on-site numbers may have moved (after the commit)."""
    hooks.checkin_changed.send(checkin_list.event_id,
                               session_ids=[checkin_list.session_id] if checkin_list.session_id else [],
                               list_id=checkin_list.id)


# --- offline data -----------------------------------------------------------------------------------

def offline_snapshot(db: Session, checkin_list: CheckinList) -> dict:
    """What a scanner needs to decide alone: the public key, badge versions, and who may not pass."""
    registrations = db.execute(
        select(Registration.id, Registration.mode, Registration.status, User.name, User.organisation, User.country)
        .join(User, User.id == Registration.user_id).where(Registration.event_id == checkin_list.event_id)
    ).all()
    versions = dict(db.execute(select(BadgeIssue.registration_id, BadgeIssue.version)
                               .join(Registration, Registration.id == BadgeIssue.registration_id)
                               .where(Registration.event_id == checkin_list.event_id)).all())
    checked = db.execute(select(Checkin.registration_id, Checkin.inside).where(Checkin.list_id == checkin_list.id)).all()
    return {
        "event_id": checkin_list.event_id,
        "list": list_as_dict(checkin_list),
        "public_key": public_key_bytes(db, checkin_list.event_id).hex(),
        "generated_at": _iso(utcnow()),
        "cancelled": [r.id for r in registrations if r.status != "confirmed"],
        "versions": {str(k): v for k, v in versions.items() if v != 1},
        "checked_in": [rid for rid, _inside in checked],
        "inside": [rid for rid, inside in checked if inside],
        # id: [name, organisation, country, mode] - to show who it is without the network
        "people": {str(r.id): [r.name, r.organisation, r.country or "", r.mode] for r in registrations},
    }



# --- a session moved --------------------------------------------------------------------------------

SESSION_CHECKOUT_DELAY = timedelta(minutes=30)  # the default door list empties 30 min after the session


def session_door_name(session: ProgrammeSession) -> str:
    return f"Door: {session.title[:150]} #{session.id}"


def follow_session(db: Session, session: ProgrammeSession, changes: dict | None = None,
                   now: datetime | None = None) -> list[CheckinList]:
    """The session's door lists (scope 'session') follow a moved or changed session, and commit.

    - the name follows the title when it is still the generated "Door: <title> #<id>";
    - `auto_checkout_at` moves with the end (by as much as the end moved, so an organiser's own
      delay is kept; to end + 30 min when the old end is unknown); a list with no automatic
      check-out keeps none. When the new check-out time is still ahead, `auto_checked_out_at` is
      cleared so the check-out runs again then (people it sent out stay out until scanned again);
    - the capacity follows the session's when the door had the session's old capacity, so a door an
      organiser sized differently keeps its size.
    `changes` is the `hooks.session_changed` mapping {field: (old, new)}.
    """
    changes = changes or {}
    now = now or utcnow()
    lists = list(db.scalars(select(CheckinList).where(CheckinList.session_id == session.id,
                                                      CheckinList.scope == "session").order_by(CheckinList.id)))
    for checkin_list in lists:
        if checkin_list.name.startswith("Door: ") and checkin_list.name.endswith(f" #{session.id}"):
            checkin_list.name = session_door_name(session)
        if checkin_list.auto_checkout_at is not None:
            old_end = changes.get("ends_at", (None, None))[0]
            if old_end is not None:
                checkin_list.auto_checkout_at = checkin_list.auto_checkout_at + (session.ends_at - old_end)
            else:
                checkin_list.auto_checkout_at = session.ends_at + SESSION_CHECKOUT_DELAY
            if checkin_list.auto_checkout_at > now:
                checkin_list.auto_checked_out_at = None
        if "capacity" in changes:
            old_capacity = changes["capacity"][0]
            if checkin_list.capacity == old_capacity:
                checkin_list.capacity = session.capacity
    try:
        db.commit()
    except IntegrityError:
        db.rollback()
        raise Conflict("door_name_taken", "another check-in list of this event already has this door's new name")
    return lists
