"""The programme as a schedule.json file: export, import, round trips, pretalx files, refused files."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select

from conference import demo
from conference.errors import ServiceError
from conference.programme.models import (
    Event,
    ProgrammeSession,
    Speaker,
    Track,
    session_speakers,
)
from conference.schedule.services import (
    export_schedule,
    import_schedule,
    load_schedule_text,
)


def build_demo_programme(db) -> Event:
    """The demo's programme (event, tracks, speakers, sessions and breakouts), without its participants."""
    event = demo._event(db)
    demo._sessions(db, event, demo._tracks(db, event), demo._speakers(db, event))
    db.commit()
    return event


def empty_event_like(db, source: Event, slug: str) -> Event:
    event = Event(
        slug=slug,
        title="An empty copy",
        timezone=source.timezone,
        starts_at=source.starts_at,
        ends_at=source.ends_at,
    )
    db.add(event)
    db.commit()
    return event


def agenda(db, event: Event) -> list[tuple]:
    """What an attendee reads in the agenda, independent of database ids."""
    rows = []
    for s in db.scalars(select(ProgrammeSession).where(ProgrammeSession.event_id == event.id)):
        rows.append(
            (
                s.title,
                s.kind,
                s.track.name if s.track else None,
                s.room,
                s.starts_at.astimezone(UTC),
                s.ends_at.astimezone(UTC),
                s.capacity,
                s.language,
                s.description,
                s.questions_moderated,
                s.stream_url,
                s.parent.title if s.parent else None,
                tuple(sorted((p.name, p.title, p.organisation, p.country, p.bio) for p in s.speakers)),
            )
        )
    return sorted(rows, key=repr)


def tracks_of(db, event: Event) -> list[tuple]:
    return [
        (t.name, t.colour)
        for t in db.scalars(select(Track).where(Track.event_id == event.id).order_by(Track.position))
    ]


def row_counts(db) -> dict:
    return {
        table: db.scalar(select(func.count()).select_from(table))
        for table in (ProgrammeSession.__table__, Speaker.__table__, Track.__table__, session_speakers)
    }


def test_the_demo_programme_survives_export_and_import_into_an_empty_event(db):
    source = build_demo_programme(db)
    document = json.loads(json.dumps(export_schedule(db, source, include_private=True)))
    target = empty_event_like(db, source, "copy")

    report = import_schedule(db, target, document)

    assert report.ok and report.applied
    assert (report.sessions.created, report.sessions.updated, report.sessions.unchanged) == (14, 0, 0)
    assert report.speakers.created == len(demo.SPEAKERS)
    assert report.tracks.created == len(demo.TRACKS)
    assert agenda(db, target) == agenda(db, source)
    assert tracks_of(db, target) == tracks_of(db, source)
    breakouts = [row for row in agenda(db, target) if row[1] == "breakout"]
    assert len(breakouts) == 4 and {row[11] for row in breakouts} == {"Regional breakout sessions"}


def test_importing_the_same_file_again_changes_nothing(db):
    source = build_demo_programme(db)
    document = json.loads(json.dumps(export_schedule(db, source, include_private=True)))
    target = empty_event_like(db, source, "copy")
    import_schedule(db, target, document)
    before, agenda_before = row_counts(db), agenda(db, target)

    again = import_schedule(db, target, copy.deepcopy(document))

    assert again.ok and again.applied
    assert again.sessions.to_dict() == {"created": 0, "updated": 0, "unchanged": 14}
    assert again.speakers.to_dict() == {"created": 0, "updated": 0, "unchanged": len(demo.SPEAKERS)}
    assert again.tracks.to_dict() == {"created": 0, "updated": 0, "unchanged": len(demo.TRACKS)}
    assert row_counts(db) == before and agenda(db, target) == agenda_before
    # ...and the file exported from the copy names the same talks as the file it came from.
    assert import_schedule(db, source, export_schedule(db, source)).sessions.unchanged == 14


