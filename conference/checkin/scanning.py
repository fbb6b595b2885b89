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
from typing import cast

from sqlalchemy import Row, Table, bindparam, exists, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import aliased, contains_eager

from ..accounts.models import User
from ..db_session import DbSession, execute_dml
from ..db_types import MAX_DB_ID, utcnow
from ..errors import Conflict, NotFound, ServiceError
from ..grants.checks import ensure_scan_right, scan_right_clause
from ..registrations.models import Registration
from ..wire import GATE_MAX, isoformat_utc
from . import timeline
from .answers import ANSWER_COLUMNS, CODE_LOG_CHARS, answer_from, attendee_card, clean_text, stored_response
from .auto_checkout import run_due_auto_checkouts
from .badges import InvalidBadge, check_version, parse_token, verify_token
from .models import BadgeIssue, Checkin, CheckinList, CheckinMovement, EventSigningKey, ScanRecord
from .occupancy import announce_change, free_places, lock_list, take_place

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
    public_key_hex: str | None = None  # the event's, read with the list (None: not created yet)

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
    now = utcnow()
    facts = _scan_facts(db, staff, request, now)
    checkin_list = facts.CheckinList
    ensure_scan_right(staff, facts.may_scan)
    request.gate = clean_text(request.gate, GATE_MAX)
    code = request.code if isinstance(request.code, str) else ""
    replay = answer_from(facts, request.scan_id, checkin_list.id, code=code, direction=request.direction)
    if replay is not None:
        return replay
    if request.direction not in ("in", "out"):
        raise ServiceError("invalid_direction", "direction must be in or out")
    scanned_at = request.scanned_at or now
    if scanned_at.tzinfo is None:
        raise ServiceError("invalid_scanned_at", "scanned_at needs a time zone (e.g. 2030-05-06T09:00:00Z)")
    if scanned_at > now + FUTURE_TOLERANCE:
        raise ServiceError("invalid_scanned_at", "scanned_at lies in the future")
    badge: Row | None = facts
    if facts.checkout_due:
        run_due_auto_checkouts(db, now)
        badge = None  # it may have sent this person out: read them again
    list_id = checkin_list.id
    context = ScanContext(db, staff, checkin_list, request, scanned_at, now, facts.public_key)
    for _attempt in range(5):
        try:
            outcome = _decide(context, badge)
            response = _record(context, outcome)
            db.commit()
        except _Retry:
            db.rollback()
            continue
        except IntegrityError:
            db.rollback()
            if db.get(CheckinList, list_id) is None:  # its organisers removed the list meanwhile
                raise NotFound("list_not_found", f"there is no check-in list {list_id}") from None
            replay = _replay(db, request, list_id)
            if replay is not None:  # the same scan_id arrived twice at once: one answer
                return replay
            continue  # lost the first-entry race: the next round sees the winner's row
        finally:
            badge = None  # a second round reads afresh
        if outcome.changed:
            announce_change(checkin_list)
        return response
    raise Conflict("busy", "too many simultaneous changes to this badge; scan again")


# --- what a scan reads: one statement, built once -------------------------------------------------
# A scan used to ask eleven questions one by one (list, grant, stored answer, due check-outs, signing
# key, registration, its person, badge version, first entry, ...): each statement costs far more
# Python in SQLAlchemy than SQLite takes to answer it, so they are asked in one. The registration is
# the one the badge names (its signature is checked before anything read about it is used).

_DUE = aliased(CheckinList)
_FIRST_STAFF = aliased(User)
# Kept on the objects: the session only holds weak references to what nobody else does.
_KEEP_LOADED = (contains_eager(Registration.user), contains_eager(Checkin.staff_user.of_type(_FIRST_STAFF)))

# The list, the scanner's grant there, the event's public key, whether an automatic check-out is due
# on any list (`run_due_auto_checkouts` then runs), the answer already given to this scan_id; and the
# badge's registration, its person, the current badge version (no row: 1), the first entry on the
# list and who let them in.
_SCAN_FACTS = (
    select(
        CheckinList,
        scan_right_clause(bindparam("user_id"), CheckinList.event_id).label("may_scan"),
        exists()
        .where(_DUE.auto_checkout_at <= bindparam("now"), _DUE.auto_checked_out_at.is_(None))
        .label("checkout_due"),
        EventSigningKey.public_key,
        *ANSWER_COLUMNS,
        Registration,
        User,
        BadgeIssue.version,
        Checkin,
        _FIRST_STAFF,
    )
    .outerjoin(EventSigningKey, EventSigningKey.event_id == CheckinList.event_id)
    .outerjoin(ScanRecord, ScanRecord.scan_id == bindparam("scan_id"))
    .outerjoin(Registration, Registration.id == bindparam("registration_id"))
    .outerjoin(User, User.id == Registration.user_id)
    .outerjoin(BadgeIssue, BadgeIssue.registration_id == Registration.id)
    .outerjoin(Checkin, (Checkin.registration_id == Registration.id) & (Checkin.list_id == CheckinList.id))
    .outerjoin(_FIRST_STAFF, _FIRST_STAFF.id == Checkin.staff_user_id)
    .where(CheckinList.id == bindparam("list_id"))
    .options(*_KEEP_LOADED)
)

