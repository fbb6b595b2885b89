"""Every refusal a page can show has its sentence in the viewer's language: each code a service raises
(`ServiceError` and its subclasses, read from the package's source) is in `i18n.messages.BY_CODE`,
unless it is listed below as never reaching a page."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

from flask_babel import force_locale

from conference.errors import Conflict, Forbidden, ServiceError
from conference.i18n.messages import BY_CODE, page_field_errors, page_message
from conference.programme.editing import invalid

PACKAGE = Path(__file__).resolve().parents[2] / "conference"

# Codes that no person ever reads: programming errors caught before anything reaches a page or a
# script (the scanner's API codes are listed in BY_CODE: the scanner page shows them). Each line says
# where the code comes from.
API_ONLY = {
    "invalid_purpose": "accounts/links.py: a programming error (a link purpose the code never passes)",
    "invalid_recipient": "mail/services.py: a programming error (the outbox refuses a bad To: address)",
}

# Errors whose code is not a literal at the place they are built: where, and every code they give.
DYNAMIC = {
    ("programme/services.py", "NotFound"): {"session_not_found", "track_not_found", "speaker_not_found"},
    ("documents/services.py", "ServiceError"): {
        "type_not_allowed",
        "content_not_allowed",
        "extension_mismatch",
    },
    ("registrations/fields.py", "InvalidAnswers"): {"invalid_answers"},
    ("wire.py", "InvalidPayload"): {"invalid_request", "invalid_payload"},
    ("calls/janus.py", "SfuUnavailable"): {"sfu_unavailable"},
}


def _name(node: ast.expr) -> str | None:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    return None


def _literal(node: ast.expr | None) -> str | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    return None


def raised_codes() -> tuple[dict[str, set[str]], list[str]]:
    """code → the files that raise it, and the constructors whose code this scan cannot read."""
    trees = {path: ast.parse(path.read_text(), str(path)) for path in PACKAGE.rglob("*.py")}
    classes = {
        _node.name: _node
        for tree in trees.values()
        for _node in ast.walk(tree)
        if isinstance(_node, ast.ClassDef)
    }
    family = {"ServiceError"}
    while True:
        more = {
            name for name, node in classes.items() if any(_name(b) in family for b in node.bases)
        } - family
        if not more:
            break
        family |= more
    # A subclass whose __init__ passes a literal code to ServiceError raises that code, whatever its arguments.
    fixed: dict[str, str] = {}
    for name in family - {"ServiceError"}:
        for node in ast.walk(classes[name]):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr == "__init__"
                and node.args
                and _literal(node.args[0])
            ):
                fixed[name] = _literal(node.args[0])  # type: ignore[assignment]
    # Helpers that build an error from a `code` parameter: def invalid(field, message, code="x") -> ServiceError.
    helpers: dict[str, tuple[int, str | None]] = {}
    for tree in trees.values():
        for node in ast.walk(tree):
            if not isinstance(node, ast.FunctionDef):
                continue
            params = [a.arg for a in node.args.args]
            for inner in ast.walk(node):
                if (
                    isinstance(inner, ast.Return)
                    and isinstance(inner.value, ast.Call)
                    and _name(inner.value.func) in family
                    and inner.value.args
                    and isinstance(inner.value.args[0], ast.Name)
                    and inner.value.args[0].id in params
                ):
                    index = params.index(inner.value.args[0].id)
                    defaults = node.args.defaults
                    offset = index - (len(params) - len(defaults))
                    default = _literal(defaults[offset]) if offset >= 0 else None
                    helpers[node.name] = (index, default)
    codes: dict[str, set[str]] = {}
    unread: list[str] = []

    def add(code: str, path: Path) -> None:
        codes.setdefault(code, set()).add(str(path.relative_to(PACKAGE)))

    def calls(tree: ast.Module) -> Iterator[ast.Call]:
        return (node for node in ast.walk(tree) if isinstance(node, ast.Call))

    for path, tree in trees.items():
        where = str(path.relative_to(PACKAGE))
        for call in calls(tree):
            name = _name(call.func)
            if name in fixed:
                add(fixed[name], path)
            elif name in family:
                code = _literal(call.args[0]) if call.args else None
                if code is not None:
                    add(code, path)
                elif (where, name) in DYNAMIC:
                    for known in DYNAMIC[where, name]:
                        add(known, path)
                elif name not in helpers and not _is_helper_body(call, helpers, tree):
                    unread.append(f"{where}:{call.lineno} {ast.unparse(call)[:80]}")
            elif name in helpers:
                index, default = helpers[name]
                given = call.args[index] if len(call.args) > index else None
                given = given or next((k.value for k in call.keywords if k.arg == "code"), None)
                code = _literal(given) if given is not None else default
                if code is None:
                    unread.append(f"{where}:{call.lineno} {ast.unparse(call)[:80]}")
                else:
                    add(code, path)
    return codes, unread


def _is_helper_body(call: ast.Call, helpers: dict, tree: ast.Module) -> bool:
    """The `ServiceError(code, ...)` inside a helper itself (its callers are read instead)."""
    return any(
        isinstance(node, ast.FunctionDef)
        and node.name in helpers
        and any(inner is call for inner in ast.walk(node))
        for node in ast.walk(tree)
    )


def test_the_scan_reads_the_codes_it_should():
    """The scan finds literal codes, a subclass's fixed code, and codes passed through a helper."""
    codes, _unread = raised_codes()
    assert "already_voted" in codes  # Conflict("already_voted", ...)
    assert "invalid_badge" in codes  # InvalidBadge(reason, message) → "invalid_badge"
    assert "slug_taken" in codes  # invalid("slug", "...", "slug_taken", 409) in programme/editing.py
    assert "invalid_request" in codes  # invalid("ends_at", "...") takes the helper's default code
    assert "floor_exists" in codes  # interpretation's _invalid(..., "floor_exists", 409)


