"""One way to validate a request body, whether a browser form or a JSON API call sent it.

Forms and the API share the pydantic models of each feature: `parse(Model, data)` raises
`InvalidPayload`, whose `fields` map each field name to its messages, so a page shows them beside
the fields (HTTP 400) and the API answers `{"error": {"code": "invalid_request", ...}}` (400).
"""

from __future__ import annotations

from typing import TypeVar

from flask import request
from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from .errors import ServiceError

ModelT = TypeVar("ModelT", bound=BaseModel)


class InvalidPayload(ServiceError):
    """The body does not fit the model; `fields` = {field name: [messages]}."""

    def __init__(self, fields: dict[str, list[str]], message: str | None = None):
        summary = message or "; ".join(
            f"{name or 'body'}: {msgs[0]}" for name, msgs in list(fields.items())[:3]
        )
        super().__init__("invalid_request", summary, fields=sorted(fields))
        self.fields = fields


def _message(error: ErrorDetails) -> str:
    message = error["msg"]
    # pydantic prefixes the messages of our own validators with "Value error, ".
    return message.removeprefix("Value error, ")


def parse(schema: type[ModelT], data: object) -> ModelT:
    """Validate `data` against `schema`, or raise InvalidPayload naming every bad field."""
    if not isinstance(data, dict):
        raise InvalidPayload({"": ["the body must be a JSON object"]})
    try:
        return schema.model_validate(data)
    except ValidationError as exc:
        fields: dict[str, list[str]] = {}
        for error in exc.errors():
            name = ".".join(str(part) for part in error["loc"])
            fields.setdefault(name, []).append(_message(error))
        raise InvalidPayload(fields) from None


def json_body() -> dict:
    """The request's JSON object, or a 400 saying what a client must send."""
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        raise ServiceError("invalid_json", "the body must be a JSON object (Content-Type: application/json)")
    return data


def form_data(*, checkboxes: tuple[str, ...] = ()) -> dict:
    """A browser form as a dict for a pydantic model: blank fields become None (not sent), and
    unchecked checkboxes (which browsers omit) become False."""
    data: dict = {}
    for key, raw in request.form.items():
        if key == "csrf_token":
            continue
        value = raw.strip()
        data[key] = value if value != "" else None
    for name in checkboxes:
        data[name] = name in request.form
    return {k: v for k, v in data.items() if v is not None}
