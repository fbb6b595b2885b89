"""Translations of what organisers write: event and session titles and descriptions, poll questions
and options, practice titles.

Each translatable row carries a `translations` JSON column, `{field: {language: text}}`
(`{"title": {"fr": "Ouverture", "ar": "الافتتاح"}}`), beside its original text. Reading a page's
translations costs no query beyond loading its rows (the agenda of 50 sessions stays one query for
the sessions), and a broadcast carries a row's whole column so that each viewer's client picks its
own language. A missing or blank translation falls back to the original.

- `localized(row, field, language)`: the text to show, the translation or the original.
- `translations_validator(limits)`: the pydantic check of a `translations` value (fields known,
  languages among `LANGUAGES`, lengths within `wire.LIMITS`); blank texts are dropped.
- `form_translations(form, fields)`: the back-office form's `tr-<field>-<language>` inputs as that value.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from .locales import LANGUAGES

Translations = dict[str, dict[str, str]]


def localized(row: Any, field: str, language: str | None = None) -> str:
    """`row.<field>` in `language` (the request's by default) when a translation exists, else the original."""
    if language is None:
        from .selection import current_language

        language = current_language()
    texts = (getattr(row, "translations", None) or {}).get(field) or {}
    return texts.get(language) or getattr(row, field)


def check_translations(value: object, limits: Mapping[str, int]) -> Translations:
    """`value` as clean translations of the fields in `limits` ({field: max length}); ValueError otherwise."""
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise ValueError("give translations as {field: {language: text}}")
    clean: Translations = {}
    for field, texts in value.items():
        if field not in limits:
            raise ValueError(f"{field!r} cannot be translated here (only {', '.join(limits)})")
        if not isinstance(texts, dict):
            raise ValueError(f"give the translations of {field} as {{language: text}}")
        for language, given in texts.items():
            if language not in LANGUAGES:
                raise ValueError(f"{language!r} is not one of the languages {', '.join(LANGUAGES)}")
            if not isinstance(given, str):
                raise ValueError(f"the {language} {field} must be text")
            text = given.strip()
            if "\x00" in text:
                raise ValueError("contains a NUL character")
            if len(text) > limits[field]:
                raise ValueError(f"the {language} {field} is longer than {limits[field]} characters")
            if text:
                clean.setdefault(field, {})[language] = text
    return clean


def translations_validator(limits: Mapping[str, int]) -> Callable[[object], Translations]:
    """A `mode="before"` pydantic validator for a `translations` field of these fields and limits."""

    def validate(value: object) -> Translations:
        return check_translations(value, limits)

    return validate


def form_translations(form: Mapping[str, str], fields: Mapping[str, int]) -> Translations:
    """The `tr-<field>-<language>` inputs of a back-office form as {field: {language: text}}."""
    value: Translations = {}
    for field in fields:
        for language in LANGUAGES:
            text = form.get(f"tr-{field}-{language}", "")
            if text.strip():
                value.setdefault(field, {})[language] = text
    return value


def language_choices() -> list[tuple[str, str]]:
    """(code, name in the page's language) of the languages a text can be translated into."""
    from .locales import language_name

    return [(code, language_name(code)) for code in LANGUAGES]
