"""CSV header rows in the language of the organiser who downloads the file.

Every export names its columns by a stable machine key ("session_id", "country_name"). English files
keep those keys as their header row (scripts and the participant import read them); in the other
languages the header row carries each key's heading in that language ("معرّف الجلسة"). Whoever wants
the keys in every language adds `?headers=keys` to the export's URL. The participant import accepts a
key and its heading in any of the interface's languages (`key_for_heading`).
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import cache

from flask import has_request_context, request
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l

from .locales import LANGUAGES
from .selection import current_language

KEYS_ARG = "headers"  # ?headers=keys: the machine keys, whatever the language

HEADINGS = {
    # attendance
    "session_id": _l("Session ID"),
    "title": _l("Title"),
    "kind": _l("Kind"),
    "parent_id": _l("Parent session ID"),
    "starts_at_local": _l("Starts (local time)"),
    "ends_at_local": _l("Ends (local time)"),
    "unique": _l("Unique participants"),
    "online": _l("Online"),
    "on_site": _l("On site"),
    "hybrid": _l("Both online and on site"),
    "peak_online": _l("Peak online"),
    "peak_on_site": _l("Peak on site"),
    "peak_combined": _l("Peak combined"),
    "entries": _l("Entries"),
    "user_id": _l("User ID"),
    "name": _l("Name"),
    "email": _l("E-mail"),
    "organisation": _l("Organisation"),
    "country": _l("Country code"),
    "country_name": _l("Country"),
    "region": _l("Region"),
    "registered_mode": _l("Registered to take part"),
    "attended_online": _l("Attended online"),
    "attended_on_site": _l("Attended on site"),
    "online_sessions": _l("Sessions online"),
    "online_minutes": _l("Minutes online"),
    "on_site_sessions": _l("Sessions on site"),
    "on_site_minutes": _l("Minutes on site"),
    "session_title": _l("Session"),
    "mode": _l("Mode"),
    "started_local": _l("Started (local time)"),
    "ended_local": _l("Ended (local time)"),
    "minutes": _l("Minutes"),
    "still_present": _l("Still present"),
    # polls
    "poll_id": _l("Poll ID"),
    "poll_title": _l("Poll"),
    "status": _l("Status"),
    "answer": _l("Answer"),
    "count": _l("Count"),
    "total_voters": _l("Voters"),
    # breakouts
    "round_id": _l("Round ID"),
    "room": _l("Room"),
    "language": _l("Language"),
    "source": _l("Assigned by"),
    "joined_at": _l("Joined at"),
    # registrations
    "registered_at": _l("Registered at"),
    # feedback
    "session": _l("Session"),
    "answered_at": _l("Answered at"),
    "comment": _l("Comment"),
    # matchmaking
    "practice_id": _l("Practice ID"),
    "practice": _l("Practice"),
    "thematic_area": _l("Thematic area"),
    "sharing_country": _l("Sharing country code"),
    "sharing_country_name": _l("Sharing country"),
    "possibilities_of_practice": _l("Possibilities of the practice"),
    "interested_country": _l("Interested country code"),
    "interested_country_name": _l("Interested country"),
    "wants": _l("Wants"),
    "people": _l("People"),
    "status_changed": _l("Status changed"),
}


def wants_keys() -> bool:
    """Whether the header row carries the machine keys: English, `?headers=keys`, or no request (CLI)."""
    if not has_request_context():
        return True
    return request.args.get(KEYS_ARG) == "keys" or current_language() == "en"


def header_row(keys: Iterable[str]) -> list[str]:
    """The header row for these column keys, in the requesting person's language (see the module)."""
    keys = list(keys)
    if wants_keys():
        return keys
    return [str(HEADINGS[key]) if key in HEADINGS else key for key in keys]


@cache
def _headings_by_language(keys: tuple[str, ...]) -> dict[str, str]:
    found: dict[str, str] = {}
    for language in LANGUAGES:
        with force_locale(language):
            for key in keys:
                if key in HEADINGS:
                    found.setdefault(" ".join(str(HEADINGS[key]).split()).casefold(), key)
    return found


def key_for_heading(heading: str, keys: Iterable[str]) -> str:
    """A header cell read back to its key: the key itself, or its heading in any language, else as given."""
    text = " ".join((heading or "").split())
    keys = tuple(keys)
    if text.lower() in keys:
        return text.lower()
    return _headings_by_language(keys).get(text.casefold(), text.lower())
