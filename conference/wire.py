"""The words every edge (HTTP API, browser forms, /live sockets, the JavaScript) uses on the wire.

- `Id`: a database id in a payload: a JSON integer from 1 to MAX_DB_ID. `true`, `"5"`, `5.0`, 0 and
  negatives are refused. A browser form sends text only, so a form reader validates with
  `context=FORM` and a field of digits counts as that number there (and only there).
- `isoformat_utc`: an instant as ISO 8601 in UTC with a `Z` ("2030-03-31T08:00:00Z"); the live room
  feed asks for fixed milliseconds ("2030-03-31T08:00:00.000Z") so that clients may sort the strings.
- One validation error: `field_problems(exc)` = {field: [messages]} (whole-body problems under ""),
  raised as `InvalidPayload` (a ServiceError), whose JSON is
  `{"code": "invalid_request" | "invalid_payload", "message": "field: problem; ...",
  "details": {"fields": {field: [messages]}}}` on HTTP and in a socket's `{"ok": false, "error": ...}`.
  `validate(Schema, data)` is the one way a payload is checked against its model; a browser form
  shows any ServiceError beside its fields through `i18n.messages.page_field_errors(exc)`, in the
  viewer's language.
- `LIMITS`: every size a person or a client can run into (text lengths, counts, durations), stated
  once; schemas and services import the names below, and `client_limits()` is sent to the JavaScript
  (the `data-limits` attribute of every page's body), so no script repeats a number.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any, TypeVar, overload

from pydantic import BaseModel, BeforeValidator, Field, ValidationError, ValidationInfo
from pydantic_core import ErrorDetails

from .db_types import MAX_DB_ID
from .errors import ServiceError

ModelT = TypeVar("ModelT", bound=BaseModel)

# --- ids ---------------------------------------------------------------------------------------

FORM = {"source": "form"}  # validation context of a browser form: every value arrives as text


def _digits_from_a_form(value: Any, info: ValidationInfo) -> Any:
    from_a_form = isinstance(info.context, dict) and info.context.get("source") == "form"
    if from_a_form and isinstance(value, str) and value.strip().isascii() and value.strip().isdigit():
        return int(value.strip())
    return value


Id = Annotated[int, BeforeValidator(_digits_from_a_form), Field(strict=True, gt=0, le=MAX_DB_ID)]

# --- time --------------------------------------------------------------------------------------


@overload
def isoformat_utc(moment: datetime, *, milliseconds: bool = False) -> str: ...
@overload
def isoformat_utc(moment: None, *, milliseconds: bool = False) -> None: ...
def isoformat_utc(moment: datetime | None, *, milliseconds: bool = False) -> str | None:
    """ISO 8601 in UTC with a Z, the form every API and socket promises; None stays None.

    Whole seconds print without a fraction ("…T08:00:00Z"); `milliseconds=True` always prints three
    digits ("…T08:00:00.000Z"), the fixed-width form of the live room feed."""
    if moment is None:
        return None
    if moment.tzinfo is None:
        raise ValueError("naive datetime: every instant in the code base carries its zone")
    text = moment.astimezone(UTC).isoformat(timespec="milliseconds" if milliseconds else "auto")
    return text.replace("+00:00", "Z")


# --- validation errors -------------------------------------------------------------------------


class FieldProblem(ValueError):
    """Raised by a model validator to pin its message on one field (`field`) instead of the model."""

    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field


def _message(error: ErrorDetails) -> str:
    problem = (error.get("ctx") or {}).get("error")
    if isinstance(problem, FieldProblem):
        return str(problem)
    if error["type"] == "extra_forbidden":
        return "unknown field"
    if error["type"] == "missing" or (error["type"] == "string_too_short" and error.get("input") == ""):
        return "This field is required."
    # pydantic prefixes the messages of our own validators with "Value error, ".
    return error["msg"].removeprefix("Value error, ")


def field_problems(exc: ValidationError) -> dict[str, list[str]]:
    """Pydantic's errors as {field: [messages]}: a nested place is named by its path ("links.0.url"),
    a problem of the whole body stands under ""."""
    problems: dict[str, list[str]] = {}
    for error in exc.errors():
        problem = (error.get("ctx") or {}).get("error")
        location = [str(part) for part in error["loc"]]
        if isinstance(problem, FieldProblem):
            location = [problem.field]
        problems.setdefault(".".join(location), []).append(_message(error))
    return problems


def summary(problems: dict[str, list[str]]) -> str:
    """The first problems in one line, for the error's `message`."""
    return "; ".join(
        f"{name}: {messages[0]}" if name else messages[0] for name, messages in list(problems.items())[:3]
    )


