"""How long the attendance figures take on the demo symposium with all three days attended.

    .venv/bin/python bench/attendance_report.py [--database-url URL] [--runs N]

Uses a scratch database (a temporary SQLite file unless --database-url names an empty one), loads the
demo event and its attendance records for the whole programme (450 participants, 14 sessions), then
times the full report (what the API, the dashboard broadcast and the report page compute), one
day's time series and the per-participant rows. Prints the record counts and the timings.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def timed(runs: int, fn) -> str:
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - start)
    return f"median {statistics.median(samples) * 1000:.0f} ms, max {max(samples) * 1000:.0f} ms"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url")
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    os.environ.setdefault("CONFERENCE_ASYNC_MODE", "threading")
    tmp = tempfile.TemporaryDirectory()
    url = args.database_url or f"sqlite:///{Path(tmp.name) / 'bench.db'}"

    from conference import create_app
    from conference.attendance import services
    from conference.attendance.demo import load_demo_attendance
    from conference.checkin.models import CheckinMovement
    from conference.demo import load_demo
    from conference.extensions import db
    from conference.rooms.models import RoomVisit

    app = create_app({"ENV_NAME": "testing", "SQLALCHEMY_DATABASE_URI": url})
    with app.app_context():
        db.create_all()
        try:
            summary = load_demo(db.session)
            from conference.programme.models import Event

            event = db.session.query(Event).filter_by(slug=summary.event_slug).one()
            after = event.ends_at + timedelta(hours=1)
            load_demo_attendance(db.session, event, now=after)
            print(
                f"{db.engine.dialect.name}: {db.session.query(RoomVisit).count()} room visits, "
                f"{db.session.query(CheckinMovement).count()} check-in movements"
            )
            report = services.report(db.session, event, now=after)
            print(f"  {report.totals.summary}")
            print(
                f"  full report:      {timed(args.runs, lambda: services.report(db.session, event, now=after))}"
            )
            day = services.event_days(event)[0]
            print(
                f"  one day's series: {timed(args.runs, lambda: services.time_series(db.session, event, day, now=after))}"
            )
            print(
                f"  participant rows: {timed(args.runs, lambda: services.participant_rows(db.session, event, now=after))}"
            )
        finally:
            db.session.remove()
            db.drop_all()
            db.engine.dispose()


if __name__ == "__main__":
    main()