def test_export_gives_every_session_a_stable_guid_and_follows_the_layout(db):
    source = build_demo_programme(db)
    first = export_schedule(db, source, base_url="https://example.org/events/governance-ai-2030/")
    second = export_schedule(db, source, base_url="https://example.org/events/governance-ai-2030/")
    assert first == second
    conference = first["schedule"]["conference"]
    assert conference["time_zone_name"] == "Asia/Seoul" and conference["daysCount"] == 3
    assert [d["index"] for d in conference["days"]] == [1, 2, 3]
    talk = conference["days"][0]["rooms"]["Grand Ballroom"][0]
    assert talk["title"] == "Opening session" and talk["start"] == "09:00" and talk["duration"] == "00:45"
    assert talk["date"].endswith("T09:00:00+09:00") and talk["type"] == "plenary"
    assert talk["url"].startswith("https://example.org/events/governance-ai-2030/sessions/")
    assert {p["name"] for p in talk["persons"]} == {"Dr. Hye-jin Yoon", "Mr. Tomás Alvarez"}
    assert "stream_url" not in talk["conference"]  # the public copy keeps stream addresses private
    guids = [t["guid"] for d in conference["days"] for ts in d["rooms"].values() for t in ts]
    assert len(set(guids)) == 14 and None not in guids


BERLIN_FILE = {
    "schedule": {
        "version": "0.7",
        "base_url": "https://pretalx.example/democon/schedule/",
        "conference": {
            "acronym": "democon",
            "title": "DemoCon",
            "start": "2030-03-30",
            "end": "2030-03-31",
            "daysCount": 2,
            "timeslot_duration": "00:05",
            "time_zone_name": "Europe/Berlin",
            "tracks": [{"name": "Security", "color": "#AA3300"}, {"name": "Community", "color": "#3a3"}],
            "rooms": [{"name": "Saal 1", "guid": "b379c473-93b9-4eae-9a09-d482e86cede3"}],
            "days": [
                {
                    "index": 1,
                    "date": "2030-03-30",
                    "day_start": "2030-03-30T04:00:00+01:00",
                    "day_end": "2030-03-31T03:59:00+02:00",
                    "rooms": {
                        "Saal 1": [
                            {
                                "id": 25,
                                "guid": "8079583e-8321-506c-95af-fd2903a5f075",
                                "logo": "",
                                "date": "2030-03-30T10:00:00+01:00",
                                "start": "10:00",
                                "duration": "00:30",
                                "room": "Saal 1",
                                "slug": "democon-25-focused",
                                "url": "https://pretalx.example/democon/talk/G9JGWY/",
                                "title": "Focused hardware",
                                "subtitle": "",
                                "track": "Security",
                                "type": "Talk",
                                "language": "de",
                                "abstract": "Short.",
                                "description": "Longer text.",
                                "recording_license": "",
                                "do_not_record": False,
                                "persons": [
                                    {
                                        "id": 26,
                                        "code": "NQTF8Y",
                                        "public_name": "Brian Robinson",
                                        "biography": "Breaks things.",
                                        "answers": [],
                                    }
                                ],
                                "links": [],
                                "attachments": [],
                                "answers": [],
                            },
                            {
                                "id": 26,
                                "guid": "2d64f8e2-26ee-529f-b5ab-3b3f326e31b9",
                                "date": "2030-03-30T23:30:00",
                                "start": "23:30",
                                "duration": "04:00",
                                "room": "Saal 1",
                                "slug": "democon-26-night",
                                "url": "",
                                "title": "Night across the clock change",
                                "subtitle": "",
                                "track": None,
                                "type": "Workshop",
                                "language": "en",
                                "abstract": None,
                                "description": None,
                                "persons": [
                                    {"name": "Jordan Parks", "guid": "8a1d1c8a-1111-4b7e-9d3b-1a2b3c4d5e6f"}
                                ],
                                "links": [],
                                "attachments": [],
                            },
                        ]
                    },
                },
                {
                    "index": 2,
                    "date": "2030-03-31",
                    "day_start": "2030-03-31T04:00:00+02:00",
                    "day_end": "2030-04-01T03:59:00+02:00",
                    "rooms": {
                        "Saal 1": [
                            {
                                "id": 33,
                                "guid": "a179c8ac-e6eb-5b25-8ed0-c5828ef7b6d9",
                                "start": "10:00",
                                "duration": "01:00",
                                "room": "Saal 1",
                                "slug": "democon-33",
                                "url": "",
                                "title": "Summer time talk",
                                "subtitle": "",
                                "track": "Community",
                                "type": "Talk",
                                "language": "en",
                                "abstract": "",
                                "description": "",
                                "persons": [
                                    {
                                        "id": 26,
                                        "code": "NQTF8Y",
                                        "public_name": "Brian Robinson",
                                        "biography": "Breaks things.",
                                    }
                                ],
                                "links": [],
                                "attachments": [],
                            },
                        ]
                    },
                },
            ],
        },
    }
}


