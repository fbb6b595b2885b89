"""Registration rules, and the organisers' bulk import of a participant list."""
from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from typing import Mapping

from sqlalchemy import func, insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ..accounts.models import User
from ..accounts.services import normalise_email
from ..countries import normalise_country
from ..db_types import utcnow
from ..errors import Conflict, ServiceError
from ..hooks import registration_changed
from ..programme.models import Event
from .models import MODES, Registration, Status


def validate_mode(mode: str) -> str:
    if mode not in MODES:
        raise ServiceError("invalid_mode", "mode must be in_person or online")
    return mode


def register(db: Session, user: User, event: Event, mode: str) -> Registration:
    """Register a user, or reconfirm a cancelled registration; a live one raises Conflict."""
    validate_mode(mode)
    registration = Registration(user_id=user.id, event_id=event.id, mode=mode)
    db.add(registration)
    try:
        db.flush()
    except IntegrityError:
        db.rollback()
    else:
        # Receivers (the confirmation e-mail) write in this transaction: both commit or neither.
        registration_changed.send(registration, db=db, change="confirmed")
        db.commit()
        return registration
    existing = find_registration(db, user.id, event.id)
    if existing is None:  # pragma: no cover - the unique row vanished between two statements
        raise Conflict("registration_conflict", "please try again")
    if existing.is_confirmed:
        raise Conflict("already_registered", f"{user.email} is already registered for {event.title}")
    existing.status = Status.CONFIRMED.value
    existing.mode = mode
    registration_changed.send(existing, db=db, change="confirmed")
    db.commit()
    return existing


def find_registration(db: Session, user_id: int, event_id: int) -> Registration | None:
    return db.scalar(select(Registration).where(Registration.user_id == user_id, Registration.event_id == event_id))


def cancel_registration(db: Session, registration: Registration) -> Registration:
    if registration.status == Status.CANCELLED.value:
        return registration
    registration.status = Status.CANCELLED.value
    registration_changed.send(registration, db=db, change="cancelled")
    db.commit()
    return registration


def change_mode(db: Session, registration: Registration, mode: str) -> Registration:
    registration.mode = validate_mode(mode)
    db.commit()
    return registration


def registrations_of(db: Session, user: User) -> list[Registration]:
    return list(
        db.scalars(
            select(Registration)
            .join(Event)
            .where(Registration.user_id == user.id)
            .order_by(Event.starts_at)
        )
    )


def confirmed_registration(db: Session, user_id: int, event_id: int) -> Registration | None:
    registration = find_registration(db, user_id, event_id)
    return registration if registration is not None and registration.is_confirmed else None


def registration_counts(db: Session, event: Event) -> dict[str, int]:
    """Confirmed registrations by mode, plus their total."""
    rows = db.execute(
        select(Registration.mode, func.count())
        .where(Registration.event_id == event.id, Registration.status == Status.CONFIRMED.value)
        .group_by(Registration.mode)
    ).all()
    counts = {mode: 0 for mode in MODES}
    counts.update({mode: n for mode, n in rows})
    counts["total"] = sum(counts[m] for m in MODES)
    return counts


@dataclass(frozen=True)
class ParticipantFilter:
    q: str = ""
    mode: str = ""
    status: str = "confirmed"
    country: str = ""
    limit: int = 500

    @classmethod
    def from_args(cls, args: Mapping[str, str]) -> "ParticipantFilter":
        mode = args.get("mode", "")
        status = args.get("status", "confirmed")
        return cls(
            q=(args.get("q") or "").strip()[:100],
            mode=mode if mode in MODES else "",
            status=status if status in ("confirmed", "cancelled", "all") else "confirmed",
            country=(args.get("country") or "").strip().upper()[:2],
        )


def list_participants(db: Session, event: Event, filters: ParticipantFilter) -> list[tuple[Registration, User]]:
    query = (
        select(Registration, User)
        .join(User, Registration.user_id == User.id)
        .where(Registration.event_id == event.id)
        .order_by(User.name, User.id)
        .limit(filters.limit)
    )
    if filters.status != "all":
        query = query.where(Registration.status == filters.status)
    if filters.mode:
        query = query.where(Registration.mode == filters.mode)
    if filters.country:
        query = query.where(User.country == filters.country)
    if filters.q:
        pattern = f"%{filters.q.lower()}%"
        query = query.where(
            func.lower(User.name).like(pattern) | func.lower(User.email).like(pattern)
            | func.lower(User.organisation).like(pattern)
        )
    return [(r, u) for r, u in db.execute(query).all()]


