"""Two server processes behind one Redis message queue and one database: a room is one room.

Both are `conference serve` in the test's async mode (each test runs in eventlet and in gevent).
Presence lives in the database and broadcasts cross processes through Redis, so a person connected
to process A and a person connected to process B see the same numbers and the same questions.
Skips when Redis is absent on 127.0.0.1:6379, except when CI is set.
"""

from __future__ import annotations

import os
import threading
import uuid

import pytest
import socketio as socketio_client
from serve_support import start_servers, stop

pytestmark = pytest.mark.real_server

REDIS_URL = "redis://127.0.0.1:6379/0"
WAIT = 15


@pytest.fixture()
def redis_available():
    try:
        import redis

        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2).ping()
    except Exception as exc:  # noqa: BLE001 -- any failure to reach Redis means skip (or fail in CI)
        if os.environ.get("CI"):
            pytest.fail(f"Redis required in CI: {exc}")
        pytest.skip(f"Redis is not available on 127.0.0.1:6379: {exc}")


@pytest.fixture()
def two_servers(app, redis_available):
    """Two `conference serve` processes (the test's async mode) on the test's database and one Redis."""
    channel = f"conference-test-{uuid.uuid4().hex[:10]}"  # other test runs may share this Redis
    servers = start_servers(
        2,
        app.config["SQLALCHEMY_DATABASE_URI"],
        CONFERENCE_MESSAGE_QUEUE=REDIS_URL,
        CONFERENCE_SOCKETIO_CHANNEL=channel,
        # The testing config's immediate broadcasts, as the in-process tests have them.
        CONFERENCE_ATTENDANCE_BROADCAST_SECONDS="0",
        CONFERENCE_ROOMS_PRESENCE_COALESCE_SECONDS="0",
    )
    try:
        yield [url for _, url in servers]
    finally:
        for process, _ in servers:
            output = stop(process)
            if "Traceback" in output:
                print(output)  # shown by pytest when the test fails


class Listener:
    """A python-socketio client that records broadcasts and lets a test wait for a condition."""

    def __init__(self, url: str, token: str):
        self.client = socketio_client.Client(reconnection=False)
        self.events: list[tuple[str, dict]] = []
        self.changed = threading.Condition()
        self.client.on("*", self._record, namespace="/live")
        self.client.connect(
            url, namespaces=["/live"], transports=["websocket"], auth={"token": token}, wait_timeout=WAIT
        )

    def _record(self, event, data=None):
        with self.changed:
            self.events.append((event, data))
            self.changed.notify_all()

    def call(self, event: str, payload: dict) -> dict:
        return self.client.call(event, payload, namespace="/live", timeout=WAIT)

    def wait_for(self, predicate) -> tuple[str, dict]:
        with self.changed:
            found = self.changed.wait_for(
                lambda: next((e for e in self.events if predicate(*e)), None), timeout=WAIT
            )
        assert found, f"not received; got {self.events}"
        return found


def test_a_room_spans_two_server_processes(cast, make_token, two_servers):
    url_a, url_b = two_servers
    alice = Listener(url_a, make_token(cast.alice))
    bob = Listener(url_b, make_token(cast.bob))
    try:
        assert alice.call("join", {"session_id": cast.thematic})["ok"]
        state = bob.call("join", {"session_id": cast.thematic})["state"]
        assert state["presence"]["online"] == 2  # counted from the shared database
        alice.wait_for(lambda e, d: e == "presence" and d["online"] == 2)  # via Redis from B

        ack = alice.call("question:ask", {"session_id": cast.thematic, "text": "Across processes?"})
        assert ack["ok"]
        qid = ack["question"]["id"]
        bob.wait_for(lambda e, d: e == "questions:new" and qid in [q["id"] for q in d["questions"]])
        assert bob.call("question:vote", {"question_id": qid})["ok"]
        alice.wait_for(
            lambda e, d: (
                e == "questions:updated" and [(q["id"], q["votes"]) for q in d["questions"]] == [(qid, 1)]
            )
        )
    finally:
        alice.client.disconnect()
        bob.client.disconnect()
