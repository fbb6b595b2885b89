"""The registrations JSON API: the same rules and payload models as the back-office, with bearer tokens."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from conference.extensions import db
from conference.grants.services import grant
from conference.programme.models import Event
from conference.registrations.models import Registration, RegistrationField

API = "/api/v1/events/symposium"


@pytest.fixture()
def tokens(app, make_user, make_event, make_token):
    """Bearer headers by role at "symposium" (and an organiser of another event)."""
    event, other = make_event("symposium"), make_event("other")
    users = {name: make_user() for name in ("organiser", "other_organiser", "staff", "attendee")}
    with app.app_context():
        grant(db.session, db.session.get(Event, event.id), db.session.merge(users["organiser"]), "organiser")
        grant(
            db.session,
            db.session.get(Event, other.id),
            db.session.merge(users["other_organiser"]),
            "organiser",
        )
        grant(db.session, db.session.get(Event, event.id), db.session.merge(users["staff"]), "staff")
    return {name: {"Authorization": f"Bearer {make_token(user)}"} for name, user in users.items()}


def registrations(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(Registration))


def test_fields_then_people_through_the_api(app, client, tokens):
    organiser = tokens["organiser"]
    bad_field = client.post(
        f"{API}/registration-fields", json={"label": "Gender", "kind": "choice"}, headers=organiser
    )
    assert bad_field.status_code == 400
    assert bad_field.get_json()["error"]["details"]["fields"] == {
        "choices": ["list the choices, one per line"]
    }
    made = client.post(
        f"{API}/registration-fields",
        headers=organiser,
        json={"label": "Gender", "kind": "choice", "choices": ["Woman", "Man"]},
    )
    assert made.status_code == 201 and made.get_json()["field"]["key"] == "gender"
    again = client.post(
        f"{API}/registration-fields", headers=organiser, json={"label": "Gender", "kind": "text"}
    )
    assert again.status_code == 409 and again.get_json()["error"]["code"] == "duplicate_key"

    wrong = client.post(
        f"{API}/registrations",
        headers=organiser,
        json={"email": "ana@example.org", "name": "Ana", "mode": "in_person", "answers": {"gender": "Robot"}},
    )
    assert wrong.status_code == 400 and wrong.get_json()["error"]["details"]["fields"] == {
        "gender": "'Robot' is not one of the choices"
    }
    assert registrations(app) == 0
    added = client.post(
        f"{API}/registrations",
        headers=organiser,
        json={"email": "Ana@Example.org", "name": "Ana", "mode": "in_person", "answers": {"gender": "woman"}},
    )
    body = added.get_json()
    assert added.status_code == 201 and body["account_created"] is True
    assert body["registration"]["status"] == "confirmed" and body["registration"]["answers"] == {
        "gender": "Woman"
    }
    registration_id = body["registration"]["id"]
    moved = client.patch(f"{API}/registrations/{registration_id}", json={"mode": "online"}, headers=organiser)
    assert moved.get_json()["registration"]["mode"] == "online"
    assert (
        client.patch(
            f"{API}/registrations/{registration_id}", json={"mode": "hybrid"}, headers=organiser
        ).status_code
        == 400
    )
    not_pending = client.post(f"{API}/registrations/{registration_id}/approve", headers=organiser)
    assert not_pending.status_code == 409 and not_pending.get_json()["error"]["code"] == "not_pending"
    cancelled = client.post(f"{API}/registrations/{registration_id}/cancel", headers=organiser)
    assert cancelled.get_json()["registration"]["status"] == "cancelled"

    listed = client.get(f"{API}/registrations?status=cancelled", headers=tokens["staff"]).get_json()
    assert listed["total"] == 1 and listed["registrations"][0]["user"]["email"] == "ana@example.org"


def test_import_dry_run_then_apply(app, client, tokens):
    organiser = tokens["organiser"]
    bad = "email,name,organisation,country,mode\na@example.org,A,O,KR,online\nb@example.org,B,O,KR,maybe\n"
    preview = client.post(
        f"{API}/registrations/import", json={"csv_text": bad, "dry_run": True}, headers=organiser
    )
    assert preview.status_code == 422
    assert preview.get_json()["problems"] == [
        {"line": 3, "message": "line 3: mode must be in_person or online, not 'maybe'"}
    ]
    refused = client.post(f"{API}/registrations/import", json={"csv_text": bad}, headers=organiser)
    assert refused.status_code == 400 and refused.get_json()["error"]["details"]["line"] == 3
    assert registrations(app) == 0
    good = bad.replace("maybe", "in_person")
    plan = client.post(
        f"{API}/registrations/import", json={"csv_text": good, "dry_run": True}, headers=organiser
    ).get_json()
    assert [r["action"] for r in plan["rows"]] == ["create", "create"] and registrations(app) == 0
    done = client.post(
        f"{API}/registrations/import",
        json={"csv_text": good, "preview_digest": plan["digest"]},
        headers=organiser,
    )
    assert done.status_code == 200 and done.get_json()["registrations_created"] == 2


@pytest.mark.parametrize(
    "who, read, write",
    [
        ("organiser", 200, 201),
        ("staff", 200, 403),
        ("other_organiser", 403, 403),
        ("attendee", 403, 403),
        (
            "anonymous",
            401,
            400,
        ),  # a write without a token is a cookie write: refused for its missing CSRF token
    ],
)
def test_who_may_use_the_api(app, client, tokens, who, read, write):
    headers = tokens.get(who, {})
    assert client.get(f"{API}/registrations", headers=headers).status_code == read
    assert client.get(f"{API}/registration-fields", headers=headers).status_code == read
    response = client.post(
        f"{API}/registrations",
        headers=headers,
        json={"email": "x@example.org", "name": "X", "mode": "online"},
    )
    assert response.status_code == write
    if write != 201:
        assert response.get_json()["error"]["code"] in ("forbidden", "unauthorized", "csrf_failed")
        assert registrations(app) == 0
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(RegistrationField)) == 0
