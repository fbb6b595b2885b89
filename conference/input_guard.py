"""Input that no handler can use, refused once at the edge with a 4xx instead of a 500 deep inside.

- JSON: every `request.get_json()` of the app goes through `SafeJSONProvider.loads`; a document nested
  too deep for the parser (`[[[[...` 50,000 levels) is a 400 `invalid_json`, not a RecursionError.
- NUL characters: PostgreSQL text cannot hold them, so a NUL in the path, the query string or a form
  field is a 400 `invalid_characters` before any handler runs (on SQLite too, so both behave alike);
  one that still reaches the database (inside a JSON body or a multipart field) is turned into the
  same 400 by an error handler instead of the driver's DataError.
"""

from __future__ import annotations

import logging

from flask import Flask, request
from flask.json.provider import DefaultJSONProvider
from sqlalchemy.exc import DataError

from .errors import ServiceError

log = logging.getLogger(__name__)

NUL = "\x00"


class InvalidCharacters(ServiceError):
    def __init__(self, where: str):
        super().__init__("invalid_characters", f"{where} contains a NUL character, which is never valid")


class SafeJSONProvider(DefaultJSONProvider):
    """Flask's JSON, with a clear 400 for a document nested too deep to parse."""

    def loads(self, s, **kwargs):
        try:
            return super().loads(s, **kwargs)
        except RecursionError:
            raise ServiceError("invalid_json", "the JSON body is nested too deeply") from None


def _has_nul(values) -> bool:
    return any(NUL in key or any(NUL in value for value in values.getlist(key)) for key in values)


def refuse_nul_characters() -> None:
    """Before every request: no NUL in the path, the query string, or an urlencoded form.

    Multipart bodies are not parsed here (an upload view sets its own size limit before parsing);
    their fields are covered by the database error handler below."""
    if NUL in request.path:
        raise InvalidCharacters("the address")
    if _has_nul(request.args):
        raise InvalidCharacters("the query string")
    if request.mimetype == "application/x-www-form-urlencoded" and _has_nul(request.form):
        raise InvalidCharacters("a form field")


def _database_refused_text(exc: DataError):
    """PostgreSQL refused a NUL character that came in some other way: the client's fault, a 400.
    Any other DataError is what it was: an unexpected error."""
    from . import web

    if "NUL" not in str(exc.orig):
        return web._unexpected_error(exc)

    log.info("refused a NUL character on %s %s", request.method, request.path)
    return web._service_error(InvalidCharacters("the request"))


def init_app(app: Flask) -> None:
    app.json = SafeJSONProvider(app)
    # First of all before_request functions: nothing else reads a value with a NUL in it.
    app.before_request_funcs.setdefault(None, []).insert(0, refuse_nul_characters)
    app.register_error_handler(DataError, _database_refused_text)
