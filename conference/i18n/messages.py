"""The messages of service errors as a page shows them, in the viewer's language.

A service raises `ServiceError(code, message)`: the API answers the English `message` with its stable
`code` (issue 16: API messages stay English). A page that puts the refusal in front of a person asks
`page_message(exc)`, which looks the code up here and falls back to the English message for a code
not listed. Form pages ask `page_field_errors(exc)`: the rule's message, or each field's validation
messages (the common pydantic ones and our schemas' own) in the viewer's language.
"""

from __future__ import annotations

import re

from flask_babel import lazy_gettext as _l
from flask_babel import ngettext

from ..errors import ServiceError
from ..wire import InvalidPayload

# code → what the person reads; a code whose English message names a value reads a general sentence.
BY_CODE = {
    # board
    "board_closed": _l("The discussion board is closed: it can be read, no longer written."),
    "already_voted": _l("You have already voted for this question."),
    "not_voted": _l("You have not voted for this question."),
    "question_not_found": _l("This question is not on the board."),
    # feedback
    "no_questions": _l("Give at least one rating question."),
    "too_many_questions": _l("There are too many rating questions."),
    "invalid_question": _l("A question is too long."),
    "not_attended": _l("Only people who attended this session give feedback on it."),
    "session_not_over": _l("The survey opens when the session is over."),
    "already_answered": _l("You have already given feedback on this session."),
    "invalid_ratings": _l("Rate every question from 1 to 5."),
    "invalid_rating": _l("Rate every question from 1 to 5."),
    "invalid_comment": _l("The comment is too long."),
    # certificates
    "invalid_percent": _l("The share of sessions is a whole number from 1 to 100."),
    "invalid_sessions": _l("Pick one or more sessions of this event."),
    "invalid_rule": _l("Choose a share of the sessions or a list of sessions."),
    "certificate_revoked": _l("Your certificate for this event was revoked."),
    "not_eligible": _l("Your attendance does not meet this event's rule for a certificate."),
    "already_revoked": _l("This certificate is revoked already."),
    # matchmaking
    "country_required": _l("Choose the country."),
    "not_your_country": _l("You express interest on behalf of your own country."),
    "own_country": _l("This practice is your own country's."),
    "interest_not_found": _l("You have not expressed interest in this practice."),
    "owner_not_found": _l("No account has that e-mail address."),
    "track_not_found": _l("No such thematic area in this event."),
    "session_not_found": _l("No such session in this event."),
    "invalid_transition": _l("The possibility cannot move to that status from its current one."),
    "status_changed": _l("Someone changed this possibility's status a moment ago: reload the page."),
    "nothing_to_do": _l("Choose a new status or write a note."),
    "in_the_past": _l("Choose a time that has not passed yet."),
    "meeting_changed": _l("This meeting changed since you saw it: look again."),
    "meeting_not_open": _l("This meeting is closed already."),
    "meeting_not_pending": _l("This meeting is answered already."),
    "not_open_to_meetings": _l("This person does not take meeting requests."),
    "not_your_turn": _l("The other person has to answer first."),
    "own_meeting": _l("You cannot ask yourself for a meeting."),
    "person_not_found": _l("This person does not take part in the event."),
    "slot_taken": _l("One of you already has a meeting at that time: propose another time."),
    "not_registered": _l("Register for the event first."),
}

# Validation messages of our schemas and of pydantic, in English → in the viewer's language.
BY_TEXT = {
    "This field is required.": _l("This field is required."),
    "unknown field": _l("This field is not expected here."),
    "give an address starting with https:// (or http://)": _l(
        "Give an address starting with https:// (or http://)."
    ),
    "contains a NUL character": _l("The text contains a character that is not allowed."),
    "give the practice a title": _l("Give the practice a title."),
    "choose a new status or write a note": _l("Choose a new status or write a note."),
    "not a session id": _l("Choose a session from the list."),
    "choose a date between 1970 and 2200": _l("Choose a date between 1970 and 2200."),
    "meetings start on a multiple of five minutes (10:00, 10:05, ...)": _l(
        "Meetings start on a multiple of five minutes (10:00, 10:05, ...)."
    ),
    "say where to meet": _l("Say where to meet."),
    "give the link of the online meeting": _l("Give the link of the online meeting."),
}
TOO_LONG = re.compile(r"String should have at most (\d+) characters?")
OUT_OF_RANGE = re.compile(r"Input should be (?:greater|less) than or equal to (\d+)")


def page_message(exc: ServiceError) -> str:
    """The refusal as the page shows it: translated by its code, else the service's English message."""
    found = BY_CODE.get(exc.code)
    return str(found) if found is not None else exc.message


def field_message(text: str) -> str:
    """One validation message in the viewer's language (as given when it is not one we know)."""
    found = BY_TEXT.get(text)
    if found is not None:
        return str(found)
    if match := TOO_LONG.fullmatch(text):
        limit = int(match.group(1))
        return ngettext("At most %(num)s character.", "At most %(num)s characters.", limit)
    if OUT_OF_RANGE.fullmatch(text) or text.startswith("Input should be a valid"):
        return str(_l("This value is not valid here."))
    return text


def page_field_errors(exc: ServiceError) -> dict[str, list[str]]:
    """{field: [messages]} for a form page: a validation error's problems, or the rule's message beside
    the field it names (above the form when it names none), in the viewer's language."""
    if isinstance(exc, InvalidPayload):
        return {name: [field_message(m) for m in messages] for name, messages in exc.fields.items()}
    return {exc.details.get("field", ""): [page_message(exc)]}