@pytest.fixture()
def berlin(db):
    event = Event(
        slug="democon",
        title="DemoCon",
        timezone="Europe/Berlin",
        starts_at=datetime(2030, 3, 30, 7, 0, tzinfo=UTC),
        ends_at=datetime(2030, 3, 31, 20, 0, tzinfo=UTC),
    )
    db.add(event)
    db.commit()
    return event


def sessions_by_title(db, event) -> dict[str, ProgrammeSession]:
    return {
        s.title: s for s in db.scalars(select(ProgrammeSession).where(ProgrammeSession.event_id == event.id))
    }


def test_a_pretalx_file_across_a_clock_change_imports_with_the_right_utc_times(db, berlin):
    report = import_schedule(db, berlin, copy.deepcopy(BERLIN_FILE))

    assert report.ok, report.errors
    sessions = sessions_by_title(db, berlin)
    winter = sessions["Focused hardware"]  # 10:00 CET = 09:00 UTC
    assert winter.starts_at == datetime(2030, 3, 30, 9, 0, tzinfo=UTC)
    assert winter.ends_at == datetime(2030, 3, 30, 9, 30, tzinfo=UTC)
    summer = sessions["Summer time talk"]  # a day's date plus "10:00", read in Berlin: 10:00 CEST = 08:00 UTC
    assert summer.starts_at == datetime(2030, 3, 31, 8, 0, tzinfo=UTC)
    night = sessions["Night across the clock change"]  # 23:30 CET, four hours of elapsed time
    assert night.starts_at == datetime(2030, 3, 30, 22, 30, tzinfo=UTC)
    assert night.ends_at == datetime(2030, 3, 31, 2, 30, tzinfo=UTC)  # 04:30 CEST on the wall clock
    assert (winter.kind, night.kind, winter.language) == ("thematic", "workshop", "de")
    assert winter.description == "Short.\n\nLonger text."
    assert winter.guid == "8079583e-8321-506c-95af-fd2903a5f075"
    assert winter.track.name == "Security" and winter.track.colour == "#aa3300"
    assert summer.track.colour == "#33aa33" and night.track is None
    # The same person (pretalx id 26) in two talks is one speaker, with the biography.
    assert winter.speakers[0] is summer.speakers[0]
    assert (winter.speakers[0].name, winter.speakers[0].bio) == ("Brian Robinson", "Breaks things.")
    assert {s.name for s in db.scalars(select(Speaker).where(Speaker.event_id == berlin.id))} == {
        "Brian Robinson",
        "Jordan Parks",
    }

    again = import_schedule(db, berlin, copy.deepcopy(BERLIN_FILE))
    assert again.sessions.to_dict() == {"created": 0, "updated": 0, "unchanged": 3}


