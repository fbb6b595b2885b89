"""Which language this request speaks."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from flask import g, has_request_context, request
from flask_babel import force_locale, get_locale
from flask_login import current_user
from sqlalchemy import select

from ..extensions import db
from .locales import DEFAULT_LANGUAGE, HTML_LANG, LANGUAGES, RTL_LANGUAGES, supported

COOKIE = "lang"
COOKIE_MAX_AGE = 365 * 24 * 3600


def select_locale() -> str:
    """Flask-Babel's locale selector: account, cookie, Accept-Language, the event's default, English."""
    if not has_request_context():
        return DEFAULT_LANGUAGE
    chosen = getattr(g, "language_override", None)
    if chosen:
        return chosen
    user_language = getattr(current_user, "language", None) if current_user else None
    for candidate in (user_language, request.cookies.get(COOKIE)):
        code = supported(candidate)
        if code:
            return code
    best = request.accept_languages.best_match(_accept_variants())
    if best:
        return supported(best) or DEFAULT_LANGUAGE
    return _event_default() or DEFAULT_LANGUAGE


def _accept_variants() -> list[str]:
    # best_match compares whole tags; list the regional forms browsers send too ("fr-FR", "zh-CN").
    return [*LANGUAGES, "zh-CN", "zh-Hans", "zh-SG", "zh-TW", "zh-HK", "zh-Hant"]


def _event_default() -> str | None:
    slug = (request.view_args or {}).get("slug")
    if not slug or "\x00" in slug:  # refused by input_guard; PostgreSQL cannot even look it up
        return None
    from ..programme.models import Event

    languages = db.session.scalar(select(Event.languages).where(Event.slug == slug))
    if not languages:
        return None
    return supported(languages.split(",")[0])


def current_language() -> str:
    """The language code of this request ("en", "ar", ...)."""
    locale = get_locale()
    return supported(str(locale)) or DEFAULT_LANGUAGE if locale else DEFAULT_LANGUAGE


def html_lang() -> str:
    code = current_language()
    return HTML_LANG.get(code, code)


def text_direction(code: str | None = None) -> str:
    """ "rtl" for Arabic, else "ltr"."""
    return "rtl" if (code or current_language()) in RTL_LANGUAGES else "ltr"


def recipient_language(user, event=None, *, fallback: str | None = None) -> str:
    """The language a message to `user` is written in: their account's choice, else the event's
    default language (the first of `Event.languages`), else `fallback`, else English."""
    chosen = supported(getattr(user, "language", None))
    if chosen:
        return chosen
    if event is not None:
        default = supported((event.languages or "").split(",")[0])
        if default:
            return default
    return supported(fallback) or DEFAULT_LANGUAGE


@contextmanager
def written_in(user, event=None, *, fallback: str | None = None) -> Iterator[str]:
    """Compose a message (subject, text, HTML, dates) in the recipient's language, whatever the
    language of the request that caused it: `with written_in(user, event): enqueue_template(...)`."""
    language = recipient_language(user, event, fallback=fallback)
    with force_locale(language):
        yield language
