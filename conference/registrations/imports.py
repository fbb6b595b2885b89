"""The organisers' participant list (CSV): a plan of what it would create and change, then applying it.

`plan_import` reads the file and the database and writes nothing: every bad row is reported with
its line number, and every good row says what would happen to it. `apply_import` plans again inside
the transaction that writes (after taking the event's places lock, so the plan cannot go stale
between the two) and refuses to write anything if a row is bad. The `conference import-participants`
command and the upload page of the back-office both call these two.

Columns: email, name, organisation, country, mode (required, in any order), and optionally one
column per registration field, named by the field's key (a multi-choice cell separates its choices
with ";", a yes/no cell takes yes/no). The organisers' list is authoritative: its people are
confirmed without approval, in-person rows beyond the capacity go to the waiting list, and rows of
people already registered change their mode, answers, or bring back a cancelled registration.
"""

from __future__ import annotations

import csv
import hashlib
import io
from dataclasses import dataclass, field

from sqlalchemy import insert, select
from sqlalchemy.exc import IntegrityError

from ..accounts.models import User
from ..accounts.services import normalise_email
from ..countries import normalise_country
from ..db_session import DbSession
from ..db_types import utcnow
from ..errors import Conflict, ServiceError
from ..i18n.columns import key_for_heading
from ..names import check_name
from ..programme.models import Event
from .fields import clean_answer, fields_of
from .models import MODE_LABELS, MODES, Registration, Status
from .services import (
    ImportError_,
    _confirmed,
    _lock_places,
    _promote,
    _set_status,
    registration_changed,
)

IMPORT_COLUMNS = ("email", "name", "organisation", "country", "mode")
LIVE = (Status.CONFIRMED.value, Status.PENDING.value, Status.WAITLISTED.value)


@dataclass
class PlannedRow:
    line: int
    email: str
    name: str
    organisation: str
    country: str | None
    mode: str
    answers: dict
    # "create": a new account and its registration; "register": an existing account registers;
    # "change": an existing registration changes; "unchanged": already registered as the file says.
    action: str = "create"
    changes: list[str] = field(default_factory=list)
    status: str = Status.CONFIRMED.value  # the status the registration will have
    user_id: int | None = None
    registration_id: int | None = None

    @property
    def mode_label(self) -> str:
        return MODE_LABELS[self.mode]


@dataclass
class ImportPlan:
    rows: list[PlannedRow]
    problems: list[tuple[int, str]]  # (line, message), in file order
    answer_columns: list[str]
    ignored_columns: list[str]

    @property
    def ok(self) -> bool:
        return not self.problems

    def count(self, action: str) -> int:
        return sum(1 for r in self.rows if r.action == action)

    @property
    def waitlisted(self) -> int:
        return sum(1 for r in self.rows if r.action != "unchanged" and r.status == Status.WAITLISTED.value)

    @property
    def messages(self) -> list[str]:
        return [message for _, message in self.problems]

    def digest(self) -> str:
        """A fingerprint of what applying would do, so the confirm step can tell the plan did not change."""
        text = "\n".join(
            f"{r.line}|{r.email}|{r.action}|{r.status}|{r.mode}|{','.join(r.changes)}" for r in self.rows
        )
        return hashlib.sha256(text.encode()).hexdigest()


@dataclass
class ImportResult:
    rows: int
    users_created: int
    registrations_created: int
    already_registered: int
    changed: int = 0
    waitlisted: int = 0
    registration_ids: list[int] = field(default_factory=list)  # created or changed, for invitations
    invited: int = 0


def _read(
    text: str, fields_by_key: dict
) -> tuple[list[tuple[int, dict]], list[tuple[int, str]], list[str], list[str]]:
    reader = csv.DictReader(io.StringIO(text))
    # The keys, or their headings in any language of the interface (an export in Arabic goes back in).
    header = [key_for_heading(h or "", IMPORT_COLUMNS) for h in (reader.fieldnames or [])]
    missing = [c for c in IMPORT_COLUMNS if c not in header]
    if missing:
        return [], [(1, f"line 1: missing column(s): {', '.join(missing)}")], [], []
    reader.fieldnames = header
    answer_columns = [h for h in header if h in fields_by_key]
    ignored = [h for h in header if h and h not in IMPORT_COLUMNS and h not in fields_by_key]
    records, problems = [], []
    try:
        for record in reader:
            line = reader.line_num
            if None in record:
                problems.append((line, f"line {line}: too many fields"))
                continue
            values = {k: (v or "").strip() for k, v in record.items()}
            if any(values.values()):
                records.append((line, values))
    except csv.Error as exc:
        problems.append((reader.line_num, f"line {reader.line_num}: {exc}"))
    return records, problems, answer_columns, ignored


