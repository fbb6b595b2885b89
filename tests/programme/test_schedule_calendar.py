"""Calendar files: a whole-event and a per-session .ics in the event's own time zone, parsed back."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import icalendar
from sqlalchemy import select

from conference.programme.models import Event, ProgrammeSession, Speaker, Track
from conference.schedule.calendar import event_calendar, session_calendar


def berlin_event(db, *, published: bool = True) -> Event:
    """An event in Berlin across the clock change of 31 March 2030 (02:00 CET -> 03:00 CEST)."""
    event = Event(
        slug="democon",
        title="DemoCon",
        timezone="Europe/Berlin",
        venue="Kongresshalle",
        city="Berlin",
        starts_at=datetime(2030, 3, 30, 7, 0, tzinfo=UTC),
        ends_at=datetime(2030, 3, 31, 20, 0, tzinfo=UTC),
        published=published,
    )
    db.add(event)
    db.flush()
    track = Track(event_id=event.id, name="Ethics")
    speaker = Speaker(event_id=event.id, name="Dr. Ana Silva")
    db.add_all([track, speaker])
    db.flush()
    winter = ProgrammeSession(
        event_id=event.id,
        track_id=track.id,
        kind="thematic",
        room="Saal 1",
        title="Ethics, law; and AI \\ a very long title that needs folding " + "x" * 60,
        description="Line one\nline two",
        starts_at=datetime(2030, 3, 30, 9, 0, tzinfo=UTC),
        ends_at=datetime(2030, 3, 30, 10, 0, tzinfo=UTC),
    )
    winter.speakers = [speaker]
    summer = ProgrammeSession(
        event_id=event.id,
        kind="plenary",
        title="Summer time plenary",
        room="Saal 2",
        starts_at=datetime(2030, 3, 31, 8, 0, tzinfo=UTC),
        ends_at=datetime(2030, 3, 31, 9, 0, tzinfo=UTC),
    )
    db.add_all([winter, summer])
    db.commit()
    return event


def vevents(body: bytes) -> dict[str, icalendar.Event]:
    calendar = icalendar.Calendar.from_ical(body)
    return {str(e["uid"]): e for e in calendar.walk("VEVENT")}


def test_the_event_calendar_has_every_session_at_the_right_instant_in_the_event_zone(db):
    event = berlin_event(db)
    body = event_calendar(db, event, base_url="https://example.org/events/democon/")
    calendar = icalendar.Calendar.from_ical(body)

    zones = calendar.walk("VTIMEZONE")
    assert [str(z["tzid"]) for z in zones] == ["Europe/Berlin"]
    assert {c.name for c in zones[0].subcomponents} >= {"STANDARD", "DAYLIGHT"}
    # The clock change during the event: summer time from 03:00 local on 31 March 2030, UTC+1 -> UTC+2.
    summer = [
        c
        for c in zones[0].subcomponents
        # VTIMEZONE rules are local wall times, without a zone
        if c.name == "DAYLIGHT" and c.decoded("dtstart") == datetime(2030, 3, 31, 3, 0)  # noqa: DTZ001
    ]
    assert len(summer) == 1
    assert (summer[0].decoded("tzoffsetfrom"), summer[0].decoded("tzoffsetto")) == (
        timedelta(hours=1),
        timedelta(hours=2),
    )
    assert b"DTSTART;TZID=Europe/Berlin:20300330T100000" in body  # 09:00 UTC on the winter wall clock
    assert b"DTSTART;TZID=Europe/Berlin:20300331T100000" in body  # 08:00 UTC on the summer wall clock

    events = {str(e["summary"]): e for e in calendar.walk("VEVENT")}
    assert set(events) == {
        "DemoCon",
        "Summer time plenary",
        next(t for t in events if t.startswith("Ethics")),
    }
    winter = next(e for title, e in events.items() if title.startswith("Ethics"))
    assert winter.decoded("dtstart") == datetime(2030, 3, 30, 9, 0, tzinfo=UTC)
    assert (
        winter.decoded("dtstart").tzinfo is not None
        and str(winter.decoded("dtstart").tzinfo) == "Europe/Berlin"
    )
    assert events["Summer time plenary"].decoded("dtstart") == datetime(2030, 3, 31, 8, 0, tzinfo=UTC)
    assert events["Summer time plenary"].decoded("dtend") - events["Summer time plenary"].decoded(
        "dtstart"
    ) == timedelta(hours=1)
    assert str(winter["location"]) == "Saal 1, Kongresshalle, Berlin"
    assert "Speakers: Dr. Ana Silva" in str(winter["description"])
    assert str(winter["url"]).startswith("https://example.org/events/democon/sessions/")


def test_text_is_escaped_and_lines_are_folded_at_75_octets(db):
    event = berlin_event(db)
    body = event_calendar(db, event)
    assert b"SUMMARY:Ethics\\, law\\; and AI \\\\ a very long" in body
    assert b"Line one\\nline two" in body
    assert all(len(line) <= 75 for line in body.split(b"\r\n"))
    title = next(str(e["summary"]) for e in vevents(body).values() if str(e["summary"]).startswith("Ethics"))
    assert title.endswith("x" * 60) and "Ethics, law; and AI \\ a very" in title


def test_uids_stay_the_same_from_one_download_to_the_next(db):
    event = berlin_event(db)
    first, second = vevents(event_calendar(db, event)), vevents(event_calendar(db, event))
    assert set(first) == set(second) and len(first) == 3
    session = db.scalar(select(ProgrammeSession).where(ProgrammeSession.title == "Summer time plenary"))
    single = vevents(session_calendar(db, session))
    assert len(single) == 1 and set(single) <= set(first)


def test_a_zone_without_clock_changes_has_one_standard_offset(db, make_event):
    event = db.merge(make_event("seoul"))
    body = event_calendar(db, event)
    zone = icalendar.Calendar.from_ical(body).walk("VTIMEZONE")[0]
    assert str(zone["tzid"]) == "Asia/Seoul"
    assert [c.name for c in zone.subcomponents] == ["STANDARD"]
    assert b"TZOFFSETTO:+0900" in body


def test_the_calendar_routes_answer_text_calendar_with_a_filename(app, client, db):
    event = berlin_event(db)
    session = db.scalar(select(ProgrammeSession).where(ProgrammeSession.title == "Summer time plenary"))
    whole = client.get("/events/democon/calendar.ics")
    assert whole.status_code == 200
    assert whole.headers["Content-Type"] == "text/calendar; charset=utf-8"
    assert whole.headers["Content-Disposition"] == 'attachment; filename="democon.ics"'
    assert len(vevents(whole.data)) == 3
    one = client.get(f"/events/democon/sessions/{session.id}/calendar.ics")
    assert one.status_code == 200 and one.headers["Content-Type"] == "text/calendar; charset=utf-8"
    assert f'filename="democon-session-{session.id}.ics"' in one.headers["Content-Disposition"]
    assert [str(e["summary"]) for e in vevents(one.data).values()] == ["Summer time plenary"]
    assert b"URL:http://localhost/events/democon/sessions/" in one.data
    assert client.get("/events/democon/sessions/999999/calendar.ics").status_code == 404
    assert event.id


def test_pages_link_to_the_calendar_files(client, db):
    berlin_event(db)
    session = db.scalar(select(ProgrammeSession).where(ProgrammeSession.title == "Summer time plenary"))
    assert 'href="/events/democon/calendar.ics"' in client.get("/events/democon").get_data(as_text=True)
    assert 'href="/events/democon/calendar.ics"' in client.get("/events/democon/agenda").get_data(
        as_text=True
    )
    page = client.get(f"/events/democon/sessions/{session.id}").get_data(as_text=True)
    assert f'href="/events/democon/sessions/{session.id}/calendar.ics"' in page


def test_a_draft_event_has_no_public_calendar(client, db):
    berlin_event(db, published=False)
    assert client.get("/events/democon/calendar.ics").status_code == 404
    assert client.get("/events/democon/schedule.json").status_code == 404
