"""The JavaScript's strings come from the same catalogues as the pages.

The modules under static/js mark their strings `t("...")` and `nt("one", "many", n)`; pybabel
extracts them into the one catalogue (babel.cfg). The page carries, as JSON, this language's
translation of every string the JavaScript marks (found once per process by the same extractor),
and for plural strings one form per CLDR plural category of the language, which static/js/i18n.js
picks with `Intl.PluralRules`. The strings stay raw (`%(name)s` placeholders): i18n.js fills them. No second dictionary is kept by hand.

It also carries the refusals (`errors`): for every code of `i18n.messages.BY_CODE`, the sentence a
page shows for it in this language, so that the live pages show a Socket.IO ack's or an API answer's
error by its code (`errorText` in i18n.js) while the ack keeps its English `message`. A code whose
sentence names values from the error's details gives its general sentence and, for each form its
function declares (`@names`), the sentence the function itself says with stand-ins `%(detail)s` for
those details (one per plural category when a number picks the form).
"""

from __future__ import annotations

import json
from functools import cache, lru_cache
from pathlib import Path

from babel import Locale
from babel.messages.extract import extract_from_file
from flask import current_app
from flask_babel import LazyString, get_locale, get_translations
from markupsafe import Markup

from .messages import BY_CODE

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


class _Count(int):
    """A stand-in for a detail that is a number picking the plural form: it picks the form as `value`
    does and reads as its placeholder, `%(key)s`."""

    key: str

    def __new__(cls, value: int, key: str) -> _Count:
        number = super().__new__(cls, value)
        number.key = key
        return number

    def __str__(self) -> str:
        return f"%({self.key})s"


def _stand_ins(keys: tuple[str, ...], count: str | None, sample: int) -> dict[str, object]:
    return {key: _Count(sample, key) if key == count else f"%({key})s" for key in keys}


@lru_cache(maxsize=32)
def _error_messages(language: str, _translations: object) -> dict[str, str | dict]:
    """code → its sentence in the current language, or {"general", "forms"} for a sentence that names
    values from the error's details (see the module's docstring). Made once per language and
    catalogue (some 5 ms of gettext calls)."""
    said: dict[str, str | dict] = {}
    for code, message in BY_CODE.items():
        if isinstance(message, LazyString):
            said[code] = str(message)
            continue
        forms: list[dict] = []
        count = getattr(message, "count", None)
        for keys in getattr(message, "forms", ()):
            if count in keys:
                plural = {
                    category: message(_stand_ins(keys, count, n))
                    for category, n in _plural_samples(language).items()
                }
                forms.append({"needs": list(keys), "count": count, "plural": plural})
            else:
                forms.append({"needs": list(keys), "text": message(_stand_ins(keys, None, 0))})
        said[code] = {"general": message({}), "forms": forms}
    return said


def _request_catalogue() -> tuple[str, object, str | None]:
    """What this request's catalogue depends on: its language, that language's translations, and
    the folder of the JavaScript that marks the strings."""
    locale = get_locale()
    return (str(locale) if locale else "en"), get_translations(), current_app.static_folder


def catalogue() -> dict:
    return _catalogue(*_request_catalogue())


def _catalogue(language: str, translations, static_dir: str | None) -> dict:
    singular: dict[str, str] = {}
    plural: dict[str, dict[str, str]] = {}
    for message in js_messages(static_dir):
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
    return {
        "locale": language,
        "messages": singular,
        "plurals": plural,
        "errors": _error_messages(language, translations),
    }


def catalogue_json() -> Markup:
    """The catalogue as JSON that is safe inside <script type="application/json">: every page
    carries it, so it is made once per language and catalogue."""
    return _catalogue_json(*_request_catalogue())


@lru_cache(maxsize=32)
def _catalogue_json(language: str, translations: object, static_dir: str | None) -> Markup:
    text = json.dumps(
        _catalogue(language, translations, static_dir),
        ensure_ascii=False,
        separators=(",", ":"),
        sort_keys=True,
    )
    text = text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    return Markup(text)