def plan_import(db: DbSession, event: Event, csv_text: str) -> ImportPlan:
    """What importing `csv_text` into `event` would do, and every bad row by line number; writes nothing."""
    fields_by_key = {f.key: f for f in fields_of(db, event)}
    records, problems, answer_columns, ignored = _read(csv_text, fields_by_key)
    rows: list[PlannedRow] = []
    seen: dict[str, int] = {}
    for line, values in records:
        row_problems = []
        try:
            email = normalise_email(values["email"])
        except ServiceError as exc:
            email = ""
            row_problems.append(exc.message)
        try:
            country = normalise_country(values["country"])
        except (ServiceError, ValueError) as exc:
            country = None
            row_problems.append(getattr(exc, "message", str(exc)))
        if not values["name"] or len(values["name"]) > 200:
            row_problems.append("a name of 1 to 200 characters is required")
        elif name_problem := check_name(values["name"]):
            row_problems.append(name_problem)
        if values["mode"] not in MODES:
            row_problems.append(f"mode must be in_person or online, not {values['mode']!r}")
        if email and email in seen:
            row_problems.append(f"{email} already appears on line {seen[email]}")
        answers = {}
        for key in answer_columns:
            try:
                value = clean_answer(fields_by_key[key], values.get(key, ""), enforce_required=False)
            except ValueError as exc:
                row_problems.append(f"{key}: {exc}")
                continue
            if value is not None:
                answers[key] = value
        if row_problems:
            problems.extend((line, f"line {line}: {message}") for message in row_problems)
            continue
        seen[email] = line
        rows.append(
            PlannedRow(
                line, email, values["name"], values["organisation"][:200], country, values["mode"], answers
            )
        )
    problems.sort(key=lambda p: p[0])
    _decide(db, event, rows, problems)
    return ImportPlan(rows, problems, answer_columns, ignored)


def _decide(db: DbSession, event: Event, rows: list[PlannedRow], problems: list) -> None:
    """Fill in each row's action, changes and status from what the database holds now."""
    users: dict[str, int] = {}
    for chunk in _chunks([r.email for r in rows], 500):
        users.update(db.execute(select(User.email, User.id).where(User.email.in_(chunk))).all())
    registrations = {
        r.user_id: r for r in db.scalars(select(Registration).where(Registration.event_id == event.id))
    }
    free_in_person = (
        None
        if event.in_person_capacity is None
        else event.in_person_capacity - _confirmed(db, event.id, "in_person")
    )
    free_online = (
        None if event.online_capacity is None else event.online_capacity - _confirmed(db, event.id, "online")
    )
    needing_place = []
    for row in rows:
        row.user_id = users.get(row.email)
        existing = registrations.get(row.user_id) if row.user_id is not None else None
        if existing is None:
            row.action = "create" if row.user_id is None else "register"
            needing_place.append(row)
            continue
        row.registration_id = existing.id
        changed_answers = [k for k, v in row.answers.items() if existing.answers.get(k) != v]
        if changed_answers:
            row.changes.append("answers: " + ", ".join(changed_answers))
        keeps_place = existing.status == Status.CONFIRMED.value and existing.mode == row.mode
        waits_in_person = existing.status == Status.WAITLISTED.value and row.mode == "in_person"
        if keeps_place or waits_in_person:
            row.status = existing.status
        else:
            if existing.status not in LIVE:
                row.changes.append(f"registered again (was {existing.status})")
            elif existing.status == Status.PENDING.value:
                row.changes.append("approved")
            if existing.mode != row.mode:
                row.changes.append(f"now {row.mode_label.lower()} (was {MODE_LABELS[existing.mode].lower()})")
            if existing.status == Status.CONFIRMED.value:  # its old place frees up
                if existing.mode == "in_person" and free_in_person is not None:
                    free_in_person += 1
                elif existing.mode == "online" and free_online is not None:
                    free_online += 1
            needing_place.append(row)
        row.action = "change" if row.changes else "unchanged"
    for row in needing_place:
        if row.mode == "online":
            if free_online is not None and free_online <= 0:
                problems.append(
                    (row.line, f"line {row.line}: the {event.online_capacity} online places are taken")
                )
                continue
            row.status = Status.CONFIRMED.value
            free_online = None if free_online is None else free_online - 1
        elif free_in_person is not None and free_in_person <= 0:
            row.status = Status.WAITLISTED.value
            if row.action in ("change", "unchanged"):
                row.action = "change"
                row.changes.append("joins the waiting list")
        else:
            row.status = Status.CONFIRMED.value
            free_in_person = None if free_in_person is None else free_in_person - 1
    problems.sort(key=lambda p: p[0])


