"""Table-driven: every back-office page and every organisers' API call of event A refuses the people
who have no say in A (anonymous, a registered participant of A, the organiser, moderator and staff
of event B), whatever the method, and nothing they send changes A's data."""

from __future__ import annotations

import re

import pytest
from conftest import csrf_token
from sqlalchemy import func, select

from conference.extensions import db as _db
from conference.grants.services import grant
from conference.programme.models import Event

ANY_ID = "1"  # ids are filled with 1: every table has a row 1 here (event A's objects are created first)
PUBLIC_API = {
    "/api/v1/events",
    "/api/v1/events/<slug>",
    "/api/v1/events/<slug>/schedule.json",
    "/api/v1/events/<slug>/documents",
}
# Participants' own calls (practices, interest, meetings: tests/matchmaking checks their rights);
# the matchmaking's organisers-only call (its live sessions) stays in the table.
PARTICIPANT_API = ("/api/v1/events/<slug>/matchmaking/",)
ORGANISER_ONLY = {"/api/v1/events/<slug>/matchmaking/sessions"}


def _concrete(rule: str, slug: str) -> str:
    path = rule.replace("<slug>", slug)
    return re.sub(r"<(?:int:)?[a-z_]+>", ANY_ID, path)


def _routes(app) -> list[tuple[str, str]]:
    """(method, rule) of every back-office page and organisers' API call that concerns one event."""
    found = []
    for rule in app.url_map.iter_rules():
        path = rule.rule
        back_office = path.startswith("/manage/") and path != "/manage/"
        api = path.startswith(("/api/v1/events/<slug>", "/api/v1/checkin-lists"))
        if not (back_office or api):
            continue
        if path.startswith(PARTICIPANT_API) and path not in ORGANISER_ONLY:
            continue
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            if api and method == "GET" and path in PUBLIC_API:
                continue
            found.append((method, path))
    return found


@pytest.fixture()
def world(app, make_event, make_user, make_registration, make_token):
    a, b = make_event("event-a"), make_event("event-b")
    participant = make_user(name="Participant of A")
    make_registration(participant, a, "in_person")
    outsiders = {"participant of A": participant}
    with app.app_context():
        event_b = _db.session.get(Event, b.id)
        for role in ("organiser", "moderator", "staff"):
            user = make_user(name=f"{role} of B")
            grant(_db.session, event_b, _db.session.merge(user), role)
            outsiders[f"{role} of B"] = user
    return a, outsiders


# Written by the test's own sign-ins and tokens, not by the refused requests.
BOOKKEEPING = {"rate_counters", "api_tokens"}


def _snapshot(app) -> dict[str, int]:
    """Row counts of every table: a refused request must leave all of them as they were."""
    with app.app_context():
        return {
            name: _db.session.scalar(select(func.count()).select_from(table))
            for name, table in _db.metadata.tables.items()
            if name not in BOOKKEEPING
        }


def test_every_event_route_refuses_people_without_a_say_in_it(app, world, logged_in_client, make_token):
    a, outsiders = world
    routes = _routes(app)
    assert len(routes) > 60, routes  # the back-office, its API, documents, doors, people, schedule, team
    before = _snapshot(app)
    failures = []
    for who, user in [("anonymous", None), *outsiders.items()]:
        browser = app.test_client() if user is None else logged_in_client(user)
        token = None if user is None else make_token(user)
        for method, rule in routes:
            url = _concrete(rule, a.slug)
            if rule.startswith("/api/"):
                headers = {"Authorization": f"Bearer {token}"} if token else {}
                response = (
                    browser.open(url, method=method, json={}, headers=headers)
                    if user
                    else app.test_client().open(url, method=method, json={})
                )
                allowed = {401, 400} if user is None else {403, 404}
            else:
                data = {"csrf_token": csrf_token(browser)} if method != "GET" else None
                response = browser.open(url, method=method, data=data)
                allowed = {302, 401, 403, 404} if user is None else {403, 404}
                if user is None and response.status_code == 302:
                    assert "/login" in response.headers["Location"], (url, response.headers["Location"])
            if response.status_code not in allowed:
                failures.append((who, method, url, response.status_code))
    assert failures == []
    assert _snapshot(app) == before


JUNK_BODIES = [
    None,
    [],
    "text",
    12,
    {"title": None},
    {"title": "x" * 100_000},
    {"starts_at": "0001-01-01T00:00:00+14:00"},
    {"id": 2**63},
    {"name": "\x00"},
    {"mode": {"$ne": 1}},
    {"email": ["a@b.c"]},
    {"capacity": -1},
    {"session_id": "1 OR 1=1"},
    {"stream_url": "javascript:alert(1)"},
]


def test_junk_sent_by_an_organiser_to_every_route_of_their_event_is_a_4xx_never_a_500(
    app, make_event, make_user, make_token, logged_in_client
):
    make_event("event-a")
    organiser = make_user("organiser")
    token = {"Authorization": f"Bearer {make_token(organiser)}"}
    browser = logged_in_client(organiser)
    server_errors = []
    for method, rule in _routes(app):
        if method == "GET":
            continue
        url = _concrete(rule, "event-a")
        for body in JUNK_BODIES:
            if rule.startswith("/api/"):
                response = app.test_client().open(url, method=method, json=body, headers=token)
            else:
                form = body if isinstance(body, dict) else {"value": str(body)}
                form = {key: str(value) for key, value in form.items()}
                response = browser.open(url, method=method, data={**form, "csrf_token": csrf_token(browser)})
            if response.status_code >= 500:
                server_errors.append((method, url, repr(body)[:40], response.status_code))
    assert server_errors == []
