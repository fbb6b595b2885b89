"""The catalogues hold every string the interface shows: Arabic all of them, French, Spanish, Russian and
Chinese everything participants, moderators and check-in staff see; the compiled .mo files are current."""

from __future__ import annotations

from io import BytesIO
from pathlib import Path

import pytest
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.mofile import read_mo, write_mo
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[2]
TRANSLATIONS = ROOT / "conference" / "translations"

# What participants, moderators and check-in staff see (organisers' back-office pages may fall back
# to English in these four languages).
AUDIENCE_FILES = (
    "templates/base.html",
    "templates/programme/agenda.html",
    "templates/programme/event.html",
    "templates/programme/events.html",
    "templates/programme/session.html",
    "templates/rooms/live.html",
    "templates/rooms/moderate.html",
    "templates/rooms/screen.html",
    "templates/rooms/_room_head.html",
    "templates/rooms/_chat.html",
    "templates/rooms/polls/_live.html",
    "templates/rooms/polls/_moderate.html",
    "templates/rooms/polls/_screen.html",
    "templates/rooms/breakouts/_live.html",
    "templates/rooms/breakouts/_moderate.html",
    "templates/calls/_live.html",
    "templates/interpretation/_live.html",
    "templates/interpretation/_moderate.html",
    "templates/interpretation/_screen.html",
    "static/js/interpretation.js",
    "static/js/calls.js",
    "templates/calls/_call.html",
    "templates/calls/meeting.html",
    "templates/calls/_meeting_link.html",
    "static/js/calls-live.js",
    "static/js/calls-meeting.js",
    "templates/checkin/scanner.html",
    "templates/checkin/my_badge.html",
    "templates/checkin/dashboard.html",
    "templates/registrations/mine.html",
    "templates/registrations/register.html",
    "templates/registrations/_answers.html",
    "conference/registrations/views.py",
    "templates/accounts/login.html",
    "templates/accounts/signup.html",
    "templates/accounts/forgot.html",
    "templates/accounts/password.html",
    "templates/errors/error.html",
    "static/js/live.js",
    "static/js/rooms-live.js",
    "static/js/rooms-moderate.js",
    "static/js/rooms-screen.js",
    "static/js/rooms-session.js",
    "static/js/rooms-store.js",
    "static/js/polls.js",
    "static/js/breakouts.js",
    "static/js/checkin.js",
    "static/js/checkin-dashboard.js",
    "static/js/agenda-live.js",
    "conference/accounts/forms.py",
    # Matchmaking, the discussion board, feedback and certificates: participant-facing (issue 16).
    "templates/matchmaking/_event_summary.html",
    "templates/matchmaking/_filters.html",
    "templates/matchmaking/_live.html",
    "templates/matchmaking/_table.html",
    "templates/matchmaking/agenda.html",
    "templates/matchmaking/meetings.html",
    "templates/matchmaking/practice.html",
    "templates/matchmaking/practice_form.html",
    "templates/matchmaking/print.html",
    "templates/matchmaking/table.html",
    "conference/matchmaking/models.py",
    "conference/matchmaking/views.py",
    "static/js/matchmaking-live.js",
    "templates/board/board.html",
    "templates/board/mine.html",
    "templates/feedback/survey.html",
    "static/js/feedback-live.js",
    "conference/board/views.py",
    "conference/feedback/views.py",
    "templates/certificates/mine.html",
    "templates/certificates/verify.html",
    "conference/certificates/services.py",
    "conference/i18n/messages.py",
    # What participants receive by mail (text, HTML, subjects, dates).
    "templates/mail/_layout.html",
    "templates/mail/cancellation.txt",
    "templates/mail/confirmation.txt",
    "templates/mail/invitation.txt",
    "templates/mail/link_reset.txt",
    "templates/mail/link_signin.txt",
    "templates/mail/meeting.txt",
    "templates/mail/meeting.html",
    "templates/mail/status_declined.txt",
    "templates/mail/status_pending.txt",
    "templates/mail/status_waitlisted.txt",
    "conference/registrations/mailings.py",
    "conference/matchmaking/meetings.py",
    "conference/accounts/links.py",
)


def extracted() -> dict[str, set[str]]:
    """msgid (singular) → the files that use it, by the same rules as `pybabel extract -F babel.cfg`."""
    with open(ROOT / "babel.cfg") as cfg:
        method_map, options_map = parse_mapping_cfg(cfg)
    keywords = {**DEFAULT_KEYWORDS, "_l": None}
    found: dict[str, set[str]] = {}
    for filename, _line, message, _comments, _context in extract_from_dir(
        str(ROOT), method_map, options_map, keywords=keywords
    ):
        msgid = message if isinstance(message, str) else message[0]
        found.setdefault(msgid, set()).add(filename)
    return found


@pytest.fixture(scope="module")
def messages():
    return extracted()


def catalogue(language: str):
    with open(TRANSLATIONS / language / "LC_MESSAGES" / "messages.po", "rb") as po:
        return read_po(po, locale=language)


def translated(entry) -> bool:
    if entry is None or entry.fuzzy:
        return False
    strings = entry.string if isinstance(entry.string, tuple | list) else (entry.string,)
    return all(strings)


def test_every_string_of_the_interface_is_in_the_arabic_catalogue(messages):
    arabic = catalogue("ar")
    missing = sorted(msgid for msgid in messages if not translated(arabic.get(msgid)))
    assert not missing, (
        f"{len(missing)} strings untranslated in ar (run pybabel extract/update): {missing[:20]}"
    )


@pytest.mark.parametrize("language", ["fr", "es", "ru", "zh"])
def test_what_participants_moderators_and_staff_see_is_translated(messages, language):
    entries = catalogue(language)
    missing = sorted(
        msgid
        for msgid, files in messages.items()
        if files & set(AUDIENCE_FILES) and not translated(entries.get(msgid))
    )
    assert not missing, f"{len(missing)} strings untranslated in {language}: {missing[:20]}"


@pytest.mark.parametrize("language", ["ar", "fr", "es", "ru", "zh"])
def test_compiled_catalogues_match_their_sources(language):
    source = catalogue(language)
    compiled_path = TRANSLATIONS / language / "LC_MESSAGES" / "messages.mo"
    with open(compiled_path, "rb") as mo:
        compiled = read_mo(mo)
    fresh = BytesIO()
    write_mo(fresh, source)
    fresh.seek(0)
    expected = read_mo(fresh)
    assert as_dict(compiled) == as_dict(expected), "recompile: pybabel compile -d conference/translations"


def as_dict(cat) -> dict:
    def key(value):
        return value if isinstance(value, str) else tuple(value)

    return {key(m.id): key(m.string) for m in cat if m.id}


@pytest.mark.parametrize("language", ["ar", "fr", "es", "ru", "zh"])
def test_placeholders_survive_translation(language):
    """A translation keeps every %(name)s of its msgid, or the page fails to render it."""
    import re

    placeholder = re.compile(r"%\((\w+)\)[sd]")
    for entry in catalogue(language):
        if not entry.id or not translated(entry):
            continue
        ids = entry.id if isinstance(entry.id, tuple | list) else (entry.id,)
        strings = entry.string if isinstance(entry.string, tuple | list) else (entry.string,)
        wanted = set(placeholder.findall(ids[-1])) - {"num"}
        for text in strings:
            assert set(placeholder.findall(text)) - {"num"} <= set(placeholder.findall(ids[0])) | wanted
            assert wanted <= set(placeholder.findall(text)) | {"num"}, (language, entry.id, text)
