"""The back-office rules on PostgreSQL (schema built by the migrations): slugs, rooms, records, drafts."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from manage_support import event_payload, session_payload
from pg_support import postgres_app

from conference.accounts.services import create_api_token, create_user
from conference.errors import ServiceError
from conference.extensions import db
from conference.programme import editing
from conference.programme.schemas import EventCreateIn, SessionIn
from conference.programme.services import list_events
from conference.rooms.models import Question


@pytest.fixture()
def pg_app():
    with postgres_app("manage_programme") as app:
        yield app


def test_event_and_programme_rules_hold_on_postgres(pg_app):
    with pg_app.app_context():
        session = db.session
        admin = create_user(
            session, email="admin@example.org", name="Admin", role="admin", password="long enough pw"
        )
        event = editing.create_event(session, EventCreateIn(**event_payload()), created_by=admin)
        assert event.starts_at == datetime(2031, 3, 10, 0, 0, tzinfo=UTC)
        with pytest.raises(ServiceError) as taken:
            editing.create_event(session, EventCreateIn(**event_payload()))
        assert taken.value.code == "slug_taken"
        first = editing.save_session(
            session,
            event,
            SessionIn(
                **session_payload(room="Hall A", starts_at="2031-03-10T10:00", ends_at="2031-03-10T11:00")
            ),
        )
        with pytest.raises(ServiceError) as clash:
            editing.save_session(
                session,
                event,
                SessionIn(
                    **session_payload(room="HALL A", starts_at="2031-03-10T10:30", ends_at="2031-03-10T11:30")
                ),
            )
        assert clash.value.code == "room_taken"
        session.rollback()
        session.add(Question(session_id=first.id, user_id=admin.id, text="?"))
        session.commit()
        with pytest.raises(ServiceError) as kept:
            editing.delete_session(session, first)
        assert kept.value.details["records"] == ["questions"]
        session.rollback()
        assert [e.slug for e in list_events(session, None)] == []
        assert [e.slug for e in list_events(session, admin)] == ["dg-forum"]
        token = create_api_token(session, admin, "pg")

    client = pg_app.test_client()
    junk = client.post(
        "/api/v1/events/dg-forum/sessions",
        headers={"Authorization": f"Bearer {token}"},
        json=session_payload(title="nul\x00", starts_at="2031-03-10T12:00", ends_at="2031-03-10T13:00"),
    )
    assert junk.status_code == 400 and "title" in junk.get_json()["error"]["details"]["fields"]
    made = client.post(
        "/api/v1/events/dg-forum/sessions",
        headers={"Authorization": f"Bearer {token}"},
        json=session_payload(starts_at="2031-03-10T12:00", ends_at="2031-03-10T13:00"),
    )
    assert made.status_code == 201 and made.get_json()["starts_at"] == "2031-03-10T03:00:00Z"
