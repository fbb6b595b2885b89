"""Every figure of the attendance report, on a scripted day (see scripted_day.py for the story)."""

from __future__ import annotations

from datetime import date

import pytest
from attendance.scripted_day import PAST_DAY, at, build_day

from conference.attendance import services
from conference.attendance.services import ModeNumbers
from conference.extensions import db as _db


@pytest.fixture()
def day(app, make_event, make_user, make_registration):
    return build_day(app, make_event, make_user, make_registration)


def _by_id(report, session_id):
    return next(s for s in report.sessions if s.id == session_id)


def test_event_totals_after_the_morning(app, day):
    with app.app_context():
        report = services.report(_db.session, _db.session.merge(day.event), now=at(3, 30))
    t = report.totals
    # Alice, Bob, Faisal, Emma online; Chitra and Dae both ways; Ivan on site. Hana's entry was undone,
    # Mona the moderator is not registered.
    assert (t.participants, t.online, t.on_site, t.hybrid) == (7, 6, 3, 2)
    assert t.entries == 6  # Chitra 3, Dae 1, Ivan 2 (a repeated "in" is still a scan); Hana's undone
    assert (t.sessions_attended, t.sessions_total) == (2, 3)
    assert t.now == ModeNumbers(online=1, on_site=0, combined=1)  # Dae's socket is still open
    assert t.peak == ModeNumbers(online=3, on_site=3, combined=5)
    assert [(c.code, c.name, c.count) for c in t.countries] == [
        ("KR", "South Korea", 3),
        ("FR", "France", 1),
        ("IN", "India", 1),
        ("JP", "Japan", 1),
    ]
    assert t.unknown_country == 1  # Faisal
    assert [(c.code, c.online, c.on_site) for c in t.countries] == [
        ("KR", 2, 2),
        ("FR", 1, 0),
        ("IN", 1, 1),
        ("JP", 1, 0),
    ]
    # (region, participants, online, on site): Eastern Asia is Alice, Bob, Dae (both ways) and Ivan.
    assert [(r.name, r.count, r.online, r.on_site) for r in t.regions] == [
        ("Eastern Asia", 4, 3, 2),
        ("Southern Asia", 1, 1, 1),
        ("Western Europe", 1, 1, 0),
        ("Unknown", 1, 1, 0),
    ]
    assert t.summary == "7 participants from 4 countries: 6 online, 3 on site (2 both); 2 sessions"


def test_per_session_figures(app, day):
    with app.app_context():
        report = services.report(_db.session, _db.session.merge(day.event), now=at(3, 30))
    plenary, ethics, workshop = (_by_id(report, i) for i in (day.plenary, day.ethics, day.workshop))

    assert (plenary.online, plenary.on_site, plenary.unique, plenary.hybrid, plenary.entries) == (
        3,
        0,
        3,
        0,
        0,
    )
    assert plenary.has_door_list is False
    assert plenary.online_seconds == 40 * 60 + 20 * 60 + 60
    assert plenary.now == ModeNumbers(0, 0, 0)
    assert plenary.peak == ModeNumbers(online=2, on_site=0, combined=2)
    assert [(c.code, c.count) for c in plenary.countries] == [("JP", 1), ("KR", 1), ("", 1)]

    assert (ethics.online, ethics.on_site, ethics.unique, ethics.hybrid, ethics.entries) == (3, 1, 3, 1, 2)
    assert ethics.has_door_list is True
    assert ethics.online_seconds == 50 * 60 + 80 * 60 + 7 * 60  # Emma, Dae (02:10 until now), Chitra
    assert ethics.now == ModeNumbers(online=1, on_site=0, combined=1)
    assert ethics.peak == ModeNumbers(online=3, on_site=1, combined=3)
    assert [(c.code, c.count) for c in ethics.countries] == [("FR", 1), ("IN", 1), ("KR", 1)]

    assert (workshop.online, workshop.on_site, workshop.unique, workshop.peak.combined) == (0, 0, 0, 0)
    assert workshop.countries == []


def test_figures_now_in_the_middle_of_ai_ethics(app, day):
    with app.app_context():
        report = services.report(_db.session, _db.session.merge(day.event), now=at(2, 35))
    ethics = _by_id(report, day.ethics)
    # Emma, Dae and Chitra (on her phone) are in the room online; Chitra left the door at 02:30.
    assert ethics.now == ModeNumbers(online=3, on_site=0, combined=3)
    assert report.totals.now == ModeNumbers(online=3, on_site=1, combined=3)  # Chitra is in the venue
    assert ethics.entries == 1  # her re-entry at 02:40 has not happened yet
    # Records after "now" do not exist yet: nobody of the afternoon, nothing after 02:35.
    assert report.totals.participants == 7


def test_figures_before_anything_happened(app, day):
    with app.app_context():
        report = services.report(_db.session, _db.session.merge(day.event), now=at(23, 0))
    t = report.totals
    assert (t.participants, t.online, t.on_site, t.entries, t.peak.combined) == (0, 0, 0, 0, 0)
    assert t.summary == "0 participants from 0 countries: 0 online, 0 on site; 0 sessions"


def test_the_grace_period_decides_what_is_one_stay(app, day):
    with app.app_context():
        event = _db.session.merge(day.event)
        strict = {
            p.name: p for p in services.participant_rows(_db.session, event, now=at(3, 30), grace_seconds=0)
        }
        default = {p.name: p for p in services.participant_rows(_db.session, event, now=at(3, 30))}
        lenient = {
            p.name: p for p in services.participant_rows(_db.session, event, now=at(3, 30), grace_seconds=600)
        }
    # A stay lasts from its first join to its last leave: a short drop inside it counts as present.
    assert default["Alice Kim"].online_seconds == 40 * 60
    assert strict["Alice Kim"].online_seconds == 38 * 60
    assert default["Bob Tanaka"].online_seconds == 20 * 60
    # With 10 minutes of grace Bob's 5-minute drop is inside one stay, 00:05–00:30.
    assert lenient["Bob Tanaka"].online_seconds == 25 * 60


