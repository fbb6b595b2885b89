"""The people of one event for its organisers: search and filters by page, adding one, the CSV export."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Mapping
from dataclasses import dataclass

from sqlalchemy import String, cast, func, select

from ..accounts.models import User
from ..accounts.services import create_user, find_user_by_email
from ..db_session import DbSession
from ..i18n.columns import header_row
from ..programme.models import Event
from .fields import answer_text, choice_fields, fields_of
from .imports import IMPORT_COLUMNS
from .models import MODES, Registration, RegistrationField, Status
from .schemas import ParticipantIn
from .services import register

STATUSES = tuple(s.value for s in Status)
PER_PAGE = 50


@dataclass(frozen=True)
class PeopleQuery:
    """What the organiser typed in the search form; unknown values fall back to "any"."""

    q: str = ""
    mode: str = ""
    status: str = ""  # "" = every status
    country: str = ""
    answer: str = ""  # "<field key>=<value>", e.g. "gender=Woman"
    page: int = 1

    @classmethod
    def from_args(cls, args: Mapping[str, str]) -> PeopleQuery:
        mode, status, page = args.get("mode", ""), args.get("status", ""), args.get("page", "1")
        return cls(
            q=(args.get("q") or "").strip()[:100],
            mode=mode if mode in MODES else "",
            status=status if status in STATUSES else "",
            country=(args.get("country") or "").strip().upper()[:2],
            answer=(args.get("answer") or "")[:300],
            page=min(int(page), 100_000) if page.isdigit() and int(page) > 0 else 1,
        )

    def args(self, **changes) -> dict:
        """The query string of this search, with `changes` (for the pagination links)."""
        values = {
            "q": self.q,
            "mode": self.mode,
            "status": self.status,
            "country": self.country,
            "answer": self.answer,
            "page": self.page,
            **changes,
        }
        return {k: v for k, v in values.items() if v not in ("", None) and not (k == "page" and v == 1)}


@dataclass
class PeoplePage:
    rows: list[tuple[Registration, User]]
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))


def _answer_condition(fields: list[RegistrationField], answer: str):
    key, _, value = answer.partition("=")
    field = next((f for f in choice_fields(fields) if f.key == key), None)
    if field is None:
        return None
    if field.kind in ("checkbox", "consent"):
        return Registration.answers[key].as_boolean() == (value == "yes")
    if field.kind == "multi":
        return cast(Registration.answers[key], String).like(f"%{json.dumps(value)}%")
    return Registration.answers[key].as_string() == value


def search_people(db: DbSession, event: Event, query: PeopleQuery, *, per_page: int = PER_PAGE) -> PeoplePage:
    """One page of the event's registrations matching the search, by name."""
    conditions = [Registration.event_id == event.id]
    if query.status:
        conditions.append(Registration.status == query.status)
    if query.mode:
        conditions.append(Registration.mode == query.mode)
    if query.country:
        conditions.append(User.country == query.country)
    if query.q:
        pattern = f"%{query.q.lower()}%"
        conditions.append(
            func.lower(User.name).like(pattern)
            | func.lower(User.email).like(pattern)
            | func.lower(User.organisation).like(pattern)
        )
    if query.answer:
        condition = _answer_condition(fields_of(db, event), query.answer)
        if condition is not None:
            conditions.append(condition)
    base = select(Registration, User).join(User, Registration.user_id == User.id).where(*conditions)
    total = db.scalar(select(func.count()).select_from(base.subquery())) or 0
    pages = max(1, -(-total // per_page))
    page = min(query.page, pages)
    rows = db.execute(base.order_by(User.name, User.id).offset((page - 1) * per_page).limit(per_page)).all()
    return PeoplePage([(r, u) for r, u in rows], total, page, per_page)


def status_counts(db: DbSession, event: Event) -> dict[str, int]:
    rows = db.execute(
        select(Registration.status, func.count())
        .where(Registration.event_id == event.id)
        .group_by(Registration.status)
    ).all()
    counts = dict.fromkeys(STATUSES, 0)
    counts.update(dict(rows))
    return counts


def add_participant(
    db: DbSession, event: Event, person: ParticipantIn, answers: dict | None = None
) -> tuple[Registration, bool]:
    """Register someone for the event as its organiser, creating the account when the e-mail is new,
    and queue their invitation when the organiser chose to send it now.

    Returns the registration and whether the account was created. The account and the registration
    are written together or not at all.
    """
    user = find_user_by_email(db, person.email)
    created = user is None
    if user is None:
        user = create_user(
            db,
            email=person.email,
            name=person.name,
            organisation=person.organisation,
            country=person.country or None,
            commit=False,
        )
    return register(
        db, user, event, person.mode, answers, by_organiser=True, invite=person.invitations == "now"
    ), created


def export_csv(db: DbSession, event: Event) -> str:
    """Every registration with its answers; the first columns are the import's, so the file goes back in."""
    from ..attendance.exports import (
        safe_cell,  # the one formula-injection rule of the project's exports
    )

    fields = fields_of(db, event)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([*header_row([*IMPORT_COLUMNS, "status", "registered_at"]), *(f.key for f in fields)])
    rows = db.execute(
        select(Registration, User)
        .join(User, Registration.user_id == User.id)
        .where(Registration.event_id == event.id)
        .order_by(User.name, User.id)
    )
    for registration, user in rows:
        answers = registration.answers or {}
        writer.writerow(
            [
                safe_cell(cell)
                for cell in (
                    user.email,
                    user.name,
                    user.organisation,
                    user.country or "",
                    registration.mode,
                    registration.status,
                    registration.created_at.astimezone(event.tz).strftime("%Y-%m-%d %H:%M"),
                    *(answer_text(answers.get(f.key)) for f in fields),
                )
            ]
        )
    return out.getvalue()
