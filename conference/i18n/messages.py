"""The messages of service errors as a page shows them, in the viewer's language.

A service raises `ServiceError(code, message)`: the API answers the English `message` with its stable
`code` (issue 16: API messages stay English). A page that puts the refusal in front of a person asks
`page_message(exc)`, which looks the code up here and falls back to the English message for a code
not listed (tests/i18n/test_error_codes.py fails when a code raised in the package is missing here).
Form pages ask `page_field_errors(exc)`: the rule's message, or each field's validation messages (the
common pydantic ones and our schemas' own) in the viewer's language; `page_form_errors(exc)` gives the
back-office forms' one message a field.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

from flask_babel import LazyString, format_decimal, ngettext
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from werkzeug.exceptions import HTTPException

from ..errors import ServiceError
from ..wire import InvalidPayload

# The refusals whose sentence names the values the error carries in its details (one function each;
# without the details, as from an older caller, they read the general sentence).
#
# `@names(...)` tells the live pages' JavaScript how to say them too (i18n/jscatalogue.py): each form
# is the detail keys a sentence needs, and `count` the detail (a whole number) that picks the plural
# form. The catalogue runs the function itself with stand-ins ("%(key)s") for those details, so the
# JavaScript receives the same translated sentence with placeholders it fills from `error.details`.
# A function without `@names` gives the JavaScript its general sentence only.
DetailsMessage = Callable[[Mapping[str, Any]], str]


def names(*forms: tuple[str, ...], count: str | None = None) -> Callable[[DetailsMessage], DetailsMessage]:
    """Declare the detail keys each of a message function's sentences uses (most specific first)."""

    def mark(function: DetailsMessage) -> DetailsMessage:
        function.forms = forms  # type: ignore[attr-defined]
        function.count = count  # type: ignore[attr-defined]
        return function

    return mark


@names(("retry_after",), count="retry_after")
def _too_many_attempts(details: Mapping[str, Any]) -> str:
    seconds = details.get("retry_after")
    if not isinstance(seconds, int):
        return _(
            "Too many failed sign-ins for this account or from this network. Wait a few minutes and try "
            "again, or e-mail yourself a sign-in link."
        )
    return ngettext(
        "Too many failed sign-ins for this account or from this network. Please wait %(num)s second and "
        "try again, or e-mail yourself a sign-in link.",
        "Too many failed sign-ins for this account or from this network. Please wait %(num)s seconds and "
        "try again, or e-mail yourself a sign-in link.",
        seconds,
    )


@names(("inside_now",), count="inside_now")
def _capacity_below_inside(details: Mapping[str, Any]) -> str:
    inside = details.get("inside_now")
    if not isinstance(inside, int):
        return _("More people are inside now than this capacity: it cannot be lower than that.")
    return ngettext(
        "%(num)s person is inside now: the capacity cannot be lower than that.",
        "%(num)s people are inside now: the capacity cannot be lower than that.",
        inside,
    )


@names(("first_day", "last_day"))
def _day_outside_event(details: Mapping[str, Any]) -> str:
    if "first_day" in details and "last_day" in details:
        return _(
            "Choose a day of the event, from %(first)s to %(last)s.",
            first=details["first_day"],
            last=details["last_day"],
        )
    return _("Choose a day of the event.")


@names(("key",))
def _duplicate_key(details: Mapping[str, Any]) -> str:
    if "key" in details:
        return _("This form already has a field with the key “%(key)s”.", key=details["key"])
    return _("This form already has a field with this key.")


@names(("name",))
def _name_taken(details: Mapping[str, Any]) -> str:
    if "name" in details:
        return _("This event already has a list called “%(name)s”.", name=details["name"])
    return _("This event already has a list of that name.")


@names(("room", "taken_by", "when"))
def _room_taken(details: Mapping[str, Any]) -> str:
    if {"room", "taken_by", "when"} <= details.keys():
        return _(
            "%(room)s is taken then by “%(title)s” (%(when)s).",
            room=details["room"],
            title=details["taken_by"],
            when=details["when"],
        )
    return _("This room is taken at that time by another session.")


def _session_has_records(details: Mapping[str, Any]) -> str:
    words = {
        "poll votes": _("poll votes"),
        "questions": _("questions"),
        "chat messages": _("chat messages"),
        "check-ins": _("check-ins"),
        "room visits": _("room visits"),
        "breakout rounds": _("breakout rounds"),
    }
    records = details.get("records")
    if not isinstance(records, list) or not records:
        return _("This session cannot be deleted: it already has questions, polls or attendance.")
    return _(
        "This session cannot be deleted: it already has %(records)s.",
        records=", ".join(words.get(str(record), str(record)) for record in records),
    )


