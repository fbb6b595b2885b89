"""An event's own registration form: its fields, the ready-made ones, and checking the answers."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from ..db_session import DbSession
from ..errors import Conflict, NotFound, ServiceError
from ..programme.models import Event
from .models import CHOICE_KINDS, RegistrationField
from .schemas import FieldDefinition

# Ready-made fields, as UN and capacity-building events ask them; the organiser may edit them after.
PRESETS: dict[str, dict] = {
    "title": {"label": "Title", "kind": "choice", "choices": ["Mr.", "Ms.", "Mx.", "Dr.", "Prof.", "H.E."]},
    "gender": {
        "label": "Gender",
        "kind": "choice",
        "choices": ["Woman", "Man", "Non-binary", "Prefer not to say"],
    },
    "organisation_type": {
        "label": "Type of organisation",
        "kind": "choice",
        "choices": [
            "Government",
            "Intergovernmental organisation",
            "United Nations",
            "Academia",
            "Civil society",
            "Private sector",
            "Media",
            "Other",
        ],
    },
    "position": {"label": "Position", "kind": "text"},
    "visa_letter": {
        "label": "I need a visa support letter",
        "kind": "checkbox",
        "help_text": "The organisers send you a letter for your visa application.",
    },
    "accessibility": {
        "label": "Accessibility needs",
        "kind": "textarea",
        "help_text": "Tell us what would make the event accessible to you.",
    },
    "dietary": {
        "label": "Dietary needs",
        "kind": "choice",
        "choices": ["None", "Vegetarian", "Vegan", "Halal", "Kosher", "Gluten-free", "Other"],
    },
    "privacy_consent": {
        "label": "I agree to the processing of my personal data as described above",
        "kind": "consent",
        "required": True,
        "notice": "The organisers use your name, e-mail, organisation and country to run this "
        "event, and publish anonymous figures about attendance. Edit this notice "
        "to say who processes the data, why, for how long, and whom to contact.",
    },
}


def fields_of(db: DbSession, event: Event | int) -> list[RegistrationField]:
    event_id = event if isinstance(event, int) else event.id
    return list(
        db.scalars(
            select(RegistrationField)
            .where(RegistrationField.event_id == event_id)
            .order_by(RegistrationField.position, RegistrationField.id)
        )
    )


def get_field(db: DbSession, event: Event, field_id: int) -> RegistrationField:
    field = db.get(RegistrationField, field_id)
    if field is None or field.event_id != event.id:
        raise NotFound("no_such_field", "this event has no such registration field")
    return field


def _save(db: DbSession, field: RegistrationField) -> RegistrationField:
    try:
        db.commit()
    except IntegrityError:
        db.rollback()
        raise Conflict(
            "duplicate_key",
            f"this form already has a field with the key {field.key!r}",
            field="key",
            key=field.key,
        ) from None
    return field


def add_field(db: DbSession, event: Event, definition: FieldDefinition) -> RegistrationField:
    """Add a field at the end of the form; a key the form already uses raises Conflict('duplicate_key')."""
    last = db.scalar(
        select(func.max(RegistrationField.position)).where(RegistrationField.event_id == event.id)
    )
    field = RegistrationField(
        event_id=event.id, position=(last if last is not None else -1) + 1, **definition.model_dump()
    )
    db.add(field)
    return _save(db, field)


def add_preset(db: DbSession, event: Event, preset: str) -> RegistrationField:
    if preset not in PRESETS:
        raise ServiceError("unknown_preset", "no such ready-made field")
    return add_field(db, event, FieldDefinition(key=preset, **PRESETS[preset]))


def update_field(db: DbSession, field: RegistrationField, definition: FieldDefinition) -> RegistrationField:
    """Change a field. Answers given already stay stored under the key they were given with."""
    for name, value in definition.model_dump().items():
        setattr(field, name, value)
    return _save(db, field)


def remove_field(db: DbSession, field: RegistrationField) -> None:
    """Remove a field from the form; the answers people gave stay in their registrations."""
    db.delete(field)
    db.commit()


def move_field(db: DbSession, field: RegistrationField, step: int) -> None:
    """Move a field up (-1) or down (+1) in the form."""
    fields = fields_of(db, field.event_id)
    index = next(i for i, f in enumerate(fields) if f.id == field.id)
    target = index + step
    if 0 <= target < len(fields):
        fields[index], fields[target] = fields[target], fields[index]
    for position, f in enumerate(fields):
        f.position = position
    db.commit()


# --- answers ---------------------------------------------------------------------------------------

TRUE_WORDS = {"yes", "y", "true", "1", "on", "x"}
FALSE_WORDS = {"no", "n", "false", "0", "off", ""}
MAX_TEXT = {"text": 200, "textarea": 2000}


class InvalidAnswers(ServiceError):
    """Answers that break the form's rules; `problems` holds the messages by field key."""

    def __init__(self, problems: dict[str, str]):
        super().__init__(
            "invalid_answers", "; ".join(f"{k}: {m}" for k, m in problems.items()), fields=problems
        )
        self.problems = problems