# The badge half alone, for a second round (after a lost race) or after an automatic check-out.
_BADGE_FACTS = (
    select(Registration, User, BadgeIssue.version, Checkin, _FIRST_STAFF)
    .join(User, User.id == Registration.user_id)
    .outerjoin(BadgeIssue, BadgeIssue.registration_id == Registration.id)
    .outerjoin(
        Checkin, (Checkin.registration_id == Registration.id) & (Checkin.list_id == bindparam("list_id"))
    )
    .outerjoin(_FIRST_STAFF, _FIRST_STAFF.id == Checkin.staff_user_id)
    .where(Registration.id == bindparam("registration_id"))
    .options(*_KEEP_LOADED)
)


def _scan_facts(db: DbSession, staff: User, request: ScanRequest, now: datetime) -> Row:
    list_id = request.list_id
    try:
        registration_id = parse_token(request.code)[0].registration_id
    except InvalidBadge:
        registration_id = 0  # no registration: `_decide` refuses the code before it looks
    facts = None
    if 0 < list_id <= MAX_DB_ID:
        facts = db.execute(
            _SCAN_FACTS,
            {
                "list_id": list_id,
                "user_id": staff.id,
                "now": now,
                "scan_id": request.scan_id,
                "registration_id": registration_id,
            },
        ).first()
    if facts is None:
        raise NotFound("list_not_found", f"there is no check-in list {list_id}")
    return facts


def _replay(db: DbSession, request: ScanRequest, list_id: int) -> dict | None:
    code = request.code if isinstance(request.code, str) else ""
    return stored_response(db, request.scan_id, list_id, code=code, direction=request.direction)


def _decide(scan: ScanContext, badge: Row | None = None) -> _Outcome:
    """`badge`: the registration's row read with the list (`_SCAN_FACTS`), else it is read here."""
    db, checkin_list, request = scan.db, scan.checkin_list, scan.request
    try:
        claims = verify_token(db, request.code, checkin_list.event_id, scan.public_key_hex)
    except InvalidBadge as exc:
        return _Outcome("invalid_badge", exc.reason, extra={"message": exc.message})
    if badge is None:
        badge = db.execute(
            _BADGE_FACTS, {"registration_id": claims.registration_id, "list_id": checkin_list.id}
        ).first()
    if badge is None or badge.Registration is None or badge.Registration.event_id != checkin_list.event_id:
        return _Outcome("not_registered", "no_registration")
    registration = badge.Registration
    if not registration.is_confirmed:
        return _Outcome("cancelled", "cancelled", registration)
    try:
        check_version(db, claims, badge.version or 1)
    except InvalidBadge as exc:
        return _Outcome("invalid_badge", exc.reason, registration, extra={"message": exc.message})
    refusal = _admission_refusal(checkin_list, registration, scan.scanned_at, request.direction)
    if refusal:
        return _Outcome("not_admitted", refusal, registration)
    if request.offline and request.offline_result not in (None, "ok"):
        # The offline scanner turned them away: record the decision taken at the door, change nothing.
        return _Outcome(request.offline_result, "refused_offline", registration)
    checkin = badge.Checkin
    if request.offline and _is_late(scan, registration):
        return _late(scan, registration, checkin)
    if request.direction == "out":
        return _exit(scan, registration, checkin)
    if checkin is None:
        return _first_entry(scan, registration)
    if not checkin.inside and checkin_list.allow_reentry:
        return _reentry(scan, registration, checkin)
    return _already(scan, registration, checkin)


def _admission_refusal(
    checkin_list: CheckinList, registration: Registration, scanned_at: datetime, direction: str
) -> str:
    if registration.mode == "online" and not checkin_list.admits_online:
        return "online_registration"
    session = checkin_list.session if checkin_list.scope == "session" else None
    if (
        direction == "in"
        and session is not None
        and not checkin_list.admits_after_end
        and scanned_at >= session.ends_at
    ):
        return "session_ended"  # a door stops admitting when its session ends (exits still count)
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
    """Refused as a repeat (an older offline scan is placed in the timeline by `_late` instead)."""
    return _Outcome(
        "already_checked_in", "already_inside" if checkin.inside else "no_reentry", registration, checkin
    )


def _is_late(scan: ScanContext, registration: Registration) -> bool:
    """(Offline scans only: an online scan is decided now, against the state of now, so scans racing
    each other at one instant stay one "ok" and the rest "already".) Does a standing movement of this person on this list come after this scan's time, or did the
    list's automatic check-out run after it? Then "inside now" says nothing about that moment."""
    checkin_list = scan.checkin_list
    # Read afresh: the automatic check-out may have run since this list was loaded.
    auto_at, auto_done = scan.db.execute(
        select(CheckinList.auto_checkout_at, CheckinList.auto_checked_out_at).where(
            CheckinList.id == checkin_list.id
        )
    ).one()
    if scan.request.direction == "in" and auto_done is not None and auto_at and scan.scanned_at <= auto_at:
        return True
    later = scan.db.scalar(
        select(CheckinMovement.id)
        .where(
            CheckinMovement.list_id == checkin_list.id,
            CheckinMovement.registration_id == registration.id,
            CheckinMovement.undone_at.is_(None),
            CheckinMovement.scanned_at > scan.scanned_at,
        )
        .limit(1)
    )
    return later is not None


