"""Payloads of the registration back-office, validated at the edge; the forms and the JSON API share them.

`form_payload()` turns a browser form (a MultiDict) into the same dict a JSON client would send, so
one pydantic model decides for both; `wire.field_problems()` turns its errors into messages per field.
"""

from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    field_validator,
    model_validator,
)

from ..accounts.services import normalise_email
from ..countries import normalise_country
from ..errors import ServiceError
from ..names import check_name
from ..wire import FieldProblem
from .models import CHOICE_KINDS, FIELD_KINDS, MODES

KEY_RE = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
# The core columns of a registration: a form field may not take one of these names.
RESERVED_KEYS = frozenset(
    {"email", "name", "organisation", "country", "mode", "status", "registered_at", "user_id", "id"}
)

Line = Annotated[str, StringConstraints(strip_whitespace=True, max_length=200)]
FieldKindName = Literal[FIELD_KINDS]  # type: ignore[valid-type]  # built at run time from the values; mypy sees Any
ModeName = Literal[MODES]  # type: ignore[valid-type]  # built at run time from the values; mypy sees Any
InvitationChoice = Literal["now", "later", "none"]
INVITATION_LABELS = {
    "now": "Send invitations now",
    "later": "Send invitations later, from this list",
    "none": "Do not send invitations",
}


class Payload(BaseModel):
    model_config = ConfigDict(extra="ignore", str_strip_whitespace=True)


def key_from_label(label: str) -> str:
    """A field key from its label: "Dietary needs" -> "dietary_needs"."""
    key = re.sub(r"[^a-z0-9]+", "_", label.lower()).strip("_")
    if not key or not key[0].isalpha():
        key = f"field_{key}".rstrip("_")
    return key[:40].rstrip("_")


class FieldDefinition(Payload):
    """One question of the registration form, as an organiser defines it."""

    label: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
    key: Annotated[str, StringConstraints(strip_whitespace=True, max_length=40)] = ""
    kind: FieldKindName = "text"
    choices: list[Line] = Field(default_factory=list, max_length=100)
    required: bool = False
    help_text: Annotated[str, StringConstraints(strip_whitespace=True, max_length=1000)] = ""
    notice: Annotated[str, StringConstraints(strip_whitespace=True, max_length=10000)] = ""

    @field_validator("choices", mode="before")
    @classmethod
    def _lines(cls, value):
        if isinstance(value, str):  # the form's textarea: one choice per line
            value = value.splitlines()
        if isinstance(value, list):
            return [v for v in value if not isinstance(v, str) or v.strip()]
        return value

    @model_validator(mode="after")
    def _consistent(self):
        if not self.key:
            self.key = key_from_label(self.label)
        elif not KEY_RE.match(self.key):
            raise _field_error(
                "key", "use lower-case letters, digits and _, starting with a letter (40 at most)"
            )
        if self.key in RESERVED_KEYS:
            raise _field_error("key", f"{self.key!r} is a built-in column; choose another key")
        if self.kind in CHOICE_KINDS:
            if not self.choices:
                raise _field_error("choices", "list the choices, one per line")
            folded = [c.casefold() for c in self.choices]
            if len(set(folded)) != len(folded):
                raise _field_error("choices", "each choice may appear only once")
        else:
            self.choices = []
        if self.kind == "consent" and not self.notice:
            raise _field_error("notice", "write the privacy notice people consent to")
        return self


def _field_error(field: str, message: str) -> ValueError:
    return FieldProblem(field, message)


class ParticipantIn(Payload):
    """One participant added by an organiser (the account is created when the e-mail is new)."""

    email: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=254)]
    name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
    organisation: Line = ""
    country: Annotated[str, StringConstraints(strip_whitespace=True, max_length=60)] = ""
    mode: ModeName
    invitations: InvitationChoice = "none"

    @field_validator("email")
    @classmethod
    def _email(cls, value: str) -> str:
        try:
            return normalise_email(value)
        except ServiceError as exc:
            raise ValueError(exc.message) from None

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        problem = check_name(value)
        if problem:
            raise ValueError(problem)
        return value

    @field_validator("country")
    @classmethod
    def _country(cls, value: str) -> str:
        return normalise_country(value) or ""


class ParticipantAdd(ParticipantIn):
    """The API's add: a participant and their answers to the event's questions, by field key."""

    answers: dict[str, str | bool | list[str]] = Field(default_factory=dict, max_length=100)


class ImportRequest(Payload):
    """The API's CSV import: `dry_run` returns the plan (the preview) and writes nothing."""

    csv_text: Annotated[str, StringConstraints(min_length=1, max_length=5_000_000)]
    dry_run: bool = False
    preview_digest: Annotated[str, StringConstraints(max_length=64)] = ""
    invitations: InvitationChoice = "none"


class ModeChange(Payload):
    mode: ModeName


class ImportConfirm(Payload):
    """The confirm step of a CSV upload: the file's text again, and the preview it was shown."""

    csv_text: Annotated[str, StringConstraints(min_length=1, max_length=5_000_000)]
    preview_digest: Annotated[str, StringConstraints(max_length=64)] = ""
    invitations: InvitationChoice = "none"


def form_payload(form, *, lists: tuple[str, ...] = (), booleans: tuple[str, ...] = ()) -> dict:
    """A browser form as the dict a JSON client would send: lists for multi-valued, booleans for checkboxes."""
    data: dict = {}
    for name in form:
        if name == "csrf_token":
            continue
        data[name] = form.getlist(name) if name in lists else form.get(name)
    for name in booleans:
        data[name] = form.get(name) in ("on", "yes", "true", "1")
    return data
