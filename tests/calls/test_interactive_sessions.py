"""Organisers mark a session interactive (a call in its live room) in the back-office and the API."""

from __future__ import annotations

from manage_support import session_payload

from conference.extensions import db
from conference.programme.models import ProgrammeSession


def test_the_api_marks_a_session_interactive_and_its_room_gets_a_call(
    app, client, make_event, make_user, make_token
):
    event = make_event("sym")
    organiser = make_user("organiser")
    headers = {"Authorization": f"Bearer {make_token(organiser)}"}
    created = client.post(f"/api/v1/events/{event.slug}/sessions", json=session_payload(), headers=headers)
    assert created.status_code == 201 and created.get_json()["interactive"] is False
    session_id = created.get_json()["id"]
    changed = client.patch(
        f"/api/v1/events/{event.slug}/sessions/{session_id}", json={"interactive": True}, headers=headers
    )
    assert changed.status_code == 200 and changed.get_json()["interactive"] is True
    refused = client.patch(
        f"/api/v1/events/{event.slug}/sessions/{session_id}", json={"interactive": "maybe"}, headers=headers
    )
    assert refused.status_code == 400 and refused.get_json()["error"]["code"]
    with app.app_context():
        assert db.session.get(ProgrammeSession, session_id).interactive is True


def test_the_session_form_has_the_call_checkbox(app, client, make_event, make_user, logged_in_client):
    event = make_event("sym")
    organiser = make_user("organiser")
    with app.app_context():
        session = db.session.query(ProgrammeSession).filter_by(event_id=event.id, kind="workshop").one()
        session_id = session.id
    browser = logged_in_client(organiser)
    page = browser.get(f"/manage/events/{event.slug}/programme/sessions/{session_id}")
    assert page.status_code == 200 and b'name="interactive"' in page.data
