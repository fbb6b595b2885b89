"""One way to validate a request body, whether a browser form or a JSON API call sent it.

Forms and the API share the pydantic models of each feature: `parse(Model, data)` raises
`wire.InvalidPayload`, whose `fields` map each field name to its messages, so a page shows them
beside the fields (HTTP 400) and the API answers `{"error": {"code": "invalid_request", "message":
..., "details": {"fields": {field: [messages]}}}}` (400), the shape of every validation error.
"""

from __future__ import annotations

from flask import request

from .errors import ServiceError
from .wire import InvalidPayload, ModelT, validate

__all__ = ["InvalidPayload", "form_data", "json_body", "parse"]


def parse(schema: type[ModelT], data: object, *, form: bool = False) -> ModelT:
    """Validate `data` against `schema`, or raise InvalidPayload naming every bad field (`wire.validate`).

    `form=True` for the values of a browser form (`form_data()`): digits count as an id there."""
    return validate(schema, data, form=form)


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
