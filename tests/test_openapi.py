"""The OpenAPI description of /api/v1: served, complete, rendered, and fuzzed with schemathesis against
the app as an organiser, a check-in staff member and an attendee (bounded: a few examples per
operation): no answer is a 5xx, and every answer matches the description (status, content type,
body schema; every refusal has the error shape)."""

from __future__ import annotations

import hypothesis
import pytest
import schemathesis
from hypothesis import HealthCheck, given
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import content_type_conformance, response_schema_conformance

from conference import openapi

EXAMPLES = 4  # per operation and role: about a minute in all


def test_the_description_is_served_and_covers_every_route(app, client):
    spec = client.get("/api/v1/openapi.json").get_json()
    assert spec["openapi"] == "3.1.0"
    with app.app_context():
        rules = [
            (rule, method)
            for rule in app.url_map.iter_rules()
            if rule.rule.startswith("/api/v1/") and rule.endpoint not in openapi.OWN_ENDPOINTS
            for method in rule.methods - {"HEAD", "OPTIONS"}
        ]
    documented = {(path, method.upper()) for path, methods in spec["paths"].items() for method in methods}
    assert len(documented) == len(rules)
    for rule, method in rules:
        if method in ("POST", "PATCH", "PUT"):
            known = (
                method in openapi.REQUEST_BODIES.get(rule.endpoint, {})
                or method in openapi.MULTIPART_BODIES.get(rule.endpoint, {})
                or method in openapi.RAW_JSON_BODIES.get(rule.endpoint, {})
                or rule.endpoint in openapi.NO_BODY
            )
            assert known, f"{method} {rule.rule} ({rule.endpoint}): say which model validates its body"
    scan = spec["paths"]["/checkin/scan"]["post"]
    assert scan["requestBody"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/ScanIn"
    }
    assert spec["components"]["schemas"]["ScanIn"]["properties"]["scan_id"]["pattern"]  # the model's own rule


def test_the_reference_page_renders_every_operation(client):
    page = client.get("/api/v1/docs")
    assert page.status_code == 200
    assert b"POST /checkin/scan" in page.data and b'id="schema-ScanIn"' in page.data
    assert b"<script" not in page.data.split(b"<main", 1)[-1].split(b"</main>", 1)[0]


@pytest.fixture()
def tokens(app, make_event, make_user, make_registration, make_token):
    event = make_event("fuzzed")
    organiser, staff, attendee = make_user("organiser"), make_user("staff"), make_user()
    make_registration(attendee, event, "in_person")
    return event.slug, {
        "organiser": make_token(organiser),
        "staff": make_token(staff),
        "attendee": make_token(attendee),
    }


@pytest.mark.parametrize("role", ["organiser", "staff", "attendee"])
def test_schemathesis_finds_no_server_error_and_no_answer_outside_the_description(app, tokens, role):
    slug, by_role = tokens
    headers = {"Authorization": f"Bearer {by_role[role]}"}
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    checks = [not_a_server_error, response_schema_conformance, content_type_conformance]
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) > 30
    failures = []
    for operation in operations:

        @given(case=operation.as_strategy(), real_slug=st.booleans())
        @hypothesis.settings(
            max_examples=EXAMPLES,
            deadline=None,
            database=None,
            derandomize=True,
            suppress_health_check=list(HealthCheck),
            phases=[hypothesis.Phase.explicit, hypothesis.Phase.generate],
        )
        def run(case, real_slug):
            if real_slug and "slug" in (case.path_parameters or {}):
                case.path_parameters["slug"] = slug  # reach the rules, not only the 404
            case.call_and_validate(headers=headers, checks=checks)

        try:
            run()
        except Exception as exc:  # noqa: BLE001 - collect every operation's failure, report them together
            failures.append(f"{operation.method.upper()} {operation.path}: {exc}"[:1500])
    assert not failures, "\n\n".join(failures)