def _late(scan: ScanContext, registration: Registration, checkin: Checkin | None) -> _Outcome:
    """A scan older than this person's latest movement (or than an automatic check-out that ran):
    judged at its own time among the movements in `scanned_at` order (see timeline.py), then the
    first entry, "inside" and the list's count are recomputed from the whole timeline."""
    db, checkin_list = scan.db, scan.checkin_list
    lock_list(db, checkin_list.id)  # the list row first, as every writer does; then read what stands
    db.refresh(checkin_list)
    rows = list(
        db.scalars(
            select(CheckinMovement)
            .where(
                CheckinMovement.list_id == checkin_list.id,
                CheckinMovement.registration_id == registration.id,
                CheckinMovement.undone_at.is_(None),
            )
            .order_by(CheckinMovement.scanned_at, CheckinMovement.id)
        )
    )
    if checkin is not None:
        db.refresh(checkin)
    new = timeline.Move(scan.scanned_at, scan.request.direction)
    placed = timeline.place(
        [timeline.Move(m.scanned_at, m.direction, m, m.automatic) for m in rows],
        new,
        allow_reentry=checkin_list.allow_reentry,
        auto_checkout_done_at=checkin_list.auto_checkout_at if checkin_list.auto_checked_out_at else None,
    )
    if not placed.record:
        return _Outcome(placed.result, placed.reason, registration, checkin)
    was_inside = bool(checkin and checkin.inside)
    if placed.inside and not was_inside:
        if not take_place(db, checkin_list):
            return _Outcome("full", "capacity_reached", registration, checkin)
    elif was_inside and not placed.inside:
        free_places(db, checkin_list.id, 1)
    first = placed.first_entry
    first_row = first.ref if first is not None and first is not new else None
    first_values = {
        "checked_in_at": first.at if first is not None else scan.scanned_at,
        "gate": first_row.gate if first_row is not None else scan.request.gate,
        "staff_user_id": first_row.staff_user_id if first_row is not None else scan.staff.id,
        "inside": placed.inside,
    }
    moved_first = checkin is not None and first_values["checked_in_at"] != checkin.checked_in_at
    if checkin is None:
        checkin = Checkin(registration_id=registration.id, list_id=checkin_list.id, **first_values)
        db.add(checkin)
        db.flush()  # UNIQUE(registration_id, list_id): the loser of a race gets IntegrityError here
    else:
        db.execute(
            update(Checkin)
            .where(Checkin.id == checkin.id)
            .values(**first_values)
            .execution_options(synchronize_session=False)
        )
        db.refresh(checkin)
    db.add(scan.movement(registration, scan.request.direction))
    if placed.auto_exit is not None:
        db.add(
            CheckinMovement(
                list_id=checkin_list.id,
                registration_id=registration.id,
                direction="out",
                scanned_at=placed.auto_exit,
                uploaded_at=scan.now,
                automatic=True,
            )
        )
    extra: dict = {}
    if placed.reason == "reentry":
        extra["reentry"] = True
    if placed.auto_exit is not None:
        extra["auto_checked_out_at"] = isoformat_utc(placed.auto_exit)
    if moved_first:
        extra["first_entry_moved"] = True
    return _Outcome(placed.result, placed.reason, registration, checkin, extra=extra, changed=True)


def _record(scan: ScanContext, outcome: _Outcome) -> dict:
    request = scan.request
    late = request.offline and scan.now - scan.scanned_at > LATE_AFTER
    conflict = bool(request.offline and request.offline_result == "ok" and outcome.result != "ok")
    response = _response(scan, outcome, late, conflict)
    registration = outcome.registration
    # A Core INSERT (UNIQUE(scan_id): the same id at once gets IntegrityError here), not an ORM object:
    # nothing reads the row back in this transaction, and the unit of work cost more than the rest.
    scan.db.execute(
        _INSERT_SCAN,
        {
            "scan_id": request.scan_id,
            "action": "scan",
            "list_id": scan.checkin_list.id,
            "registration_id": registration.id if registration else None,
            "direction": request.direction,
            "code": clean_text(request.code if isinstance(request.code, str) else "", CODE_LOG_CHARS),
            "result": outcome.result,
            "reason": outcome.reason,
            "gate": request.gate,
            "staff_user_id": scan.staff.id,
            "scanned_at": scan.scanned_at,
            "uploaded_at": scan.now,
            "offline": request.offline,
            "late": late,
            "conflict": conflict,
            "response": json.dumps(response),
        },
    )
    return response


_INSERT_SCAN = insert(cast(Table, ScanRecord.__table__))  # a declarative __table__ is a Table


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
