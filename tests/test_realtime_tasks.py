"""The one helper for live background work: coalescing bursts and timers, per app (threading mode)."""

from __future__ import annotations

import threading
import time
from datetime import timedelta

import pytest

from conference import realtime_tasks
from conference.db_types import utcnow


def wait_for(condition, timeout: float = 3.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.01)
    return condition()


def test_a_burst_of_touches_is_flushed_once_per_key_and_the_next_burst_again(app):
    flushed = []
    coalescer = realtime_tasks.Coalescer(app, "test.burst", 0.1, flushed.append)
    for _ in range(50):
        coalescer.touch("a")
    coalescer.touch("b")
    assert wait_for(lambda: sorted(flushed) == ["a", "b"])
    time.sleep(0.2)
    assert sorted(flushed) == ["a", "b"]
    coalescer.touch("a")
    assert wait_for(lambda: sorted(flushed) == ["a", "a", "b"])


def test_a_zero_interval_flushes_at_once_in_the_callers_context(app):
    flushed = []
    coalescer = realtime_tasks.Coalescer(
        app,
        "test.now",
        lambda: 0,
        lambda key: flushed.append((key, threading.current_thread() is threading.main_thread())),
    )
    coalescer.touch(7)
    assert flushed == [(7, True)]


def test_a_discarded_key_is_not_flushed_and_a_failing_flush_is_logged_not_raised(app, monkeypatch):
    flushed, logged = [], []
    # Recorded here rather than through caplog: other tests change the logging setup of the process.
    monkeypatch.setattr(realtime_tasks.log, "exception", lambda message, *args: logged.append(message % args))

    def flush(key):
        if key == "bad":
            raise RuntimeError("boom")
        flushed.append(key)

    coalescer = realtime_tasks.Coalescer(app, "test.discard", 0.05, flush)
    coalescer.touch("gone")
    coalescer.discard("gone")
    coalescer.touch("bad")
    coalescer.touch("kept")
    assert wait_for(lambda: flushed == ["kept"])
    assert wait_for(lambda: any("'bad'" in line for line in logged))
    assert flushed == ["kept"]


def test_each_app_has_its_own_coalescers_and_a_name_is_taken_once(app, tmp_path):
    from conference import create_app

    realtime_tasks.Coalescer(app, "test.name", 1, print)
    with pytest.raises(ValueError):
        realtime_tasks.Coalescer(app, "test.name", 1, print)
    other = create_app(
        {"ENV_NAME": "testing", "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'other.db'}"}
    )
    with pytest.raises(KeyError):
        realtime_tasks.coalescer(other, "test.name")
    assert realtime_tasks.live_server(other) is not realtime_tasks.live_server(app)


def test_run_at_runs_in_an_app_context_at_its_time_and_repeats_while_asked(app):
    from flask import current_app

    runs = []

    def step():
        runs.append(current_app._get_current_object())
        return 0.02 if len(runs) < 3 else None

    started = time.monotonic()
    realtime_tasks.run_at(app, utcnow() + timedelta(seconds=0.1), step)
    assert wait_for(lambda: len(runs) == 3)
    assert time.monotonic() - started >= 0.1
    assert runs == [app, app, app]


def test_run_at_keeps_one_timer_per_key_and_frees_the_key_when_done(app):
    runs = []
    release = threading.Event()

    def step():
        runs.append(1)
        release.wait(2)

    realtime_tasks.run_at(app, 0, step, key=("countdown", 1))
    realtime_tasks.run_at(app, 0, step, key=("countdown", 1))
    release.set()
    assert wait_for(lambda: len(runs) == 1)
    assert wait_for(lambda: ("countdown", 1) not in app.extensions[realtime_tasks.EXTENSION].timers)
    realtime_tasks.run_at(app, 0, step, key=("countdown", 1))
    assert wait_for(lambda: len(runs) == 2)


def test_a_timer_of_a_replaced_app_does_not_run(app, tmp_path):
    from conference import create_app

    runs = []
    realtime_tasks.run_at(app, 0.1, lambda: runs.append(1))
    create_app({"ENV_NAME": "testing", "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'next.db'}"})
    time.sleep(0.3)
    assert runs == []
