"""offload.run_blocking and database.off_hub: real threads under eventlet, in place otherwise."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from conference.database import off_hub
from conference.extensions import db as _db
from conference.offload import green_library, run_blocking


def test_without_a_green_hub_work_runs_in_place(app):
    assert green_library() is None  # the tests' own process runs threads, not eventlet
    assert run_blocking(threading.get_ident) == threading.get_ident()
    assert run_blocking(divmod, 7, 2) == (3, 1)
    assert run_blocking(int, "42", base=16) == 66
    with pytest.raises(ValueError, match="invalid literal"):
        run_blocking(int, "not a number")
    with app.app_context():
        assert off_hub(lambda session, n: (session is _db.session, n), 5) == (True, 5)


HUB_BLOCKED = 0.4  # the probe's blocking calls each take this long (tests/live_engine/offload_probe.py)


def test_under_eventlet_blocking_work_runs_in_threads_and_the_hub_goes_on(app, make_event, tmp_path):
    event = make_event()
    probe = Path(__file__).with_name("offload_probe.py")
    database = app.config["SQLALCHEMY_DATABASE_URI"].removeprefix("sqlite:///")
    done = subprocess.run(
        [sys.executable, str(probe), database],
        check=False,
        capture_output=True,
        text=True,
        timeout=120,
        cwd=str(tmp_path),
    )
    assert done.returncode == 0, done.stderr
    found = json.loads(done.stdout.strip().splitlines()[-1])
    assert found["library"] == "eventlet"
    # Three 0.4 s calls that never yield ran side by side in threads, not one after another on the hub.
    assert found["three_naps_seconds"] < 1.0
    assert found["hub_thread"] not in found["nap_threads"]
    # Work on the hub would stop the ticker for 0.4 s or more; the margin below that is for a loaded
    # machine (a parallel test run), where the scheduler alone has paused the probe for 0.107 s.
    assert found["naps_worst_pause"] < HUB_BLOCKED / 2
    assert found["error"].startswith("ValueError: invalid literal")
    assert found["sqlite_dbapi_offloaded"] is True
    read = found["off_hub"]
    assert read == {**read, "count": 1, "own_session": True, "title": event.title}
    assert read["thread"] != found["hub_thread"]
    assert found["off_hub_worst_pause"] < HUB_BLOCKED / 2


def test_a_write_transaction_hops_to_a_thread_until_it_holds_the_write_lock(tmp_path, monkeypatch):
    """The first data change may wait for SQLite's write lock: it runs in a thread. After it, the
    lock is the transaction's own until its end: the next statements stay where they are."""
    import sqlite3

    from conference import database

    hops: list[str] = []
    real = database.run_blocking

    def counted(fn, *args, **kwargs):
        hops.append(args[0].split()[0] if args and isinstance(args[0], str) else fn.__name__)
        return real(fn, *args, **kwargs)

    monkeypatch.setattr(database, "run_blocking", counted)
    connection = database.OffloadedDBAPI(sqlite3).connect(str(tmp_path / "hops.db"))
    connection.execute("CREATE TABLE t (n INTEGER)")
    connection.commit()
    hops.clear()
    for round_ in range(2):
        cursor = connection.cursor()
        cursor.execute("SAVEPOINT a")  # no lock yet: still may wait, so it hops
        cursor.execute("INSERT INTO t VALUES (?)", (1,))
        cursor.execute("RELEASE SAVEPOINT a")
        cursor.execute("UPDATE t SET n = n + 1")
        cursor.executemany("INSERT INTO t VALUES (?)", [(2,), (3,)])
        cursor.execute("SELECT count(*) FROM t")
        assert cursor.fetchone() == (3 * (round_ + 1),)
        connection.commit()
    assert hops == ["SAVEPOINT", "INSERT", "commit"] * 2
    connection.close()
