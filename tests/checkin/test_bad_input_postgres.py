"""NUL characters on PostgreSQL (schema built by the migrations), which refuses them in text: in the
address, the query string, a form field or a JSON body they get a 4xx with the error shape, never
the driver's DataError as a 500 (issue #14 item 8)."""

from __future__ import annotations

import uuid

import pytest
from conftest import csrf_token, post_form
from pg_support import postgres_app
from sqlalchemy import func, select

from conference.accounts.models import User
from conference.checkin.models import ScanRecord
from conference.extensions import db as _db


@pytest.fixture()
def app():
    with postgres_app("bad_input") as app:
        yield app


# What the page says (conference/i18n/messages.py, code invalid_characters); the API's message names the NUL.
REFUSED = b"The text contains a character that is not allowed."


def _error(response, status: int, code: str) -> None:
    assert response.status_code == status, response.data[:300]
    assert response.get_json()["error"]["code"] == code


def test_nul_characters_never_reach_postgres_as_a_500(
    app, client, venue, attendee_badge, make_user, make_token, login
):
    _error(client.get("/api/v1/events/gov%00x"), 400, "invalid_characters")
    page = client.get("/events/gov%00x")
    assert page.status_code == 400 and REFUSED in page.data

    login_form = post_form(client, "/login", {"email": "admin\x00@example.org", "password": "whatever pw"})
    assert login_form.status_code == 400 and REFUSED in login_form.data
    signup = post_form(
        client,
        "/signup",
        {
            "email": "new@example.org",
            "name": "Nul\x00Name",
            "password": "a long enough password",
            "confirm": "a long enough password",
            "country": "KR",
        },
    )
    assert signup.status_code == 400 and REFUSED in signup.data
    with app.app_context():
        assert _db.session.scalar(select(User.id).where(User.email == "new@example.org")) is None

    organiser = make_user("organiser")
    http = login(app.test_client(), organiser)
    with app.app_context():
        from conference.programme.models import Event

        slug = _db.session.get(Event, venue.event_id).slug
    people = http.get(f"/manage/events/{slug}/participants?q=gov%00x")
    assert people.status_code == 400 and REFUSED in people.data
    _error(
        http.get(f"/manage/events/{slug}/participants?q=gov%00x", headers={"Accept": "application/json"}),
        400,
        "invalid_characters",
    )

    # A NUL inside a JSON string reaches the database: PostgreSQL's refusal becomes the same 400.
    _registration_id, code = attendee_badge(venue)
    token = make_token(venue.staff)
    scan = client.post(
        "/api/v1/checkin/scan",
        json={"code": code, "list": venue.entrance_id, "scan_id": str(uuid.uuid4()), "gate": "A\x00B"},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert scan.status_code == 200, scan.data[:300]  # the gate is cleaned of control characters
    assert scan.get_json()["gate"] == "AB"
    person = http.post(
        f"/api/v1/events/{slug}/registrations",
        json={"email": "nul@example.org", "name": "Ana", "organisation": "Gov\x00ernance", "mode": "online"},
        headers={"X-CSRFToken": csrf_token(http)},
    )
    _error(person, 400, "invalid_characters")  # PostgreSQL refused it: the backstop
    # Names refuse control and invisible characters themselves (display spoofing), before PostgreSQL.
    named = http.post(
        f"/api/v1/events/{slug}/registrations",
        json={"email": "nul2@example.org", "name": "Gov\x00ernance", "mode": "online"},
        headers={"X-CSRFToken": csrf_token(http)},
    )
    assert named.status_code == 400 and named.get_json()["error"]["code"] == "invalid_request"
    with app.app_context():
        assert _db.session.scalar(select(func.count()).select_from(ScanRecord)) == 1
