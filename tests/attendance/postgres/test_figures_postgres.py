"""The same scripted day on PostgreSQL: the SQL (window functions, epoch arithmetic) gives the same figures.

Runs on a database of its own on the local server (tests/pg_support.py), dropped afterwards. Skips
when PostgreSQL is not running, except under CI.
"""

from __future__ import annotations

from datetime import date

import pytest
from attendance.scripted_day import at, build_day
from pg_support import postgres_app

from conference.attendance import services
from conference.attendance.services import ModeNumbers
from conference.extensions import db as _db


@pytest.fixture()
def app():
    """Overrides conftest's `app`: the factories (make_user...) then write to PostgreSQL."""
    with postgres_app("attendance") as app:
        yield app


def test_the_scripted_day_on_postgresql(app, make_event, make_user, make_registration):
    scripted = build_day(app, make_event, make_user, make_registration)
    with app.app_context():
        event = _db.session.merge(scripted.event)
        report = services.report(_db.session, event, now=at(3, 30))
        series = services.time_series(_db.session, event, date(2030, 5, 6), now=at(3, 30))
        counts = services.stay_counts(_db.session, event, now=at(3, 30))
    t = report.totals
    assert (t.participants, t.online, t.on_site, t.hybrid, t.entries) == (7, 6, 3, 2, 6)
    assert t.now == ModeNumbers(1, 0, 1) and t.peak == ModeNumbers(3, 3, 5)
    assert t.summary == "7 participants from 4 countries: 6 online, 3 on site (2 both); 2 sessions"
    ethics = next(s for s in report.sessions if s.id == scripted.ethics)
    assert (ethics.online, ethics.on_site, ethics.unique, ethics.hybrid, ethics.entries) == (3, 1, 3, 1, 2)
    assert ethics.peak == ModeNumbers(3, 1, 3) and ethics.online_seconds == 137 * 60
    assert (
        counts[(scripted.people["alice"].id, scripted.plenary)] == 1
        and counts[(scripted.people["bob"].id, scripted.plenary)] == 2
    )
    assert series.online == [0, 0, 2, 2, 2, 0, 0, 0, 0, 0, 2, 2, 3, 2, 1, 1]
    assert series.on_site == [0, 1, 2, 3, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1]


# Every figure test of the SQLite suite, once more on PostgreSQL (with this module's `app`).
from attendance.test_breakouts import test_breakout_rooms_roll_up_into_their_session  # noqa: E402,F401
from attendance.test_figures import (  # noqa: E402,F401
    day,
    test_a_visit_that_ends_before_it_starts_counts_as_empty,
    test_event_totals_after_the_morning,
    test_figures_before_anything_happened,
    test_figures_now_in_the_middle_of_ai_ethics,
    test_participant_rows,
    test_per_session_figures,
    test_stays_within_and_beyond_the_grace_period,
    test_the_grace_period_decides_what_is_one_stay,
    test_the_same_day_scanned_through_check_in,
    test_time_series_through_the_morning,
)
