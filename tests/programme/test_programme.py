"""Events, the agenda in the event's time zone, the session page and the public JSON API."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from conference.extensions import db
from conference.programme.models import ProgrammeSession


def test_events_list_and_overview(client, make_event):
    make_event("symposium")
    assert "Symposium 1" in client.get("/").get_data(as_text=True)
    assert "Symposium 1" in client.get("/events").get_data(as_text=True)
    page = client.get("/events/symposium").get_data(as_text=True)
    assert "Opening session" in page and "Asia/Seoul" in page


def test_agenda_shows_event_zone_times_with_utc_instants_for_the_viewer(client, make_event):
    make_event("symposium", starts_at=datetime(2030, 5, 6, 0, 0, tzinfo=UTC))
    page = client.get("/events/symposium/agenda").get_data(as_text=True)
    assert "09:00–09:45" in page  # 00:00 UTC in Seoul (UTC+9)
    assert 'data-start="2030-05-06T00:00:00Z"' in page and 'data-end="2030-05-06T00:45:00Z"' in page
    assert 'data-event-tz="Asia/Seoul"' in page
    assert "Day 1 · Monday 6 May 2030" in page


def test_agenda_groups_by_the_local_day_not_the_utc_day(app, client, make_event):
    event = make_event("symposium", starts_at=datetime(2030, 5, 6, 0, 0, tzinfo=UTC))
    with app.app_context():
        # 15:30 UTC on the 6th is 00:30 on the 7th in Seoul: it belongs to the second day.
        late = datetime(2030, 5, 6, 15, 30, tzinfo=UTC)
        db.session.add(
            ProgrammeSession(
                event_id=event.id,
                title="Night owl briefing",
                kind="thematic",
                starts_at=late,
                ends_at=late + timedelta(hours=1),
            )
        )
        db.session.commit()
    page = client.get("/events/symposium/agenda").get_data(as_text=True)
    day2 = page.index("Day 2 · Tuesday 7 May 2030")
    assert page.index("Night owl briefing") > day2
    assert "00:30–01:30" in page


def test_session_page_lists_speakers(client, make_event):
    event = make_event("symposium")
    page = client.get(f"/events/symposium/sessions/{event.id and 1}").get_data(as_text=True)
    assert "Dr. Test Speaker" in page and "Director, UN" in page


def test_unknown_event_and_session_are_404(client, make_event):
    make_event("symposium")
    assert client.get("/events/nope").status_code == 404
    assert client.get("/events/symposium/sessions/999").status_code == 404


def test_api_lists_events_and_details_in_utc(client, make_event):
    make_event("symposium", starts_at=datetime(2030, 5, 6, 0, 0, tzinfo=UTC))
    listing = client.get("/api/v1/events").json
    assert [e["slug"] for e in listing["events"]] == ["symposium"]
    detail = client.get("/api/v1/events/symposium").json
    assert detail["timezone"] == "Asia/Seoul"
    opening = next(s for s in detail["sessions"] if s["title"] == "Opening session")
    assert opening["starts_at"] == "2030-05-06T00:00:00Z" and opening["ends_at"] == "2030-05-06T00:45:00Z"
    assert opening["speakers"][0]["name"] == "Dr. Test Speaker"
    assert detail["tracks"][0]["name"] == "Plenary"


def test_api_unknown_event_is_a_json_404(client):
    response = client.get("/api/v1/events/nope")
    assert response.status_code == 404 and response.json["error"]["code"] == "event_not_found"


def test_api_unknown_path_is_a_json_404(client):
    response = client.get("/api/v1/nothing-here")
    assert response.status_code == 404 and "error" in response.json
