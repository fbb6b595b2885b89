"""The demo's attendance records: plausible, only for what is over, and loaded once."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from conference.attendance import services
from conference.attendance.demo import load_demo_attendance
from conference.checkin.models import Checkin, CheckinList, CheckinMovement
from conference.demo import SLUG, load_demo
from conference.extensions import db as _db
from conference.programme.models import Event
from conference.rooms.models import RoomVisit


def _counts(db):
    return tuple(
        db.scalar(select(func.count()).select_from(model)) for model in (RoomVisit, CheckinMovement, Checkin)
    )


def test_demo_attendance_is_plausible_and_idempotent(app):
    with app.app_context():
        db = _db.session
        load_demo(db)
        event = db.scalar(select(Event).where(Event.slug == SLUG))
        # As if the first day were over: its sessions and its entrance get records, the rest none.
        end_of_day_one = event.starts_at + timedelta(hours=12)
        load_demo_attendance(db, event, now=end_of_day_one)
        first = _counts(db)
        assert load_demo_attendance(db, event, now=end_of_day_one) == 0
        assert _counts(db) == first
        assert db.scalar(select(func.max(RoomVisit.left_at))) <= end_of_day_one
        assert db.scalar(select(func.max(CheckinMovement.scanned_at))) <= end_of_day_one
        assert db.scalar(select(func.sum(CheckinList.inside_count))) == 0  # everyone went home

        report = services.report(db, event, now=end_of_day_one)
        t = report.totals
        assert 250 < t.online < 320 and 100 < t.on_site < 160 and 0 < t.hybrid < 30
        assert t.participants == t.online + t.on_site - t.hybrid
        assert len(t.countries) > 60 and t.sessions_attended == 4
        assert t.now.combined == 0 and t.peak.online > 150
        assert report.totals.summary.startswith(
            f"{t.participants} participants from {len(t.countries)} countries"
        )
        # Some drops came back within the grace period: fewer stays than visits.
        stays = services.stay_counts(db, event, now=end_of_day_one)
        assert sum(stays.values()) < first[0]

        later = event.starts_at + timedelta(days=1, hours=12)
        assert (
            load_demo_attendance(db, event, now=later) == 6
        )  # day two: two thematic sessions, four breakouts
        assert _counts(db)[0] > first[0]