def apply_import(
    db: DbSession, event: Event, csv_text: str, *, expected_digest: str = "", invite: bool = False
) -> ImportResult:
    """Write what the plan says, in one transaction; a bad row (or a plan changed since the preview) writes nothing.

    With `invite`, the invitation of every new confirmed participant is queued in the same transaction
    (organisers otherwise send invitations later, or not at all: an import sends no confirmations).

    Inserts go in bulk (executemany), which is what makes 10,000 rows take seconds rather than minutes.
    """
    _lock_places(db, event.id)
    db.refresh(event)
    plan = plan_import(db, event, csv_text)
    if not plan.ok:
        db.rollback()
        raise ImportError_(
            "bad_rows",
            "; ".join(plan.messages),
            line=plan.problems[0][0],
            problems=[{"line": line, "message": m} for line, m in plan.problems],
        )
    if expected_digest and expected_digest != plan.digest():
        db.rollback()
        raise Conflict("plan_changed", "the participants changed since the preview; check the new preview")
    now = utcnow()
    try:
        new_users = [
            {
                "email": r.email,
                "name": r.name,
                "organisation": r.organisation,
                "country": r.country,
                "role": "attendee",
                "session_version": 1,
                "created_at": now,
            }
            for r in plan.rows
            if r.action == "create"
        ]
        if new_users:
            db.execute(insert(User), new_users)
            ids: dict[str, int] = {}
            for chunk in _chunks([u["email"] for u in new_users], 500):
                ids.update(db.execute(select(User.email, User.id).where(User.email.in_(chunk))).all())
            for row in plan.rows:
                if row.action == "create":
                    row.user_id = ids[row.email]
        fresh = [r for r in plan.rows if r.action in ("create", "register")]
        if fresh:
            db.execute(
                insert(Registration),
                [
                    {
                        "user_id": r.user_id,
                        "event_id": event.id,
                        "mode": r.mode,
                        "status": r.status,
                        "answers": r.answers,
                        "created_at": now,
                        "status_changed_at": now,
                    }
                    for r in fresh
                ],
            )
        changed_ids = []
        for row in (r for r in plan.rows if r.action == "change"):
            registration = db.get_one(Registration, row.registration_id)  # the plan found it
            registration.answers = {**(registration.answers or {}), **row.answers}
            registration.mode = row.mode
            changed_ids.append(registration.id)
            if registration.status != row.status:
                _set_status(db, registration, row.status, notify=False)
        db.flush()
        created = _announce_new(
            db, event, [r.user_id for r in fresh if r.user_id is not None]
        )  # all have one now
        _promote(db, event.id, event.in_person_capacity)  # places freed by rows that moved online
        invited = _invite(db, created) if invite else 0
        db.commit()
    except IntegrityError as exc:
        db.rollback()
        raise ImportError_("conflict", f"the list conflicts with data saved meanwhile: {exc.orig}") from None
    return ImportResult(
        len(plan.rows),
        len(new_users),
        len(fresh),
        len(plan.rows) - len(fresh),
        changed=len(changed_ids),
        waitlisted=plan.waitlisted,
        registration_ids=created + changed_ids,
        invited=invited,
    )


def _invite(db: DbSession, registration_ids: list[int]) -> int:
    """Queue the invitations of the confirmed ones among these new registrations (no commit)."""
    from .mailings import invite_registrations

    confirmed: list[int] = []
    for chunk in _chunks(registration_ids, 500):
        confirmed += db.scalars(
            select(Registration.id).where(
                Registration.id.in_(chunk), Registration.status == Status.CONFIRMED.value
            )
        )
    return invite_registrations(db, confirmed)


def _announce_new(db: DbSession, event: Event, user_ids: list[int]) -> list[int]:
    """Send `registration_changed` for the registrations inserted in bulk (inside the transaction)."""
    ids = []
    for chunk in _chunks(user_ids, 500):
        for registration in db.scalars(
            select(Registration).where(Registration.event_id == event.id, Registration.user_id.in_(chunk))
        ):
            registration_changed.send(registration, db=db, change=registration.status, notify=False)
            ids.append(registration.id)
    return ids


def _chunks(items: list, size: int):
    for start in range(0, len(items), size):
        yield items[start : start + size]