def test_every_code_a_page_can_show_is_translated():
    codes, unread = raised_codes()
    assert not unread, f"errors whose code this test cannot read (add them to DYNAMIC): {unread}"
    missing = {
        code: sorted(files) for code, files in codes.items() if code not in BY_CODE and code not in API_ONLY
    }
    assert not missing, f"add these codes to conference/i18n/messages.py BY_CODE: {missing}"
    stale = sorted(set(API_ONLY) - set(codes))
    assert not stale, f"API_ONLY lists codes no longer raised: {stale}"


def test_page_messages_are_in_the_viewers_language(app):
    """A page shows the refusal by its code in the viewer's language; a rule pinned to a field sits beside it."""
    closed = ServiceError("registration_closed", "registration for this event is closed")
    taken = invalid("slug", "another event already uses this address", "slug_taken", 409)
    with app.test_request_context("/"):
        assert page_message(closed) == "Registration for this event is closed."
        with force_locale("fr"):
            assert page_message(closed) == "Les inscriptions à cet événement sont closes."
        with force_locale("zh"):
            assert page_field_errors(taken) == {"slug": ["另一个活动已在使用此地址。"]}
        with force_locale("ar"):
            assert page_message(Forbidden("forbidden", "only platform admins may do this")) == (
                "لا يحق لك القيام بهذا هنا."
            )
            # a code nobody listed shows the service's English message rather than nothing
            assert page_message(ServiceError("brand_new_code", "something new")) == "something new"


def test_a_refusal_that_names_values_keeps_them_in_every_language(app):
    """The numbers and names an English refusal gives (from the error's details) reach the translation."""
    inside = Conflict("capacity_below_inside", "2 people are inside now", field="capacity", inside_now=2)
    throttled = ServiceError("too_many_attempts", "Too many failed sign-ins...", retry_after=30)
    with app.test_request_context("/"):
        assert page_message(inside) == "2 people are inside now: the capacity cannot be lower than that."
        with force_locale("fr"):
            assert page_message(inside) == (
                "2 personnes sont à l'intérieur : la capacité ne peut pas être inférieure."
            )
        with force_locale("ru"):
            assert "Подождите 30 секунд" in page_message(throttled)
        with force_locale("ar"):
            refused = ServiceError(
                "invalid_answers", "x", fields={"diet": "'Robot' is not one of the choices"}
            )
            assert page_field_errors(refused) == {"diet": ["“Robot” ليس من الخيارات."]}