def _mode_not_offered(details: Mapping[str, Any]) -> str:
    offered = details.get("offered")
    if offered == "in_person":
        return _("This event takes part in person only.")
    if offered == "online":
        return _("This event takes part online only.")
    return _("This event does not offer that way of taking part.")


def _file_too_large(details: Mapping[str, Any]) -> str:
    limit = details.get("limit_bytes")
    if not isinstance(limit, int):
        return _("The file is larger than the limit.")
    megabytes = limit / (1024 * 1024)
    size = format_decimal(round(megabytes) if megabytes >= 10 else round(megabytes, 1))
    return _("The file is larger than the limit of %(size)s MB.", size=size)


@names(("line", "column"), ("byte",))
def _invalid_json(details: Mapping[str, Any]) -> str:
    if "line" in details and "column" in details:
        return _(
            "This is not valid JSON: see line %(line)s, column %(column)s.",
            line=details["line"],
            column=details["column"],
        )
    if "byte" in details:
        return _("The file is not UTF-8 text (byte %(byte)s).", byte=details["byte"])
    return _("This is not a valid JSON document.")


def _type_not_allowed(details: Mapping[str, Any]) -> str:
    if "extension" in details and "accepted" in details:
        return _(
            "Files ending in .%(extension)s are not accepted; accepted: %(accepted)s.",
            extension=details["extension"] or "?",
            accepted=details["accepted"],
        )
    return _("Files of this type are not accepted.")


@names(("extension", "expected"))
def _extension_mismatch(details: Mapping[str, Any]) -> str:
    if "extension" in details and "expected" in details:
        return _(
            "The file's name ends in .%(extension)s but its content says otherwise: name it .%(expected)s.",
            extension=details["extension"],
            expected=details["expected"],
        )
    return _("The file's name does not match its content: rename it and upload it again.")


