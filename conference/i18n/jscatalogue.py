"""The JavaScript's strings come from the same catalogues as the pages.

The modules under static/js mark their strings `t("...")` and `nt("one", "many", n)`; pybabel
extracts them into the one catalogue (babel.cfg). The page carries, as JSON, this language's
translation of every string the JavaScript marks (found once per process by the same extractor),
and for plural strings one form per CLDR plural category of the language, which static/js/i18n.js
picks with `Intl.PluralRules`. The strings stay raw (`%(name)s` placeholders): i18n.js fills them. No second dictionary is kept by hand.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

from babel import Locale
from babel.messages.extract import extract_from_file
from flask import current_app
from flask_babel import get_locale, get_translations
from markupsafe import Markup

JS_KEYWORDS = {"t": None, "nt": (1, 2)}


@cache
def js_messages(static_dir: str) -> tuple[tuple[str, ...], ...]:
    """Every msgid (singular) or (singular, plural) that a module under static/js marks."""
    found: dict[tuple[str, ...], None] = {}
    for path in sorted(Path(static_dir, "js").glob("*.js")):
        for _line, message, _comments, _context in extract_from_file(
            "javascript", str(path), keywords=JS_KEYWORDS
        ):
            key = (message,) if isinstance(message, str) else tuple(message)
            found[key] = None
    return tuple(found)


@cache
def _plural_samples(language: str) -> dict[str, int]:
    """One number per CLDR plural category of the language ({"one": 1, "other": 0, ...})."""
    locale = Locale.parse(language)
    samples: dict[str, int] = {}
    for n in range(1000):
        samples.setdefault(locale.plural_form(n), n)
    return samples


def catalogue() -> dict:
    locale = get_locale()
    language = str(locale) if locale else "en"
    translations = get_translations()
    singular: dict[str, str] = {}
    plural: dict[str, dict[str, str]] = {}
    for message in js_messages(current_app.static_folder):
        if len(message) == 1:
            text = translations.ugettext(message[0])
            if text != message[0]:
                singular[message[0]] = text
        else:
            one, many = message
            plural[one] = {
                category: translations.ungettext(one, many, n)
                for category, n in _plural_samples(language).items()
            }
    return {"locale": language, "messages": singular, "plurals": plural}


def catalogue_json() -> Markup:
    """The catalogue as JSON that is safe inside <script type="application/json">."""
    text = json.dumps(catalogue(), ensure_ascii=False, separators=(",", ":"), sort_keys=True)
    text = text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    return Markup(text)
