"""The message queue under a storm (issue #13): every broadcast a process publishes reaches Redis,
however many publish at once (redis-py's default pool refused past 100 and the broadcast was lost),
and however far behind a busy worker's hub runs."""

from __future__ import annotations

import secrets
import threading
import time

import pytest

redis = pytest.importorskip("redis")

from forwarder_support import Forwarder  # noqa: E402

from conference.fanout import QueueManager  # noqa: E402

URL = "redis://127.0.0.1:6379/0"


def test_three_hundred_publishers_at_once_lose_nothing():
    channel = f"test-fanout-{secrets.token_hex(6)}"
    manager = QueueManager(URL, channel)
    listener = redis.Redis.from_url(URL)
    subscriber = listener.pubsub(ignore_subscribe_messages=True)
    subscriber.subscribe(channel)
    try:
        start = threading.Barrier(300)

        def publish(n: int) -> None:
            start.wait()
            manager._publish({"method": "emit", "event": "chat:message", "n": n})

        threads = [threading.Thread(target=publish, args=(n,)) for n in range(300)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        received, deadline = 0, time.monotonic() + 10
        while received < 300 and time.monotonic() < deadline:
            if subscriber.get_message(timeout=0.5):
                received += 1
        assert received == 300
        assert manager.reachable
    finally:
        subscriber.close()
        listener.close()
        manager.redis.close()


def test_a_publish_waits_for_an_answer_that_comes_seconds_late():
    proxy = Forwarder(("127.0.0.1", 6379))
    proxy.start()
    manager = QueueManager(f"redis://127.0.0.1:{proxy.port}/0", f"test-fanout-{secrets.token_hex(6)}")
    try:
        assert manager._publish({"method": "emit", "event": "chat:message", "n": 1}) == 0  # no subscriber
        proxy.answer_delay = 6  # longer than redis-py 8's default wait (5 s)
        started = time.monotonic()
        assert manager._publish({"method": "emit", "event": "chat:message", "n": 2}) == 0
        assert time.monotonic() - started >= 6
        assert manager.reachable
    finally:
        manager.redis.close()
        proxy.cut()