def test_stays_within_and_beyond_the_grace_period(app, day):
    with app.app_context():
        event = _db.session.merge(day.event)
        counts = services.stay_counts(_db.session, event, now=at(3, 30))
        strict = services.stay_counts(_db.session, event, now=at(3, 30), grace_seconds=119)
    plenary, ethics = day.plenary, day.ethics
    people = day.people
    assert counts[(people["alice"].id, plenary)] == 1  # dropped 120 s: within the grace period
    assert strict[(people["alice"].id, plenary)] == 2  # with 119 s of grace it is two stays
    assert counts[(people["bob"].id, plenary)] == 2  # dropped 5 minutes: two stays
    assert counts[(people["emma"].id, ethics)] == 1  # two tabs at once: one stay
    assert (people["mona"].id, plenary) not in counts  # the unregistered moderator is not counted


def test_participant_rows(app, day):
    with app.app_context():
        rows = services.participant_rows(_db.session, _db.session.merge(day.event), now=at(3, 30))
    table = {r.name: r for r in rows}
    assert list(table) == [
        "Alice Kim",
        "Bob Tanaka",
        "Chitra Iyer",
        "Dae Park",
        "Emma Martin",
        "Faisal Noor",
        "Ivan Lee",
    ]
    chitra = table["Chitra Iyer"]
    assert (chitra.online, chitra.on_site, chitra.online_sessions, chitra.on_site_sessions) == (
        True,
        True,
        1,
        1,
    )
    assert chitra.on_site_seconds == (3 * 60 + 30) * 60  # 23:50 → 03:20, the door stays inside it
    assert chitra.first_seen == at(23, 50)
    ivan = table["Ivan Lee"]
    assert (ivan.online, ivan.on_site, ivan.on_site_seconds, ivan.registered_mode) == (
        False,
        True,
        50 * 60,
        "in_person",
    )
    assert table["Dae Park"].online_seconds == 80 * 60 and table["Dae Park"].on_site_seconds == 30 * 60


def test_time_series_through_the_morning(app, day):
    with app.app_context():
        series = services.time_series(
            _db.session, _db.session.merge(day.event), date(2030, 5, 6), now=at(3, 30)
        )
    # 08:30–12:30 in Seoul: half an hour around the day's sessions, in quarter hours.
    assert series.labels[0] == "08:30" and series.labels[-1] == "12:15" and len(series.labels) == 16
    assert series.online == [0, 0, 2, 2, 2, 0, 0, 0, 0, 0, 2, 2, 3, 2, 1, 1]
    assert series.on_site == [0, 1, 2, 3, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1]


def test_a_bad_step_or_grace_is_refused(app, day):
    from conference.errors import ServiceError

    with app.app_context():
        event = _db.session.merge(day.event)
        with pytest.raises(ServiceError) as bad_step:
            services.time_series(_db.session, event, date(2030, 5, 6), step_minutes=7)
        with pytest.raises(ServiceError) as bad_grace:
            services.report(_db.session, event, grace_seconds=-1)
    assert bad_step.value.code == "invalid_step" and bad_grace.value.code == "invalid_grace"


def test_the_same_day_scanned_through_check_in(app, make_event, make_user, make_registration):
    """The on-site half of the day through check-in's real scan and undo services, dated by the scanners."""
    day = build_day(app, make_event, make_user, make_registration, day=PAST_DAY, via_scans=True)
    refused = {n: result for n, result in day.scan_results.items() if result != "ok"}
    # Ivan's second "in" (he is inside already) and his stray "out" are refused: no movement is written.
    assert refused == {3: "already_checked_in", 7: "not_inside"}
    with app.app_context():
        report = services.report(_db.session, _db.session.merge(day.event), now=at(3, 30, day=PAST_DAY))
        series = services.time_series(
            _db.session, _db.session.merge(day.event), date(2026, 5, 6), now=at(3, 30, day=PAST_DAY)
        )
    t = report.totals
    assert (t.participants, t.online, t.on_site, t.hybrid) == (7, 6, 3, 2)
    assert t.entries == 5  # the refused second "in" is not an entry; Hana's is undone
    assert t.now == ModeNumbers(1, 0, 1) and t.peak == ModeNumbers(3, 3, 5)
    ethics = _by_id(report, day.ethics)
    assert (ethics.on_site, ethics.entries, ethics.hybrid, ethics.peak) == (1, 2, 1, ModeNumbers(3, 1, 3))
    assert series.on_site == [0, 1, 2, 3, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1]
    assert t.summary == "7 participants from 4 countries: 6 online, 3 on site (2 both); 2 sessions"


def test_a_visit_that_ends_before_it_starts_counts_as_empty(app, day):
    from conference.rooms.models import RoomVisit

    with app.app_context():
        _db.session.add(
            RoomVisit(
                session_id=day.workshop,
                user_id=day.people["ivan"].id,
                sid="skewed",
                joined_at=at(1, 0),
                left_at=at(0, 59),
            )
        )
        _db.session.commit()
        rows = {
            p.name: p
            for p in services.participant_rows(_db.session, _db.session.merge(day.event), now=at(3, 30))
        }
        workshop = _by_id(
            services.report(_db.session, _db.session.merge(day.event), now=at(3, 30)), day.workshop
        )
    assert rows["Ivan Lee"].online is True and rows["Ivan Lee"].online_seconds == 0
    assert (workshop.online, workshop.online_seconds, workshop.peak.online) == (1, 0, 0)
