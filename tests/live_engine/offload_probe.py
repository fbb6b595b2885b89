"""Run under eventlet by test_offload.py (not a test module): prints what it measured as JSON.

python offload_probe.py DATABASE_FILE
"""

from __future__ import annotations

import json
import sys
import time
import warnings

warnings.filterwarnings("ignore", message=r"\s*Eventlet is deprecated")
import eventlet  # noqa: E402

eventlet.monkey_patch()

from eventlet import patcher  # noqa: E402

real_sleep = patcher.original("time").sleep
real_threading = patcher.original("threading")


class Ticker:
    """A greenlet that wakes every 5 ms and records how late it woke: the hub's longest pause."""

    def __init__(self):
        self.worst, self.running = 0.0, True
        self.greenlet = eventlet.spawn(self._run)

    def _run(self):
        last = time.perf_counter()
        while self.running:
            eventlet.sleep(0.005)
            now = time.perf_counter()
            self.worst = max(self.worst, now - last - 0.005)
            last = now

    def stop(self) -> float:
        self.running = False
        self.greenlet.wait()
        return self.worst


def blocking_nap(seconds: float) -> int:
    real_sleep(seconds)  # a call that does not yield: under eventlet it would stop the hub
    return real_threading.get_ident()


def main() -> None:
    from sqlalchemy import func, select

    from conference import create_app
    from conference.database import OffloadedDBAPI, off_hub
    from conference.extensions import db
    from conference.offload import green_library, run_blocking
    from conference.programme.models import Event

    result: dict = {"library": green_library(), "hub_thread": real_threading.get_ident()}

    ticker = Ticker()
    started = time.perf_counter()
    naps = [eventlet.spawn(run_blocking, blocking_nap, 0.4) for _ in range(3)]
    threads = [nap.wait() for nap in naps]
    result["three_naps_seconds"] = time.perf_counter() - started
    result["nap_threads"] = threads
    result["naps_worst_pause"] = ticker.stop()

    try:
        run_blocking(int, "not a number")
    except ValueError as exc:
        result["error"] = f"ValueError: {exc}"

    app = create_app({"ENV_NAME": "testing", "SQLALCHEMY_DATABASE_URI": f"sqlite:///{sys.argv[1]}"})
    with app.app_context():
        result["sqlite_dbapi_offloaded"] = isinstance(db.engine.dialect.dbapi, OffloadedDBAPI)
        event = db.session.scalars(select(Event)).one()

        def long_read(session, event):
            real_sleep(0.4)  # a report's long Python work
            count = session.scalar(select(func.count()).select_from(Event).where(Event.id == event.id))
            return {
                "count": count,
                "thread": real_threading.get_ident(),
                "own_session": session is not db.session(),
                "title": event.title,
            }

        ticker = Ticker()
        result["off_hub"] = off_hub(long_read, event)
        result["off_hub_worst_pause"] = ticker.stop()
    print(json.dumps(result))


if __name__ == "__main__":
    main()
