"""The languages the interface speaks (the six UN official languages) and where their catalogues live."""

from __future__ import annotations

from pathlib import Path

TRANSLATIONS_DIR = Path(__file__).resolve().parent.parent / "translations"
DEFAULT_LANGUAGE = "en"

# code → the language's own name (the switch shows each language in itself).
LANGUAGES: dict[str, str] = {
    "en": "English",
    "ar": "العربية",
    "zh": "中文",
    "fr": "Français",
    "ru": "Русский",
    "es": "Español",
}
RTL_LANGUAGES = frozenset({"ar"})
# The BCP 47 tag pages carry in <html lang>: the UN's Chinese is written in simplified characters.
HTML_LANG = {"zh": "zh-Hans"}


def session_kind_label(kind: str) -> str:
    """A session's kind ("plenary", ...) in the page's language."""
    from flask_babel import gettext as _

    labels = {
        "plenary": _("plenary"),
        "keynote": _("keynote"),
        "thematic": _("thematic"),
        "breakout": _("breakout"),
        "workshop": _("workshop"),
    }
    return labels.get(kind, kind)


def language_name(code: str | None) -> str:
    """A language's name in the page's language ("ar" → "Arabic", "العربية", "arabe", "阿拉伯语")."""
    if not code:
        return ""
    from babel import Locale, UnknownLocaleError

    from .selection import current_language

    try:
        name = Locale.parse(code.replace("-", "_")).get_display_name(current_language())
    except (ValueError, UnknownLocaleError):
        return code
    return name or code


def supported(code: str | None) -> str | None:
    """`code` reduced to one of LANGUAGES ("ar-EG" → "ar", "zh_Hans_CN" → "zh"), else None."""
    if not code:
        return None
    base = code.replace("_", "-").split("-")[0].strip().lower()
    return base if base in LANGUAGES else None