# --- bulk import -----------------------------------------------------------------------------------

IMPORT_COLUMNS = ("email", "name", "organisation", "country", "mode")


class ImportError_(ServiceError):
    """A participant list that cannot be imported; `line` is the 1-based line in the file."""


@dataclass
class ImportResult:
    rows: int
    users_created: int
    registrations_created: int
    already_registered: int
    invited: int = 0


@dataclass
class _Row:
    line: int
    email: str
    name: str
    organisation: str
    country: str | None
    mode: str


def _parse_rows(text: str) -> list[_Row]:
    reader = csv.DictReader(io.StringIO(text))
    header = [h.strip().lower() for h in (reader.fieldnames or [])]
    missing = [c for c in IMPORT_COLUMNS if c not in header]
    if missing:
        raise ImportError_("bad_header", f"line 1: missing column(s): {', '.join(missing)}", line=1)
    reader.fieldnames = header
    rows: list[_Row] = []
    seen: dict[str, int] = {}
    for record in reader:
        line = reader.line_num
        if None in record:
            raise ImportError_("bad_row", f"line {line}: too many fields", line=line)
        values = {k: (record.get(k) or "").strip() for k in IMPORT_COLUMNS}
        if not any(values.values()):
            continue
        try:
            email = normalise_email(values["email"])
            country = normalise_country(values["country"])
        except ServiceError as exc:
            raise ImportError_("bad_row", f"line {line}: {exc.message}", line=line) from None
        except ValueError as exc:
            raise ImportError_("bad_row", f"line {line}: {exc}", line=line) from None
        if not values["name"] or len(values["name"]) > 200:
            raise ImportError_("bad_row", f"line {line}: a name of 1 to 200 characters is required", line=line)
        if values["mode"] not in MODES:
            raise ImportError_(
                "bad_row", f"line {line}: mode must be in_person or online, not {values['mode']!r}", line=line
            )
        if email in seen:
            raise ImportError_(
                "bad_row", f"line {line}: {email} already appears on line {seen[email]}", line=line
            )
        seen[email] = line
        rows.append(_Row(line, email, values["name"], values["organisation"][:200], country, values["mode"]))
    return rows


def import_participants(db: Session, event: Event, csv_text: str, *, invite: bool = False) -> ImportResult:
    """Create missing users and their registrations in one transaction; any bad row imports nothing.

    With `invite`, each new registration's invitation e-mail is queued in the same transaction.

    Existing users keep their details; existing registrations are left as they are. Inserts go in
    bulk (executemany), which is what makes 10,000 rows take seconds rather than minutes.
    """
    rows = _parse_rows(csv_text)
    emails = [r.email for r in rows]
    try:
        existing_users: dict[str, int] = {}
        for chunk in _chunks(emails, 500):
            existing_users.update(db.execute(select(User.email, User.id).where(User.email.in_(chunk))).all())
        new_users = [
            {"email": r.email, "name": r.name, "organisation": r.organisation, "country": r.country,
             "role": "attendee", "session_version": 1, "created_at": utcnow()}
            for r in rows if r.email not in existing_users
        ]
        if new_users:
            db.execute(insert(User), new_users)
            for chunk in _chunks([u["email"] for u in new_users], 500):
                existing_users.update(db.execute(select(User.email, User.id).where(User.email.in_(chunk))).all())
        registered = set(
            db.scalars(select(Registration.user_id).where(Registration.event_id == event.id)).all()
        )
        now = utcnow()
        new_registrations = [
            {"user_id": existing_users[r.email], "event_id": event.id, "mode": r.mode,
             "status": Status.CONFIRMED.value, "created_at": now}
            for r in rows if existing_users[r.email] not in registered
        ]
        if new_registrations:
            db.execute(insert(Registration), new_registrations)
        invited = 0
        if invite and new_registrations:
            from .mailings import invite_registrations

            new_user_ids = [r["user_id"] for r in new_registrations]
            ids = []
            for chunk in _chunks(new_user_ids, 500):
                ids += db.scalars(select(Registration.id).where(
                    Registration.event_id == event.id, Registration.user_id.in_(chunk))).all()
            invited = invite_registrations(db, sorted(ids))
        db.commit()
    except IntegrityError as exc:
        db.rollback()
        raise ImportError_("conflict", f"the list conflicts with data saved meanwhile: {exc.orig}") from None
    return ImportResult(len(rows), len(new_users), len(new_registrations), len(rows) - len(new_registrations),
                        invited)


def _chunks(items: list, size: int):
    for start in range(0, len(items), size):
        yield items[start:start + size]

