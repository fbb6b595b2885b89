"""The report's headline figures broken down by a registration field (e.g. gender, as UN event reports do).

For each answer of a choice or yes/no field: the confirmed registrations that gave it, and among the
participants (people who attended at least once, as the report counts them) how many, online, on
site and both. People who left the field empty make a "No answer" group, so for a one-choice or
yes/no field the groups add up to the report's totals; with a several-choices field one person
counts in each group they chose.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime

from sqlalchemy import select

from ..db_session import DbSession
from ..errors import ServiceError
from ..programme.models import Event
from ..registrations.fields import choice_fields, fields_of
from ..registrations.models import Registration, RegistrationField, Status
from .services import DEFAULT_GRACE_SECONDS, participant_rows

NO_ANSWER = "No answer"


@dataclass
class Group:
    value: str
    registered: int = 0  # confirmed registrations with this answer
    participants: int = 0  # of them (or of any status) who attended at least once
    online: int = 0
    on_site: int = 0
    hybrid: int = 0


@dataclass
class Breakdown:
    key: str
    label: str
    groups: list[Group]


def breakdown_fields(db: DbSession, event: Event) -> list[RegistrationField]:
    """The fields a report can be broken down by."""
    return choice_fields(fields_of(db, event))


def _values(field: RegistrationField, answer) -> list[str]:
    if field.kind in ("checkbox", "consent"):
        return [NO_ANSWER] if answer is None else ["yes" if answer else "no"]
    if isinstance(answer, list):
        return [v for v in answer if v in field.choices] or [NO_ANSWER]
    return [answer] if answer in field.choices else [NO_ANSWER]


def breakdown(
    db: DbSession,
    event: Event,
    key: str,
    *,
    now: datetime | None = None,
    grace_seconds: int = DEFAULT_GRACE_SECONDS,
) -> Breakdown:
    """The figures per answer of the field `key`; an unknown or free-text field raises `unknown_field`."""
    field = next((f for f in breakdown_fields(db, event) if f.key == key), None)
    if field is None:
        raise ServiceError("unknown_field", f"this event has no choice or yes/no registration field {key!r}")
    order = field.choices if field.has_choices else ["yes", "no"]
    groups = {value: Group(value) for value in [*order, NO_ANSWER]}
    answers: dict[int, object] = {}
    for user_id, status, given in db.execute(
        select(Registration.user_id, Registration.status, Registration.answers).where(
            Registration.event_id == event.id
        )
    ):
        answers[user_id] = (given or {}).get(key)
        if status == Status.CONFIRMED.value:
            for value in _values(field, answers[user_id]):
                groups[value].registered += 1
    for person in participant_rows(db, event, now=now, grace_seconds=grace_seconds):
        for value in _values(field, answers.get(person.user_id)):
            group = groups[value]
            group.participants += 1
            group.online += person.online
            group.on_site += person.on_site
            group.hybrid += person.online and person.on_site
    shown = [g for g in groups.values() if g.value != NO_ANSWER or g.registered or g.participants]
    return Breakdown(field.key, field.label, shown)


def breakdown_json(b: Breakdown) -> dict:
    return {"key": b.key, "label": b.label, "groups": [asdict(g) for g in b.groups]}
