"""The message queue under a storm (issue #13): every broadcast a process publishes reaches Redis,
however many publish at once (redis-py's default pool refused past 100 and the broadcast was lost)."""

from __future__ import annotations

import secrets
import threading
import time

import pytest

redis = pytest.importorskip("redis")

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