def test_a_changed_file_updates_matched_sessions_and_leaves_the_others_alone(db, berlin):
    db.add(
        ProgrammeSession(
            event_id=berlin.id,
            title="Organisers' own welcome",
            kind="plenary",
            starts_at=datetime(2030, 3, 30, 7, 0, tzinfo=UTC),
            ends_at=datetime(2030, 3, 30, 7, 30, tzinfo=UTC),
        )
    )
    db.commit()
    import_schedule(db, berlin, copy.deepcopy(BERLIN_FILE))
    moved = copy.deepcopy(BERLIN_FILE)
    talk = moved["schedule"]["conference"]["days"][0]["rooms"]["Saal 1"][0]
    talk["date"], talk["start"], talk["title"] = (
        "2030-03-30T11:00:00+01:00",
        "11:00",
        "Focused hardware, moved",
    )

    report = import_schedule(db, berlin, moved)

    assert report.sessions.to_dict() == {"created": 0, "updated": 1, "unchanged": 2}
    assert report.sessions_not_in_file == 1
    sessions = sessions_by_title(db, berlin)
    assert sessions["Focused hardware, moved"].starts_at == datetime(2030, 3, 30, 10, 0, tzinfo=UTC)
    assert "Organisers' own welcome" in sessions and len(sessions) == 4


def test_a_preview_reports_the_same_numbers_and_writes_nothing(db, berlin):
    before = row_counts(db)
    preview = import_schedule(db, berlin, copy.deepcopy(BERLIN_FILE), apply=False)
    assert preview.ok and not preview.applied
    assert preview.sessions.created == 3 and preview.speakers.created == 2 and preview.tracks.created == 2
    assert row_counts(db) == before


def _bad(mutate) -> dict:
    data = copy.deepcopy(BERLIN_FILE)
    mutate(data["schedule"]["conference"])
    return data


def _talk(conference, day=0, index=0) -> dict:
    return conference["days"][day]["rooms"]["Saal 1"][index]


@pytest.mark.parametrize(
    ("mutate", "path", "words"),
    [
        (lambda c: c.update(time_zone_name="Europe/Atlantis"), "time_zone_name", "unknown time zone"),
        (lambda c: c.update(end="2030-03-01"), "end", "ends"),
        (
            lambda c: _talk(c).update(date="2030-04-05T10:00:00+02:00"),
            "days[0].rooms.Saal 1[0].date",
            "outside the event",
        ),
        (lambda c: _talk(c, 1).update(start="23:30"), "days[1].rooms.Saal 1[0].start", "outside the event"),
        (
            lambda c: _talk(c).update(duration="00:00"),
            "days[0].rooms.Saal 1[0].duration",
            "at least a minute",
        ),
        (lambda c: _talk(c).update(duration="half an hour"), "days[0].rooms.Saal 1[0].duration", "pattern"),
        (lambda c: _talk(c, 1).update(start="02:30"), "days[1].rooms.Saal 1[0].start", "does not exist"),
        (lambda c: _talk(c).update(title=""), "days[0].rooms.Saal 1[0].title", "at least 1 character"),
        (
            lambda c: _talk(c, 0, 1).update(guid=_talk(c)["guid"]),
            "days[0].rooms.Saal 1[1].guid",
            "used twice",
        ),
        (
            lambda c: _talk(c).update(conference={"parent": "no-such-guid"}),
            "days[0].rooms.Saal 1[0].conference.parent",
            "no session",
        ),
        (lambda c: _talk(c)["persons"][0].pop("public_name"), "days[0].rooms.Saal 1[0].persons[0]", "name"),
        (lambda c: c.pop("days"), "days", "required"),
    ],
)
def test_a_bad_file_is_refused_with_the_path_of_the_problem_and_nothing_written(
    db, berlin, mutate, path, words
):
    before = row_counts(db)
    report = import_schedule(db, berlin, _bad(mutate))
    assert not report.ok and not report.applied
    assert any(p.path == path and words in p.message for p in report.errors), report.errors
    assert row_counts(db) == before


def test_a_file_that_is_not_json_or_not_a_schedule_is_refused(db, berlin):
    with pytest.raises(ServiceError) as refused:
        load_schedule_text(b'{"schedule": {"version": ')
    assert refused.value.code == "invalid_json" and "line 1" in refused.value.message
    with pytest.raises(ServiceError):
        load_schedule_text(b"\xff\xfe not text")
    assert import_schedule(db, berlin, [1, 2]).errors[0].path == "schedule"
    assert import_schedule(db, berlin, {"schedule": {}}).errors[0].path == "schedule.conference"


