"""A database wait never freezes a worker (issue #13, item 1).

A real `conference serve` process (in this run's async mode: eventlet, the default, and gevent in
.ci/run's second pass) on SQLite and on PostgreSQL: one socket's chat message waits 3 s on a lock the test holds, and meanwhile other HTTP
requests and other sockets' acks of the same worker answer in under 200 ms (median; each under 1 s).
With database.py's engine_settings disabled (the URL and options left as they were), GET / did not
answer within 10 s on either database under eventlet: the whole worker waited with the one request.
"""

from __future__ import annotations

import sqlite3
import statistics
import threading
import time
from contextlib import contextmanager

import pytest
import requests
from pg_support import postgres_app
from serve_support import live_client, served
from sqlalchemy import func, select

from conference.extensions import db as _db
from conference.programme.models import ProgrammeSession
from conference.rooms.models import ChatMessage

pytestmark = pytest.mark.real_server

LOCK_SECONDS = 3.0
QUICK = 0.2  # the bound for everyone else while one request waits
NOT_WAITING = 1.0  # far below the lock's 3 s: whatever took less did not wait for it


@pytest.fixture(params=["sqlite", "postgresql"])
def app(request, make_app):
    """The test's app (threading mode, to prepare data and read the outcome) on either database."""
    if request.param == "sqlite":
        yield make_app("hub.db")
    else:
        with postgres_app("hub") as app:
            yield app


@contextmanager
def write_lock_on_chat(app):
    """Hold a lock that makes a chat message's INSERT wait: the database's write lock on SQLite
    (readers go on: WAL), an exclusive lock on the chat table on PostgreSQL."""
    uri = app.config["SQLALCHEMY_DATABASE_URI"]
    if uri.startswith("sqlite"):
        connection = sqlite3.connect(uri.removeprefix("sqlite:///"), isolation_level=None)
        connection.execute("BEGIN IMMEDIATE")
        release = "COMMIT"
    else:
        import psycopg

        connection = psycopg.connect(f"host=127.0.0.1 port=5432 user=postgres dbname={uri.rsplit('/', 1)[1]}")
        connection.execute("LOCK TABLE chat_messages IN ACCESS EXCLUSIVE MODE")
        release = "COMMIT"
    try:
        yield
    finally:
        connection.execute(release)
        connection.close()


def timed(fn):
    start = time.perf_counter()
    result = fn()
    return result, time.perf_counter() - start


def test_a_request_waiting_on_a_lock_leaves_the_others_quick(
    app, make_event, make_user, make_registration, make_token
):
    event = make_event()
    with app.app_context():
        plenary = _db.session.scalar(select(ProgrammeSession.id).filter_by(event_id=event.id, kind="plenary"))
    writer, reader = make_user(name="Wanda Writer"), make_user(name="Rafa Reader")
    for person in (writer, reader):
        make_registration(person, event, "online")
    with served(app.config["SQLALCHEMY_DATABASE_URI"]) as url:
        waiting = live_client(url, make_token(writer))
        other = live_client(url, make_token(reader))
        try:
            assert waiting.call("join", {"session_id": plenary}, namespace="/live", timeout=15)["ok"]
            assert other.call("agenda:watch", {"event_id": event.id}, namespace="/live", timeout=15)["ok"]
            requests.get(url + "/", timeout=5).raise_for_status()  # warm: first-request work is not measured

            acks, http_times, ack_times = [], [], []
            with write_lock_on_chat(app):
                sender = threading.Thread(
                    target=lambda: acks.append(
                        timed(
                            lambda: waiting.call(
                                "chat:send",
                                {"session_id": plenary, "text": "waits for the lock"},
                                namespace="/live",
                                timeout=30,
                            )
                        )
                    )
                )
                sender.start()
                time.sleep(0.5)  # the message is now waiting on the lock inside the worker
                for _ in range(5):
                    response, took = timed(lambda: requests.get(url + "/", timeout=10))
                    assert response.status_code == 200
                    http_times.append(took)
                    ack, took = timed(
                        lambda: other.call(
                            "agenda:watch", {"event_id": event.id}, namespace="/live", timeout=10
                        )
                    )
                    assert ack["ok"] is True
                    ack_times.append(took)
                assert not acks, "the chat message did not wait for the lock: the test proves nothing"
                time.sleep(max(0.0, LOCK_SECONDS - 0.5 - sum(http_times) - sum(ack_times)))
            sender.join(timeout=30)
        finally:
            waiting.disconnect()
            other.disconnect()

    # None of them waited for the lock (a blocked hub makes each take seconds), and they answer as
    # quickly as the issue asks; the median, because the shared CI machine (load 16 on 2 cores when
    # this was written) now and then stalls any process for a few hundred milliseconds.
    for what, times in (("GET /", http_times), ("a socket ack", ack_times)):
        assert max(times) < NOT_WAITING, f"{what} took {max(times):.3f} s while one request waited"
        assert statistics.median(times) < QUICK, f"{what}: {times} while one request waited"
    (ack, waited) = acks[0]
    assert ack["ok"] is True, ack  # the waiting message was stored once the lock went
    assert waited >= LOCK_SECONDS - 0.6
    with app.app_context():
        assert _db.session.scalar(select(func.count()).select_from(ChatMessage)) == 1