# code → what the person reads: a sentence, or a function of the error's details for a sentence that
# names values; a code whose English message names a value it does not carry reads a general sentence.
BY_CODE: dict[str, LazyString | Callable[[Mapping[str, Any]], str]] = {
    # board
    "board_closed": _l("The discussion board is closed: it can be read, no longer written."),
    "already_voted": _l("You have already voted."),
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
    # accounts
    "email_taken": _l("An account with this e-mail address exists already: sign in instead."),
    "invalid_email": _l("This is not a valid e-mail address."),
    "invalid_name": _l("Give a name of 1 to 200 characters, without control characters."),
    "invalid_country": _l("Choose a country from the list."),
    "invalid_role": _l("Choose one of the roles offered."),
    "invalid_expiry": _l("The expiry must be in the future."),
    "invalid_scope": _l("Choose one or more of the scopes offered."),
    "token_not_found": _l("This token does not exist (any more)."),
    "weak_password": _l("This password is too short: choose a longer one."),
    "wrong_password": _l("Your current password is not that."),
    "password_required": _l("Choose a new password."),
    "expired_link": _l("This link has expired: ask for a new one."),
    "used_link": _l("This link was already used: each link signs in once. Ask for a new one."),
    "unknown_link": _l("This link is not one of ours, or it was mistyped."),
    "too_many_attempts": _too_many_attempts,
    "busy": _l("Too many people are doing this at the same moment: try again in a moment."),
    "unauthenticated": _l("Your sign-in has ended: please sign in again."),
    "unauthorized": _l("Sign in first."),
    "forbidden": _l("You are not allowed to do this here."),
    "unknown_language": _l("This language is not one the site offers."),
    "unknown_user": _l("No account has this e-mail address: ask the person to sign up first."),
    "user_not_found": _l("No account has this e-mail address: ask the person to sign up first."),
    "grant_not_found": _l("No such role at this event."),
    # requests
    "invalid_request": _l("Some values are not valid: check them and send again."),
    "invalid_payload": _l("Some values are not valid: check them and send again."),
    "invalid_json": _invalid_json,
    "invalid_characters": _l("The text contains a character that is not allowed."),
    "rate_limited": _l("Slow down: too many actions in a short time. Try again in a moment."),
    "csrf_failed": _l("This page has expired: reload it and try again."),
    "database_unavailable": _l("The server cannot reach its database now: try again in a moment."),
    "internal_error": _l("Something went wrong on the server: nothing was changed. Try again in a moment."),
    "bad_host": _l("This site does not answer to that address."),
    "token_not_allowed": _l("An API token cannot do this: use the website."),
    "insufficient_scope": _l(
        "This device's token is not allowed to do this: ask the organisers for one that is."
    ),
    # the live connection (realtime.py, socket_edges.py, and static/js/live-connection.js's own two)
    "storage_failed": _l("The server could not save this: nothing was changed. Try again."),
    "unknown_event": _l("This page is out of date: reload it."),
    "invalid_event": _l("This page sent something the server does not understand: reload it."),
    "payload_too_large": _l("This is too large to send."),
    "timeout": _l("The server did not answer in time: check the connection and try again."),
    "no_reply": _l("The server gave no answer: try again."),
    "server_busy": _l("Many people are joining at this moment: try again in a few seconds."),
    "disconnected": _l(
        "The connection closed while you were joining: the page joins again when it reconnects."
    ),
    # the scanner's API, whose refusals the scanner page shows
    "batch_too_large": _l("Too many scans were sent at once: sync again."),
    "scan_id_reused": _l("This scan was already sent with other details: scan the badge again."),
    "invalid_scanned_at": _l("The scan's time is not valid: check this device's clock."),
    "invalid_direction": _l("Choose entry or exit."),
    "scan_not_found": _l("There is no accepted scan to undo."),
    # programme
    "event_not_found": _l("No such event."),
    "speaker_not_found": _l("No such speaker in this event."),
    "slug_taken": _l("Another event already uses this address."),
    "sessions_outside_event": _l("A session would fall outside the event's dates: move it first."),
    "track_exists": _l("This event already has a track of that name."),
    "track_not_in_event": _l("This track is not one of this event's."),
    "outside_event": _l("Choose a time within the event's dates."),
    "parent_not_in_event": _l("The parent session must belong to this event."),
    "parent_is_breakout": _l("A breakout cannot contain breakouts of its own."),
    "room_taken": _room_taken,
    "invalid_schedule": _l("The programme file has problems: nothing was imported."),
    "event_published": _l("Unpublish the event before deleting it."),
    "event_has_registrations": _l("People have registered for this event: it cannot be deleted."),
    "session_has_breakouts": _l("Delete or move this session's breakouts first."),
    "session_has_records": _session_has_records,
    "session_not_in_event": _l("Choose a session of this event."),
    "schedule_conflict": _l("The programme changed while importing: try again."),
    # interpretation
    "channel_not_found": _l("This session has no such channel."),
    "channel_exists": _l("This session already has a channel in this language."),
    "floor_exists": _l("This session already has a floor channel."),
    "floor_always_live": _l("The floor is the session's own stream: it is live while the session runs."),
    # registrations
    "registration_not_open": _l("Registration for this event has not opened yet."),
    "registration_closed": _l("Registration for this event is closed."),
    "already_registered": _l("You are already registered for this event."),
    "registration_declined": _l("The organisers declined this registration."),
    "registration_conflict": _l("Someone changed this registration at the same time: try again."),
    "registration_not_found": _l("This event has no such registration."),
    "in_person_full": _l("The in-person places are all taken."),
    "online_full": _l("The online places are all taken."),
    "mode_not_offered": _mode_not_offered,
    "invalid_mode": _l("Choose how you take part: in person or online."),
    "not_pending": _l("Only a pending registration can be approved or declined."),
    "not_confirmed": _l("Only confirmed participants can be invited."),
    "invalid_answers": _l("Some answers of the form are not valid: check them and send again."),
    "duplicate_key": _duplicate_key,
    "no_such_field": _l("This event has no such registration field."),
    "unknown_preset": _l("No such ready-made field."),
    "unknown_field": _l("This event has no such choice or yes/no field."),
    "bad_rows": _l("Some rows of the list cannot be imported: nothing was imported."),
    "conflict": _l("The list conflicts with data saved meanwhile: nothing was imported. Try again."),
    "plan_changed": _l("The participants changed since the preview: check the new preview."),
    "no_file": _l("Choose a file to upload."),
    "not_csv": _l("This is not a CSV text file."),
    "not_utf8": _l("The file is not UTF-8 text: save it as “CSV UTF-8” and upload it again."),
    "file_too_large": _file_too_large,
    # documents
    "document_not_found": _l("No such document in this event."),
    "document_missing": _l("This document's file is missing: tell the organisers."),
    "empty_file": _l("The file is empty."),
    "type_not_allowed": _type_not_allowed,
    "content_not_allowed": _l("The file's content is not a PDF, Office document or image we accept."),
    "extension_mismatch": _extension_mismatch,
    # check-in
    "invalid_badge": _l("This code is not a valid badge of this event."),
    "list_not_found": _l("No such check-in list in this event."),
    "list_in_use": _l(
        "People were already scanned on this list: it can no longer change this way (create another list instead)."
    ),
    "name_taken": _name_taken,
    "door_name_taken": _l("Another check-in list of this event already has this door's name."),
    "day_required": _l("A day list needs its day."),
    "day_outside_event": _day_outside_event,
    "session_required": _l("A session list needs its session."),
    "capacity_below_inside": _capacity_below_inside,
    "already_undone": _l("This scan was already undone."),
    # attendance
    "invalid_grace": _l("The grace period cannot be negative."),
    "invalid_step": _l("The step must be 5, 10, 15, 30 or 60 minutes."),
    # certificates
    "certificate_not_found": _l("No such certificate in this event."),
    "code_collision": _l("No free certificate code was found: try again."),
    "certificate_font_missing": _l("Certificates cannot be made on this server now: tell the organisers."),
    # rooms
    "room_closed": _l("This room is closed: questions, votes and chat are over."),
    "message_not_found": _l("This chat message does not exist (any more)."),
    "already_deleted": _l("This message was already deleted."),
    "empty_text": _l("Write something first."),
    "text_too_long": _l("The text is too long."),
    "invalid_text": _l("The text contains a character that is not allowed."),
    "invalid_action": _l("This action is not possible on this question now."),
    "not_pinned": _l("This question is not pinned."),
    "announcement_not_found": _l("No such announcement."),
    "already_withdrawn": _l("This announcement was already withdrawn."),
    "join_in_progress": _l("You are already joining: try again in a moment."),
    "invalid_translations": _l("The translations are not valid: check the languages and lengths."),
    # polls
    "poll_not_found": _l("No such poll in this session."),
    "poll_closed": _l("This poll is closed."),
    "poll_not_open": _l("This poll is not open."),
    "poll_open": _l("Close the poll before deleting it."),
    "not_a_draft": _l("This poll has been opened already: only a draft can be changed."),
    "title_required": _l("Give the poll a question or title."),
    "title_too_long": _l("The poll's title is too long."),
    "invalid_kind": _l("Choose one of the kinds of poll."),
    "invalid_results": _l("Choose when the results are shown."),
    "invalid_duration": _l("The duration is not possible: choose a shorter one."),
    "invalid_options": _l("Give enough options, none of them empty."),
    "option_too_long": _l("An option is too long."),
    "duplicate_options": _l("Two options have the same text."),
    "options_not_allowed": _l("This kind of poll has no options."),
    "scale_not_allowed": _l("Only rating polls have a scale."),
    "invalid_scale": _l("The rating scale is 5 or 10."),
    "max_choices_not_allowed": _l("Only multiple-choice polls let people choose several options."),
    "invalid_max_choices": _l("The number of choices must be between 1 and the number of options."),
    "invalid_answer": _l("This answer does not fit the poll."),
    "invalid_choices": _l("Choose at least one option, each at most once."),
    "too_many_choices": _l("You chose too many options."),
    "unknown_option": _l("That option is not part of this poll."),
    "rating_out_of_range": _l("The rating is not on the poll's scale."),
    "empty_answer": _l("Write an answer first."),
    "too_many_words": _l("You sent too many words."),
    "word_too_long": _l("A word is too long."),
    # breakouts
    "round_not_found": _l("No such breakout round."),
    "room_not_found": _l("This breakout room is not part of this round."),
    "round_already_open": _l("This session already has a breakout round: recall it first."),
    "round_closed": _l("This breakout round is over."),
    "round_not_running": _l("No breakout round is running."),
    "already_running": _l("This breakout round is already running."),
    "round_changed": _l("The round ended or was extended meanwhile: look again."),
    "nested_breakout": _l("A breakout room cannot be split into breakouts."),
    "no_rooms": _l("List the breakout rooms to create."),
    "invalid_room": _l("Every breakout room needs a name."),
    "duplicate_room_name": _l("Two breakout rooms have the same name."),
    "invalid_capacity": _l("A breakout room's capacity must be at least 1."),
    "duplicate_user": _l("A person appears twice in the list."),
    "invalid_balance": _l("Choose how to balance the rooms from the options offered."),
    "assignment_changed": _l("Someone changed the rooms at the same time: try again."),
    "room_required": _l("Choose a breakout room."),
    "not_assigned": _l(
        "You have no breakout room yet: choose one, or wait for the moderators to assign you."
    ),
    "assigned_elsewhere": _l("The moderators assigned you to another room."),
    "room_full": _l("This room is full: choose another room."),
    "not_in_this_breakout": _l("This breakout is running: choose a room, or wait to be assigned."),
    "empty_message": _l("Write a message first."),
    "message_too_long": _l("The message is too long."),
    "not_a_breakout": _l("Call a moderator from inside a breakout room."),
    "not_in_breakout": _l("Only the people in this breakout can call a moderator from it."),
    "too_soon": _l("A moderator has been called: please wait a little."),
    # calls
    "no_call": _l("This room has no call: calls are held in breakout rooms and interactive sessions."),
    "not_in_room": _l("Enter the room before joining its call."),
    "call_locked": _l("A moderator locked this call: nobody new can join now."),
    "call_full": _l("This call is full."),
    "audio_only": _l("This call is audio only: it has too many people for cameras."),
    "video_full": _l("All cameras are on already: you can still speak, and turn yours on when one goes off."),
    "not_in_call": _l("Join the call first."),
    "member_not_found": _l("That person is not in this call (any more)."),
    "meeting_not_found": _l("No such meeting."),
    "not_a_party": _l("Only the two people of a meeting can join its call."),
    "meeting_not_accepted": _l("Only an accepted meeting has a call."),
    "meeting_call_closed": _l(
        "The meeting's call opens shortly before the meeting and closes shortly after it."
    ),
    "sfu_unavailable": _l("The call server cannot be reached now: try again in a moment."),
    # matchmaking
    "practice_not_found": _l("No such practice in this event."),
    "possibility_not_found": _l("No such partnership possibility in this event."),
    "country_is_interested": _l(
        "That country has expressed interest in this practice: it cannot also share it."
    ),
    "invalid_filter": _l("This filter is not valid: choose from the list."),
    "unknown_action": _l("No such action on a meeting."),
    # check-in pages
    "not_checkin_staff": _l(
        "Only this event's check-in staff, its organisers and admins may open this page."
    ),
    "badge_void": _l("This registration was cancelled: its badge is void."),
    "admins_only": _l("Only administrators may open this page."),
    # HTTP errors that no rule of ours raised (werkzeug's, by name: see http_page_message)
    "bad_request": _l("This request could not be understood: reload the page and try again."),
    "not_found": _l("There is nothing at this address: check it, or start again from the events."),
    "method_not_allowed": _l("This address does not take that kind of request."),
    "gone": _l("This is no longer available."),
    "request_entity_too_large": _l("What you sent is too large."),
    "unsupported_media_type": _l("This kind of content is not accepted here."),
    "too_many_requests": _l("Too many requests in a short time: wait a moment and try again."),
    "internal_server_error": _l("Something went wrong on our side: try again in a moment."),
}


