"""Schedule files and organisers' translations (issue 16): the .ics downloads read the viewer's language,
with the original where a text has no translation; `schedule.json` keeps the original texts unless a
language is asked for with `?lang=`, and a translated file imported back leaves the originals alone."""

from __future__ import annotations

import icalendar
from sqlalchemy import select

from conference.extensions import db as _db
from conference.programme.models import Event, ProgrammeSession
from conference.schedule.services import export_schedule, import_schedule


def translate(app, event, *, language: str = "fr") -> None:
    """The event and its plenary translated into `language`; "AI Ethics" keeps only its original."""
    with app.app_context():
        row = _db.session.get(Event, event.id)
        row.translations = {
            "title": {language: f"Colloque ({language})"},
            "description": {language: "Un test"},
        }
        plenary = _db.session.scalar(
            select(ProgrammeSession).where(
                ProgrammeSession.event_id == event.id, ProgrammeSession.title == "Opening session"
            )
        )
        plenary.translations = {
            "title": {language: "Séance d'ouverture"},
            "description": {language: "Bienvenue"},
        }
        plenary.description = "Welcome"
        _db.session.commit()


def summaries(body: bytes) -> dict[str, icalendar.Event]:
    """VEVENTs by their summary."""
    return {str(e["summary"]): e for e in icalendar.Calendar.from_ical(body).walk("VEVENT")}


def test_the_event_calendar_is_in_the_viewers_language_with_the_original_as_fallback(app, client, make_event):
    event = make_event()
    translate(app, event)
    french = client.get(f"/events/{event.slug}/calendar.ics", headers={"Accept-Language": "fr"})
    assert french.status_code == 200
    assert {"Accept-Language", "Cookie"} <= set(french.vary)
    calendar = icalendar.Calendar.from_ical(french.data)
    assert str(calendar["X-WR-CALNAME"]) == "Colloque (fr)"
    events = summaries(french.data)
    assert set(events) == {"Colloque (fr)", "Séance d'ouverture", "AI Ethics", "Regional breakouts"}
    assert str(events["Colloque (fr)"]["description"]) == "Un test"
    opening = str(events["Séance d'ouverture"]["description"])
    assert opening.startswith("Bienvenue") and "Intervenants : Dr. Test Speaker" in opening

    # A language without translations reads the originals; English words of the file in Chinese.
    chinese = summaries(
        client.get(f"/events/{event.slug}/calendar.ics", headers={"Accept-Language": "zh"}).data
    )
    assert {"Symposium 1", "Opening session", "AI Ethics"} <= set(chinese)
    assert str(chinese["Opening session"]["description"]) == "Welcome\n\n演讲人：Dr. Test Speaker"


def test_lang_in_the_address_wins_and_a_session_calendar_follows_the_viewer(app, client, make_event):
    event = make_event()
    translate(app, event)
    asked = client.get(f"/events/{event.slug}/calendar.ics?lang=fr", headers={"Accept-Language": "en"})
    assert "Séance d'ouverture" in summaries(asked.data) and "Accept-Language" not in asked.vary
    assert client.get(f"/events/{event.slug}/calendar.ics?lang=xx").status_code == 400
    with app.app_context():
        plenary_id = _db.session.scalar(
            select(ProgrammeSession.id).where(
                ProgrammeSession.event_id == event.id, ProgrammeSession.title == "Opening session"
            )
        )
    client.set_cookie("lang", "fr")
    one = client.get(f"/events/{event.slug}/sessions/{plenary_id}/calendar.ics")
    assert list(summaries(one.data)) == ["Séance d'ouverture"]
    assert str(icalendar.Calendar.from_ical(one.data)["X-WR-CALNAME"]) == "Séance d'ouverture"


def test_the_personal_agenda_ics_is_in_the_viewers_language(
    app, make_event, make_user, make_registration, logged_in_client
):
    event = make_event()
    user = make_user(email="layla@example.org")
    make_registration(user, event)  # first: it merges the event as make_event left it
    translate(app, event, language="ar")
    client = logged_in_client(user)
    client.set_cookie("lang", "ar")
    response = client.get(f"/events/{event.slug}/my-agenda.ics")
    assert response.status_code == 200 and "Cookie" in response.vary
    calendar = icalendar.Calendar.from_ical(response.data)
    assert str(calendar["X-WR-CALNAME"]) == "Colloque (ar) · جدول أعمالي"
    assert {"Colloque (ar)", "Séance d'ouverture", "AI Ethics"} <= set(summaries(response.data))


def test_schedule_json_keeps_the_originals_unless_a_language_is_asked_for(app, client, make_event):
    event = make_event()
    translate(app, event)
    plain = client.get(f"/events/{event.slug}/schedule.json", headers={"Accept-Language": "fr"}).json
    conference = plain["schedule"]["conference"]
    talks = {t["title"]: t for day in conference["days"] for room in day["rooms"].values() for t in room}
    assert conference["title"] == "Symposium 1" and "Opening session" in talks
    assert "original" not in talks["Opening session"]["conference"]

    french = client.get(f"/events/{event.slug}/schedule.json?lang=fr").json["schedule"]["conference"]
    talks = {t["title"]: t for day in french["days"] for room in day["rooms"].values() for t in room}
    assert french["title"] == "Colloque (fr)" and french["description"] == "Un test"
    opening = talks["Séance d'ouverture"]
    assert opening["abstract"] == "Bienvenue"
    assert opening["conference"]["original"] == {"title": "Opening session", "abstract": "Welcome"}
    assert (
        talks["AI Ethics"]["conference"]["original"]["title"] == "AI Ethics"
    )  # no translation: the original

    refused = client.get(
        f"/events/{event.slug}/schedule.json?lang=klingon", headers={"Accept": "application/json"}
    )
    assert refused.status_code == 400 and refused.json["error"]["code"] == "unknown_language"


def test_a_translated_file_imported_back_keeps_the_original_texts(app, make_event):
    event = make_event()
    translate(app, event)
    with app.app_context():
        row = _db.session.get(Event, event.id)
        document = export_schedule(_db.session, row, language="fr")
        report = import_schedule(_db.session, row, document)
        assert report.ok, report
        titles = set(
            _db.session.scalars(select(ProgrammeSession.title).where(ProgrammeSession.event_id == event.id))
        )
        assert titles == {"Opening session", "AI Ethics", "Regional breakouts"}
        plenary = _db.session.scalar(
            select(ProgrammeSession).where(
                ProgrammeSession.event_id == event.id, ProgrammeSession.title == "Opening session"
            )
        )
        assert plenary.description == "Welcome"
        assert plenary.translations["title"] == {"fr": "Séance d'ouverture"}