class InvalidPayload(ServiceError):
    """A body or payload that does not fit its model; `fields` = {field name: [messages]}.

    `code` is "invalid_request" on HTTP (status 400) and "invalid_payload" on /live."""

    def __init__(self, fields: dict[str, list[str]], *, code: str = "invalid_request"):
        super().__init__(code, summary(fields), fields=fields)
        self.fields = fields


def validate(
    schema: type[ModelT], data: object, *, code: str = "invalid_request", form: bool = False
) -> ModelT:
    """`data` checked against `schema`, or InvalidPayload naming every bad field.

    `form=True` says the values came from a browser form (text only: see `Id`)."""
    if not isinstance(data, dict):
        raise InvalidPayload({"": ["the payload must be a JSON object"]}, code=code)
    try:
        return schema.model_validate(data, context=FORM if form else None)
    except ValidationError as exc:
        raise InvalidPayload(field_problems(exc), code=code) from None


# --- limits ------------------------------------------------------------------------------------

QUESTION_MAX = 500  # characters of a Q&A question
CHAT_MAX = 1000  # characters of a chat message
ANNOUNCEMENT_MAX = 500  # characters of an announcement (a banner in every live room)
POLL_TITLE_MAX = 300
POLL_OPTION_MAX = 200  # characters of one option
POLL_OPTIONS_MIN, POLL_OPTIONS_MAX = 2, 20
POLL_WORD_MAX = 40  # characters of one word-cloud entry
POLL_WORDS_PER_BALLOT = 3  # entries in one word-cloud answer
POLL_TEXT_MAX = 500  # characters of an open answer
POLL_DURATION_MAX_S = 24 * 3600
BREAKOUT_NAME_MAX = 120
BREAKOUT_ROOMS_MAX = 50  # rooms in one round
BREAKOUT_DURATION_MAX_S = 4 * 3600
BREAKOUT_BROADCAST_MAX = 500  # characters of a message to every breakout room
BREAKOUT_CALL_MAX = 300  # characters of a call for a moderator
BADGE_CODE_MAX = 128  # characters of a badge's code; anything longer is not one of ours
SCAN_CODE_MAX = 4096  # characters a scan may send: longer than a badge is invalid_badge, beyond this a 400
GATE_MAX = 80  # characters of a scanner's gate name
CONTENT_TITLE_MAX = 300  # characters of an event's or a session's title (and of each translation)
CONTENT_DESCRIPTION_MAX = 20_000  # characters of an event's or a session's description
PRACTICE_TITLE_MAX = 200  # characters of a matchmaking practice's title

LIMITS: dict[str, int] = {
    "question_max": QUESTION_MAX,
    "chat_max": CHAT_MAX,
    "announcement_max": ANNOUNCEMENT_MAX,
    "poll_title_max": POLL_TITLE_MAX,
    "poll_option_max": POLL_OPTION_MAX,
    "poll_options_min": POLL_OPTIONS_MIN,
    "poll_options_max": POLL_OPTIONS_MAX,
    "poll_word_max": POLL_WORD_MAX,
    "poll_words_per_ballot": POLL_WORDS_PER_BALLOT,
    "poll_text_max": POLL_TEXT_MAX,
    "poll_duration_max_s": POLL_DURATION_MAX_S,
    "breakout_name_max": BREAKOUT_NAME_MAX,
    "breakout_duration_max_s": BREAKOUT_DURATION_MAX_S,
    "breakout_broadcast_max": BREAKOUT_BROADCAST_MAX,
    "breakout_call_max": BREAKOUT_CALL_MAX,
    "badge_code_max": BADGE_CODE_MAX,
    "scan_code_max": SCAN_CODE_MAX,
    "gate_max": GATE_MAX,
    "content_title_max": CONTENT_TITLE_MAX,
    "content_description_max": CONTENT_DESCRIPTION_MAX,
    "practice_title_max": PRACTICE_TITLE_MAX,
}


def client_limits() -> dict[str, int]:
    """The limits the JavaScript needs (a copy: a page may not change the server's)."""
    return dict(LIMITS)