def _canonical_choice(field: RegistrationField, value: str) -> str | None:
    folded = value.strip().casefold()
    return next((c for c in field.choices if c.casefold() == folded), None)


def clean_answer(field: RegistrationField, raw, *, enforce_required: bool = True):
    """One answer checked and normalised, or ValueError with the message to show beside the field.

    `raw` is what a form or a CSV gives: a string, or a list of strings for a multi-choice field
    (a CSV cell separates them with ";"). Stored as str, list[str] or bool; None when left empty.
    """
    if field.kind in ("checkbox", "consent"):
        word = (raw if isinstance(raw, str) else ("yes" if raw else "")).strip().casefold()
        if word not in TRUE_WORDS | FALSE_WORDS:
            raise ValueError("answer yes or no")
        value = word in TRUE_WORDS
        if enforce_required and field.required and not value:
            raise ValueError("You must agree to take part." if field.kind == "consent" else "Tick this box.")
        return value
    if field.kind == "multi":
        items = raw if isinstance(raw, list) else (raw or "").split(";")
        chosen = []
        for item in (i for i in items if i.strip()):
            choice = _canonical_choice(field, item)
            if choice is None:
                raise ValueError(f"{item.strip()!r} is not one of the choices")
            if choice not in chosen:
                chosen.append(choice)
        if enforce_required and field.required and not chosen:
            raise ValueError("Choose at least one.")
        return [c for c in field.choices if c in chosen] or None
    text = (raw[0] if isinstance(raw, list) and raw else raw if isinstance(raw, str) else "").strip()
    if not text:
        if enforce_required and field.required:
            raise ValueError("This field is required.")
        return None
    if field.kind == "choice":
        choice = _canonical_choice(field, text)
        if choice is None:
            raise ValueError(f"{text!r} is not one of the choices")
        return choice
    limit = MAX_TEXT[field.kind]
    if len(text) > limit:
        raise ValueError(f"{limit} characters at most")
    return text


def raw_answers(form, fields: list[RegistrationField]) -> dict:
    """A form's answers by field key, as typed (lists for multi-choice fields); inputs are named answer-<key>."""
    return {
        f.key: form.getlist(f"answer-{f.key}") if f.kind == "multi" else form.get(f"answer-{f.key}", "")
        for f in fields
    }


def clean_answers(fields: list[RegistrationField], raw: dict, *, enforce_required: bool = True) -> dict:
    """Every field's answer from `raw` (by key), checked; InvalidAnswers lists every problem at once."""
    answers, problems = {}, {}
    for field in fields:
        try:
            value = clean_answer(
                field,
                raw.get(field.key, [] if field.kind == "multi" else ""),
                enforce_required=enforce_required,
            )
        except ValueError as exc:
            problems[field.key] = str(exc)
            continue
        if value is not None:
            answers[field.key] = value
    if problems:
        raise InvalidAnswers(problems)
    return answers


def answer_text(value) -> str:
    """An answer as one cell or one line of text: lists joined with "; ", booleans as yes/no."""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list):
        return "; ".join(str(v) for v in value)
    return "" if value is None else str(value)


def choice_fields(fields: list[RegistrationField]) -> list[RegistrationField]:
    """The fields whose answers make groups: choices and yes/no boxes (for filters and breakdowns)."""
    return [f for f in fields if f.kind in CHOICE_KINDS or f.kind in ("checkbox", "consent")]
