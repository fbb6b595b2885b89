"""People's names as others see them: refuse characters that disguise what a name shows.

A name is shown beside questions, chat lines, presence lists, badges and exports. Bidirectional
overrides and isolates (U+202A-U+202E, U+2066-U+2069, the marks U+200E/U+200F/U+061C) reorder what
follows them, so "Admin\u202e..." can display as someone else's name; zero-width characters
(U+200B, U+2060, U+FEFF...) make two names that look the same compare different. Every other
invisible format or control character (Unicode categories Cf and Cc) is refused as well.

The zero-width joiner and non-joiner (U+200D, U+200C) are part of correct spelling in Persian,
Urdu, Indic and other scripts, so they are allowed between two letters of a non-Latin script and
refused anywhere else (at an end, beside a Latin letter, a space or a digit).
"""

from __future__ import annotations

import unicodedata

JOINERS = {"\u200c", "\u200d"}
LATIN_END = 0x024F  # Basic Latin ... Latin Extended-B


def _script_letter(char: str) -> bool:
    return ord(char) > LATIN_END and unicodedata.category(char).startswith(("L", "M"))


def spoofing_character(text: str) -> str | None:
    """The first character of `text` a name must not hold (as U+XXXX), or None."""
    for index, char in enumerate(text):
        category = unicodedata.category(char)
        if category not in ("Cf", "Cc"):
            continue
        if char in JOINERS:
            before = text[index - 1] if index > 0 else ""
            after = text[index + 1] if index + 1 < len(text) else ""
            if before and after and _script_letter(before) and _script_letter(after):
                continue
        return f"U+{ord(char):04X}"
    return None


def check_name(name: str) -> str | None:
    """A message saying why `name` is refused, or None when it may be shown to others."""
    found = spoofing_character(name)
    if found:
        return f"a name may not contain invisible or direction-changing characters ({found})"
    return None