def test_breakouts_name_their_parent_even_when_it_comes_later_in_the_file(db, berlin):
    data = copy.deepcopy(BERLIN_FILE)
    talks = data["schedule"]["conference"]["days"][1]["rooms"]["Saal 1"]
    talks.insert(
        0,
        {
            "guid": "child-1",
            "start": "10:00",
            "duration": "01:00",
            "title": "Breakout A",
            "type": "breakout",
            "room": "Room A",
            "persons": [],
            "conference": {
                "kind": "breakout",
                "parent": "a179c8ac-e6eb-5b25-8ed0-c5828ef7b6d9",
                "capacity": 30,
            },
        },
    )
    report = import_schedule(db, berlin, data)
    assert report.ok, report.errors
    sessions = sessions_by_title(db, berlin)
    child = sessions["Breakout A"]
    assert child.parent is sessions["Summer time talk"] and child.capacity == 30 and child.room == "Room A"
    assert child.kind == "breakout"


def test_a_copy_in_a_second_event_keeps_its_own_guid_and_both_reimport_cleanly(db, berlin):
    twin = Event(
        slug="democon-2",
        title="DemoCon again",
        timezone="Europe/Berlin",
        starts_at=berlin.starts_at,
        ends_at=berlin.ends_at,
    )
    db.add(twin)
    db.commit()
    assert import_schedule(db, berlin, copy.deepcopy(BERLIN_FILE)).sessions.created == 3
    assert import_schedule(db, twin, copy.deepcopy(BERLIN_FILE)).sessions.created == 3
    assert import_schedule(db, twin, copy.deepcopy(BERLIN_FILE)).sessions.unchanged == 3
    assert import_schedule(db, berlin, copy.deepcopy(BERLIN_FILE)).sessions.unchanged == 3
    assert len(set(db.scalars(select(ProgrammeSession.guid)))) == 6


def test_moving_a_session_by_file_announces_the_change_once_committed(db, berlin):
    from conference.hooks import session_changed

    import_schedule(db, berlin, copy.deepcopy(BERLIN_FILE))
    heard = []

    def receiver(event_id, **kwargs):
        heard.append((event_id, kwargs["session_id"], kwargs["changes"]))

    session_changed.connect(receiver)
    try:
        moved = copy.deepcopy(BERLIN_FILE)
        talk = moved["schedule"]["conference"]["days"][0]["rooms"]["Saal 1"][0]
        talk["date"], talk["room"], talk["title"] = "2030-03-30T11:00:00+01:00", "Saal 2", "Renamed"
        import_schedule(db, berlin, moved, apply=False)
        assert heard == []  # a preview announces nothing
        import_schedule(db, berlin, moved)
    finally:
        session_changed.disconnect(receiver)
    moved_session = sessions_by_title(db, berlin)["Renamed"]
    assert len(heard) == 1
    event_id, session_id, changes = heard[0]
    assert (event_id, session_id) == (berlin.id, moved_session.id)
    assert changes["room"] == ("Saal 1", "Saal 2")
    assert changes["starts_at"][1] == datetime(2030, 3, 30, 10, 0, tzinfo=UTC)
    assert "title" not in changes  # only what doors and live pages care about


def test_a_session_outside_the_events_dates_still_has_its_day_in_the_file(db, berlin):
    db.add(
        ProgrammeSession(
            event_id=berlin.id,
            title="Follow-up call",
            kind="workshop",
            room="Online",
            starts_at=datetime(2030, 4, 2, 9, 0, tzinfo=UTC),
            ends_at=datetime(2030, 4, 2, 10, 0, tzinfo=UTC),
        )
    )
    db.commit()
    days = export_schedule(db, berlin)["schedule"]["conference"]["days"]
    assert [d["date"] for d in days] == ["2030-03-30", "2030-03-31", "2030-04-01", "2030-04-02"]
    assert days[-1]["rooms"]["Online"][0]["title"] == "Follow-up call"