# Werkzeug names its errors in English ("Not Found"); the JSON answers carry that name as their code.
def http_error_code(exc: HTTPException) -> str:
    """The stable code of an HTTP error that no service raised, e.g. `not_found`."""
    return (exc.name or "error").lower().replace(" ", "_")


def http_page_message(exc: HTTPException) -> str:
    """What a page says for an HTTP error: the sentence given where it was raised, else (werkzeug's
    own English description) the viewer's-language sentence for its code."""
    if exc.description and exc.description != type(exc).description:
        return str(exc.description)
    found = BY_CODE.get(http_error_code(exc))
    return str(found) if isinstance(found, LazyString) else str(exc.description or exc.name)


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
    # the registration form's questions (registrations/fields.py)
    "answer yes or no": _l("Answer yes or no."),
    "You must agree to take part.": _l("You must agree to take part."),
    "Tick this box.": _l("Tick this box."),
    "Choose at least one.": _l("Choose at least one."),
    # the back-office forms' own checks (programme, check-in, documents, interpretation)
    "this is not an e-mail address": _l("This is not a valid e-mail address."),
    "the stream address must start with https://": _l("The stream address must start with https://."),
    "this address is reserved; choose another": _l("This address is reserved: choose another."),
    "name at least one language": _l("Name at least one language."),
    "unknown session": _l("Choose a session from the list."),
    "give the list a name": _l("Give the list a name."),
    "the time lies outside the years 2000-2200": _l("Choose a time between the years 2000 and 2200."),
    "give the document a title": _l("Give the document a title."),
    "the language must be a language code such as ar or fr": _l("Choose a language from the list."),
    "give the channel's stream address": _l("Give the channel's stream address."),
    # the programme's refusals pinned to a field under the general code "invalid_request"
    "the event must end after it starts": _l("The event must end after it starts."),
    "registration must close after it opens": _l("Registration must close after it opens."),
    "the session must end after it starts": _l("The session must end after it starts."),
}
TOO_LONG = re.compile(r"String should have at most (\d+) characters?|(\d+) characters at most")
TOO_SHORT = re.compile(r"String should have at least (\d+) characters?")
OUT_OF_RANGE = re.compile(r"Input should be (?:greater|less) than or equal to (\d+)")
NOT_A_CHOICE = re.compile(r"'(.*)' is not one of the choices", re.S)
SPOOFING = re.compile(r"a name may not contain invisible or direction-changing characters \((U\+[0-9A-F]+)\)")
SHORT_PASSWORD = re.compile(r"a password needs at least (\d+) characters")
NOT_A_COUNTRY = re.compile(r"'.*' is not an ISO 3166-1 alpha-2 country code", re.S)


