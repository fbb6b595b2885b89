"""The live pages' refusals come from the same catalogue as the pages' (issue 16): the page's JSON
catalogue carries, in the viewer's language, the sentence of every code in i18n/messages.py BY_CODE,
and every code the live protocol or a JSON answer can send is one of them."""

from __future__ import annotations

import ast
import json
import re
from pathlib import Path

from flask_babel import LazyString, force_locale

from conference.errors import ServiceError
from conference.i18n.jscatalogue import catalogue, catalogue_json
from conference.i18n.messages import BY_CODE, page_message

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "conference"


def fill(text: str, details: dict) -> str:
    """What static/js/i18n.js does with a form's text: each %(key)s from the error's details."""
    return re.sub(r"%\((\w+)\)[sd]", lambda m: str(details.get(m.group(1), m.group(0))), text)


def said_in_js(entry: str | dict, details: dict, category: str = "other") -> str:
    """static/js/i18n.js errorText's reading of one catalogue entry (the plural category given)."""
    if isinstance(entry, str):
        return entry
    for form in entry["forms"]:
        if not all(key in details for key in form["needs"]):
            continue
        if "count" not in form:
            return fill(form["text"], details)
        return fill(form["plural"][category], details)
    return entry["general"]


def test_every_code_is_in_the_catalogue_in_the_viewers_language(app):
    with app.test_request_context("/"):
        english = catalogue()["errors"]
        with force_locale("ar"):
            arabic = catalogue()["errors"]
            for code, message in BY_CODE.items():
                if isinstance(message, LazyString):  # the page's sentence for the code, word for word
                    assert arabic[code] == page_message(ServiceError(code, "an English message")), code
    assert set(english) == set(arabic) == set(BY_CODE)
    assert english["poll_closed"] == "This poll is closed."
    assert arabic["poll_closed"] == "هذا الاستطلاع مغلق."
    assert arabic["timeout"] != english["timeout"]  # the live connection's own refusals too


def test_a_sentence_that_names_details_reads_as_the_page_says_it(app):
    """The forms carry the sentence with %(detail)s stand-ins; filled from the details, they say what
    page_message says for the same error, plural forms included (Arabic's dual, Russian's many)."""
    cases = [
        ("ar", "too_many_attempts", {"retry_after": 2}, "two"),
        ("ar", "capacity_below_inside", {"inside_now": 11}, "many"),
        ("ru", "too_many_attempts", {"retry_after": 30}, "many"),
        ("fr", "room_taken", {"room": "Salle A", "taken_by": "Ouverture", "when": "10:00"}, "other"),
        ("zh", "invalid_json", {"byte": 7}, "other"),
        ("zh", "invalid_json", {"line": 3, "column": 9}, "other"),
        ("es", "day_outside_event", {"first_day": "2030-05-06", "last_day": "2030-05-08"}, "other"),
        ("fr", "too_many_attempts", {}, "other"),  # without its details: the general sentence
        ("ar", "session_has_records", {"records": ["questions"]}, "other"),  # no forms: general only
    ]
    with app.test_request_context("/"):
        for language, code, details, category in cases:
            with force_locale(language):
                entry = catalogue()["errors"][code]
                expected = page_message(ServiceError(code, "x", **details))
                if code == "session_has_records":
                    expected = page_message(ServiceError(code, "x"))
                assert said_in_js(entry, details, category) == expected, (language, code)
        with force_locale("ar"):
            plural = catalogue()["errors"]["too_many_attempts"]["forms"][0]["plural"]
    assert set(plural) == {"zero", "one", "two", "few", "many", "other"}
    assert "%(retry_after)s" in plural["many"] and "%(retry_after)s" not in plural["two"]


def test_the_catalogue_stays_safe_inside_its_script_element(app):
    with app.test_request_context("/"), force_locale("fr"):
        text = str(catalogue_json())
    assert "<" not in text and ">" not in text and "&" not in text
    assert json.loads(text)["errors"]["room_taken"]["forms"][0]["needs"] == ["room", "taken_by", "when"]


def _name_of(node: ast.expr) -> str:
    return node.id if isinstance(node, ast.Name) else ""


def _codes_sent_outside_service_errors() -> dict[str, str]:
    """Codes put into an error ack or a JSON error by hand: `error("code", ...)` (realtime.py),
    `_error_ack("code", ...)`, `json_error(status, "code", ...)`, and the live connection's own
    `{code: "..."}` in static/js."""
    found: dict[str, str] = {}
    for path in PACKAGE.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if not isinstance(node, ast.Call):
                continue
            if isinstance(node.func, ast.Name):
                name = node.func.id
            elif isinstance(node.func, ast.Attribute) and _name_of(node.func.value) not in ("log", "logger"):
                name = node.func.attr
            else:
                continue
            position = {"error": 0, "_error_ack": 0, "json_error": 1}.get(name)
            if position is None or len(node.args) <= position:
                continue
            argument = node.args[position]
            if isinstance(argument, ast.Constant) and isinstance(argument.value, str):
                found[argument.value] = f"{path.relative_to(ROOT)}:{node.lineno}"
    for path in (ROOT / "static" / "js").glob("*.js"):
        for match in re.finditer(r"error: \{ code: \"(\w+)\"", path.read_text()):
            found[match.group(1)] = str(path.relative_to(ROOT))
    return found


def test_every_code_the_live_protocol_sends_by_hand_has_a_sentence():
    sent = _codes_sent_outside_service_errors()
    assert {"unknown_event", "storage_failed", "timeout", "no_reply", "csrf_failed"} <= set(sent)
    missing = {code: where for code, where in sent.items() if code not in BY_CODE}
    assert not missing, f"add these codes to conference/i18n/messages.py BY_CODE: {missing}"
