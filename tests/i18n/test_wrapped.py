"""No bare English in the templates that go through gettext: every text node and every readable attribute
(placeholder, title, aria-label, alt) of these templates is a Jinja expression (`_()`, `ngettext()`, a
value), not words typed into the HTML. A string added without `_()` fails here, before it reaches the
Arabic pages untranslated."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

# The features wrapped after the i18n machinery was merged (issue 16); add a folder once it is wrapped.
WRAPPED = ("matchmaking", "board", "feedback", "certificates")
# Words that read the same in every language of the interface.
UNIVERSAL = {"PDF", "XXXX-XXXX-XXXX"}
READABLE = ("placeholder", "title", "aria-label", "alt")
# A block that names a CSS class (body_class) holds no words for people.
JINJA = re.compile(
    r"\{%\s*block body_class\s*%\}.*?\{%\s*endblock\s*%\}|\{\{.*?\}\}|\{%.*?%\}|\{#.*?#\}", re.S
)
WORDS = re.compile(r"[A-Za-z]{2,}")


class _Bare(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.found: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style"):
            self._skip += 1
        for name, value in attrs:
            if name in READABLE and value and WORDS.search(value) and value.strip() not in UNIVERSAL:
                self.found.append(f"{tag}[{name}]={value!r}")

    def handle_endtag(self, tag):
        if tag in ("script", "style") and self._skip:
            self._skip -= 1

    def handle_data(self, data):
        text = data.strip()
        if not self._skip and WORDS.search(text) and text not in UNIVERSAL:
            self.found.append(repr(text))


def bare_strings(source: str) -> list[str]:
    """The words of a template that are not inside a Jinja tag."""
    parser = _Bare()
    parser.feed(JINJA.sub("\x00", source))
    parser.close()
    return parser.found


TEMPLATES = sorted(path for folder in WRAPPED for path in (ROOT / "templates" / folder).glob("*.html"))


@pytest.mark.parametrize("path", TEMPLATES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_no_bare_words_in_wrapped_templates(path):
    assert not bare_strings(path.read_text(encoding="utf-8")), "wrap these in _() / ngettext()"


def test_the_check_catches_bare_words():
    assert bare_strings('<p>{{ _("Hello") }}</p><button title="Close">{{ x }}</button>') == [
        "button[title]='Close'"
    ]
    assert bare_strings("<p>Not wrapped {{ name }}</p>") == ["'Not wrapped \\x00'"]
    assert bare_strings("<p>{% if x %}{{ _('a') }}{% endif %} · 5 / {{ n }}</p>") == []