def page_message(exc: ServiceError) -> str:
    """The refusal as the page shows it: its message when we know that very sentence (a field's rule
    under the general "invalid_request", a name's refused character...), else translated by its code,
    else the service's English."""
    known = field_message(exc.message)
    if known != exc.message:
        return known
    found = BY_CODE.get(exc.code)
    if found is None:
        return exc.message
    return str(found) if isinstance(found, LazyString) else found(exc.details)


def field_message(text: str) -> str:
    """One validation message in the viewer's language (as given when it is not one we know)."""
    found = BY_TEXT.get(text)
    if found is not None:
        return str(found)
    if match := TOO_LONG.fullmatch(text):
        limit = int(match.group(1) or match.group(2))
        return ngettext("At most %(num)s character.", "At most %(num)s characters.", limit)
    if match := TOO_SHORT.fullmatch(text):
        least = int(match.group(1))
        return ngettext("At least %(num)s character.", "At least %(num)s characters.", least)
    if match := NOT_A_CHOICE.fullmatch(text):
        return _("“%(value)s” is not one of the choices.", value=match.group(1))
    if match := SPOOFING.fullmatch(text):
        return _(
            "A name may not contain invisible or direction-changing characters (%(character)s).",
            character=match.group(1),
        )
    if match := SHORT_PASSWORD.fullmatch(text):
        least = int(match.group(1))
        return ngettext(
            "A password needs at least %(num)s character.",
            "A password needs at least %(num)s characters.",
            least,
        )
    if NOT_A_COUNTRY.fullmatch(text):
        return str(_l("Choose a country from the list."))
    if OUT_OF_RANGE.fullmatch(text) or text.startswith("Input should be a valid"):
        return str(_l("This value is not valid here."))
    return text


def page_field_errors(exc: ServiceError) -> dict[str, list[str]]:
    """{field: [messages]} for a form page: a validation error's problems, or the rule's message beside
    the field it names (above the form when it names none), in the viewer's language."""
    if isinstance(exc, InvalidPayload):
        return {name: [field_message(m) for m in messages] for name, messages in exc.fields.items()}
    if fields := exc.details.get("fields"):  # a rule pinned to fields, {field: message or [messages]}
        return {name: [_field_text(exc, text) for text in _as_list(texts)] for name, texts in fields.items()}
    return {exc.details.get("field", ""): [page_message(exc)]}


def page_form_errors(exc: ServiceError) -> dict[str, str]:
    """{field: message} for the back-office forms that show one message a field (`_form` above the form)."""
    return {name or "_form": messages[0] for name, messages in page_field_errors(exc).items() if messages}


def _as_list(texts: object) -> list[str]:
    return [str(t) for t in texts] if isinstance(texts, list | tuple) else [str(texts)]


def _field_text(exc: ServiceError, text: str) -> str:
    """A field's message: the rule's own (translated by its code) or a validation message."""
    return page_message(exc) if text == exc.message else field_message(text)
