"""The authorization matrix of docs/security.md, checked against the app, table-driven.

The document holds two tables: who each level admits (roles × levels) and the level of every page
and API call (method, path). This test reads both from the document, so the document cannot drift
from the app:
- every route of the app has a row, and every row a route;
- every role a row's level does not admit is refused (401, 403, 404, or a redirect to sign in),
  whatever the method, and nothing it sends changes any table;
- every role it admits gets past the checks of a GET (no 401/403, no redirect to sign in; a 404
  only where the address names an object other than the event).
Writes by admitted roles are left to each feature's tests (they would change the world this test
shares between its rows). The /live events have their own table, checked in test_socket_matrix.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from conftest import csrf_token
from sqlalchemy import func, select

from conference.extensions import db as _db

DOC = Path(__file__).resolve().parents[2] / "docs" / "security.md"
ROLES = ("anonymous", "attendee", "participant", "staff", "moderator", "organiser", "admin")
ANY_ID = "1"


def _table(marker: str) -> list[list[str]]:
    text = DOC.read_text()
    block = text.split(f"<!-- {marker} -->")[1].split(f"<!-- /{marker} -->")[0]
    rows = []
    for line in block.strip().splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if not cells or set(cells[0]) <= {"-", ":"} or cells[0] in ("level", "method", "event"):
            continue
        rows.append(cells)
    return rows


def admitted_by_level() -> dict[str, set[str]]:
    levels = {}
    for cells in _table("levels"):
        level, marks = cells[0].strip("`"), cells[1 : 1 + len(ROLES)]
        levels[level] = {role for role, mark in zip(ROLES, marks, strict=True) if mark == "✓"}
    return levels


def documented_routes() -> dict[tuple[str, str], str]:
    return {(cells[0], cells[1].strip("`")): cells[2] for cells in _table("routes")}


def app_routes(app) -> set[tuple[str, str]]:
    return {
        (method, rule.rule)
        for rule in app.url_map.iter_rules()
        if rule.endpoint != "static"
        for method in rule.methods - {"HEAD", "OPTIONS"}
    }


def concrete(rule: str, slug: str) -> str:
    path = rule.replace("<slug>", slug).replace("<any(approve, decline, cancel):action>", "cancel")
    return re.sub(r"<(?:[a-z]+:)?[a-z_]+>", ANY_ID, path)


def refused(response) -> bool:
    if response.status_code in (401, 403, 404):
        return True
    if response.status_code == 400 and response.is_json and response.json["error"]["code"] == "csrf_failed":
        return True  # a write without a session: refused before anything else
    return response.status_code in (302, 303) and "/login" in response.headers.get("Location", "")


# Written by the test's own sign-ins and tokens, and the default survey questions an event gets
# when its feedback is first shown (a GET by an admitted role), not by the refused requests.
BOOKKEEPING = {"rate_counters", "api_tokens", "login_throttles", "feedback_questions"}
# The check-in calls name their list in the body: an empty body is refused (400) before the list's
# event is known. tests/checkin/test_api.py sends real scans by non-staff people: 403.
EVENT_IN_BODY = {"/api/v1/checkin/scan", "/api/v1/checkin/sync", "/api/v1/checkin/undo"}


def snapshot(app) -> dict[str, int]:
    with app.app_context():
        return {
            name: _db.session.scalar(select(func.count()).select_from(table))
            for name, table in _db.metadata.tables.items()
            if name not in BOOKKEEPING
        }


@pytest.fixture()
def people(app, make_event, make_user, make_registration, make_token, logged_in_client):
    """Event A ("event-a") and one person per role; row 1 of every table is event A's."""
    event = make_event("event-a")
    participant = make_user(name="Pat Participant")
    make_registration(participant, event, "in_person")  # registration 1
    users = {
        "attendee": make_user(name="Ari Attendee"),
        "participant": participant,
        "staff": make_user("staff"),
        "moderator": make_user("moderator"),
        "organiser": make_user("organiser"),
        "admin": make_user("admin"),
    }
    clients = {"anonymous": (None, None)}
    for role, user in users.items():
        clients[role] = (logged_in_client(user), make_token(user))
    return clients


def test_every_route_has_a_row_and_every_row_a_route(app):
    documented = documented_routes()
    assert set(documented) == app_routes(app)
    assert set(documented.values()) <= set(admitted_by_level()), "a row names an unknown level"
    assert set().union(*admitted_by_level().values()) <= set(ROLES)


def _request(app, clients, role, method, rule):
    browser, token = clients[role]
    url = concrete(rule, "event-a")
    if rule.startswith("/api/"):
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        return app.test_client().open(url, method=method, json={}, headers=headers)
    client = browser or app.test_client()
    data = None if method == "GET" else {"csrf_token": csrf_token(client)}
    return client.open(url, method=method, data=data)


def test_each_role_gets_what_its_level_admits_and_nothing_else(app, people):
    levels, routes = admitted_by_level(), documented_routes()
    before = snapshot(app)
    wrongly_refused, wrongly_admitted = [], []
    # Sign-out last: it ends the session the other rows use.
    order = sorted(routes.items(), key=lambda item: item[0][1] == "/logout")
    for (method, rule), level in order:
        admitted = levels[level]
        for role in ROLES:
            if role in admitted and method != "GET":
                continue  # writes by admitted roles: each feature's own tests
            response = _request(app, people, role, method, rule)
            if role not in admitted:
                if rule in EVENT_IN_BODY and response.status_code == 400:
                    continue
                if not refused(response):
                    wrongly_admitted.append((role, method, rule, level, response.status_code))
            elif refused(response):
                names_an_object = re.search(r"<(?!slug>)", rule) is not None
                if not (response.status_code == 404 and names_an_object):
                    wrongly_refused.append((role, method, rule, level, response.status_code))
    assert wrongly_admitted == [], "\n".join(map(str, wrongly_admitted))
    assert wrongly_refused == [], "\n".join(map(str, wrongly_refused))
    assert snapshot(app) == before
