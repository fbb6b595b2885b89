"""Leases in Redis make a coalesced flush or a keyed timer run in one worker, and let another take over
a timer whose holder stopped renewing it (it died). Threading mode, a real Redis."""

from __future__ import annotations

import os
import time
import uuid

import pytest

from conference import realtime_tasks
from conference.realtime_tasks import Leases

REDIS_URL = "redis://127.0.0.1:6379/0"


def wait_for(condition, timeout: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.02)
    return condition()


@pytest.fixture()
def prefix():
    try:
        import redis

        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2).ping()
    except Exception as exc:  # noqa: BLE001 -- any failure to reach Redis means skip (or fail in CI)
        if os.environ.get("CI"):
            pytest.fail(f"Redis required in CI: {exc}")
        pytest.skip(f"Redis is not available on 127.0.0.1:6379: {exc}")
    return f"conference-test-{uuid.uuid4().hex[:10]}"  # other test runs may share this Redis


@pytest.fixture()
def two_workers(app, prefix):
    """This app's tasks with leases, and the leases of another worker on the same channel."""
    here = realtime_tasks._tasks(app)
    here.leases = Leases(REDIS_URL, prefix)
    return here.leases, Leases(REDIS_URL, prefix)


def test_a_lease_is_held_by_one_worker_at_a_time_until_it_lapses_or_is_released(two_workers):
    mine, theirs = two_workers
    assert mine.take("x", 0.3) and not theirs.take("x", 0.3)
    assert mine.hold("x", 0.3) and not theirs.hold("x", 0.3)  # the holder renews, the other waits
    assert wait_for(lambda: theirs.hold("x", 5))  # not renewed: it lapses and the other takes it
    assert not mine.hold("x", 1)
    theirs.release("x")
    assert mine.hold("x", 1)


def test_a_flush_another_worker_took_is_not_repeated_here(app, two_workers):
    _mine, theirs = two_workers
    flushed = []
    coalescer = realtime_tasks.Coalescer(app, "test.shared", 0.2, flushed.append)
    assert theirs.take(("flush", "test.shared", "k"), 0.16)  # the other worker's flush reads later
    coalescer.touch("k")
    time.sleep(0.4)
    assert flushed == []
    coalescer.touch("k")  # its lease is gone: this change needs a flush of its own
    assert wait_for(lambda: flushed == ["k"])


def test_a_timer_runs_in_one_worker_and_the_other_takes_over_when_it_stops_renewing(app, two_workers):
    _mine, theirs = two_workers
    runs = []
    key = ("countdown", 1)
    held_at = time.monotonic()
    assert theirs.hold(("timer", key), 1.5)  # the other worker runs this countdown and then dies
    realtime_tasks.run_at(app, 0, lambda: runs.append(time.monotonic()) or 0.1, key=key)
    assert wait_for(lambda: len(runs) >= 3, timeout=realtime_tasks.STANDBY_S + 5)  # took over
    # and stood by while the other held it: compared with the clock, so a test process stalled by
    # a busy machine cannot make the lease look broken
    assert runs[0] >= held_at + 1.5
    assert not theirs.hold(("timer", key), 1)  # and holds it now
    realtime_tasks._tasks(app).server = None  # end the timer (as a replaced app's timers end)
