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

    # The new app first, then the old app's timer: the timer checks at its due time whether its
    # app's server was replaced, and here it always was, however slowly a busy machine builds the
    # new app (scheduled before it, a 0.1 s timer lost that race in a full run).
    create_app({"ENV_NAME": "testing", "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'next.db'}"})
    runs = []
    realtime_tasks.run_at(app, 0.1, lambda: runs.append(1), key=("replaced", 1))
    timers = app.extensions[realtime_tasks.EXTENSION].timers
    assert wait_for(lambda: ("replaced", 1) not in timers)  # the timer woke and ended
    assert runs == []


def test_a_batcher_sends_the_items_of_an_interval_together_in_order_per_key(app):
    sent = []
    batcher = realtime_tasks.Batcher(app, "test.batch", 0.2, lambda key, items: sent.append((key, items)))
    for n in range(5):
        batcher.add("a", n)
    batcher.add("b", "x")
    assert wait_for(lambda: sorted(sent) == [("a", [0, 1, 2, 3, 4]), ("b", ["x"])])
    time.sleep(0.3)
    assert len(sent) == 2
    batcher.add("a", 5)  # a later item: a batch of its own
    assert wait_for(lambda: sent[-1] == ("a", [5]))


def test_a_drained_batch_leaves_at_once_and_the_waiting_flush_sends_nothing_twice(app):
    sent = []
    batcher = realtime_tasks.Batcher(
        app,
        "test.drain",
        0.2,
        lambda key, items: sent.append((items, threading.current_thread() is threading.main_thread())),
    )
    batcher.add(1, "first")
    batcher.add(1, "second")
    batcher.drain(1)
    assert sent == [(["first", "second"], True)]  # in the caller's thread, before drain returns
    batcher.add(1, "third")  # rides on the flush already scheduled
    assert wait_for(lambda: len(sent) == 2)
    time.sleep(0.3)
    assert sent[1] == (["third"], False) and len(sent) == 2
    batcher.drain(1)
    assert len(sent) == 2  # nothing waited


def test_a_zero_interval_batcher_sends_each_item_at_once(app):
    sent = []
    batcher = realtime_tasks.Batcher(app, "test.zero", lambda: 0, lambda key, items: sent.append(items))
    batcher.add("k", 1)
    batcher.add("k", 2)
    assert sent == [[1], [2]]


def test_batches_of_one_key_never_overlap(app):
    """A drain that finds a flush under way waits for it: the batches of a key leave one after the
    other, so a later broadcast never overtakes an earlier batch."""
    log = []
    inside = threading.Event()
    release = threading.Event()

    def flush(key, items):
        log.append(("start", items))
        if items == ["slow"]:
            inside.set()
            release.wait(5)
        log.append(("end", items))

    batcher = realtime_tasks.Batcher(app, "test.overlap", 0.05, flush)
    batcher.add("k", "slow")
    assert inside.wait(5)
    batcher.add("k", "next")
    drainer = threading.Thread(target=batcher.drain, args=("k",))
    drainer.start()
    time.sleep(0.1)
    assert log == [("start", ["slow"])]  # the drain waits for the batch under way
    release.set()
    drainer.join(5)
    assert log == [("start", ["slow"]), ("end", ["slow"]), ("start", ["next"]), ("end", ["next"])]
