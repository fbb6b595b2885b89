"""Faults: health checks, the database briefly unreachable (a clear 503 / error ack, not a hang,
and recovery by itself), and the message queue down (the process keeps serving its own clients
and says so in its log and /readyz)."""

from __future__ import annotations

import socket
import threading
import time

import pytest
import requests
import socketio as socketio_client
from forwarder_support import Forwarder
from pg_support import postgres_app
from serve_support import conference_serve

from conference.accounts.services import create_api_token, create_user
from conference.extensions import db as _db
from conference.extensions import socketio

LIVE = "/live"


def test_healthz_and_readyz_answer(client):
    alive = client.get("/healthz")
    assert alive.status_code == 200 and alive.json == {"ok": True}
    ready = client.get("/readyz")
    assert ready.status_code == 200
    assert ready.json["checks"]["database"]["ok"] is True
    assert ready.json["checks"]["message_queue"] == {"ok": True, "configured": False}
    assert ready.headers["Cache-Control"] == "no-store"


@pytest.fixture()
def postgres_behind_forwarder():
    forwarder = Forwarder(("127.0.0.1", 5432))
    forwarder.start()
    try:
        with postgres_app("faults", port=forwarder.port) as app:
            yield app, forwarder
    finally:
        forwarder.cut()


def test_the_database_briefly_unreachable_gives_clear_errors_then_recovers(postgres_behind_forwarder):
    app, forwarder = postgres_behind_forwarder
    with app.app_context():
        user = create_user(_db.session, email="pat@example.org", name="Pat", password="long enough pw")
        token = create_api_token(_db.session, user, "test")
    client = app.test_client()
    assert client.get("/api/v1/events").status_code == 200
    live = socketio.test_client(app, namespace=LIVE, auth={"token": token})
    assert live.is_connected(LIVE)

    forwarder.cut()
    started = time.monotonic()
    api = client.get("/api/v1/events")
    assert api.status_code == 503
    assert api.json["error"]["code"] == "database_unavailable"
    assert api.headers["Retry-After"] == "5"
    page = client.get("/")
    assert page.status_code == 503 and "Try again shortly" in page.get_data(as_text=True)
    ready = client.get("/readyz")
    assert ready.status_code == 503 and ready.json["checks"]["database"]["ok"] is False
    ack = live.emit("join", {"session_id": 1}, namespace=LIVE, callback=True)
    assert ack["ok"] is False and ack["error"]["code"] == "database_unavailable"
    assert time.monotonic() - started < 20, "a client waited instead of getting an answer"

    forwarder.start()  # the database is back, on the same address
    assert client.get("/api/v1/events").status_code == 200  # the pool replaced its dead connections
    assert client.get("/readyz").status_code == 200
    ack = live.emit("join", {"session_id": 1}, namespace=LIVE, callback=True)
    assert ack["error"]["code"] != "database_unavailable"
    live.disconnect(namespace=LIVE)


@pytest.mark.real_server
def test_with_the_message_queue_down_a_worker_serves_its_own_clients_and_says_so(
    app, make_event, make_user, make_registration, make_token
):
    event = make_event()
    alice, bob = make_user(name="Alice"), make_user(name="Bob")
    for person in (alice, bob):
        make_registration(person, event, "online")
    tokens = [make_token(alice), make_token(bob)]
    with app.app_context():
        from conference.programme.models import ProgrammeSession

        session_id = (
            _db.session.query(ProgrammeSession.id).filter_by(event_id=event.id, kind="thematic").scalar()
        )
        _db.engine.dispose()
    closed_port = _closed_port()
    with conference_serve(
        app.config["SQLALCHEMY_DATABASE_URI"], CONFERENCE_MESSAGE_QUEUE=f"redis://127.0.0.1:{closed_port}/0"
    ) as (base, stderr):
        ready = requests.get(f"{base}/readyz", timeout=30)
        assert ready.status_code == 503
        assert ready.json()["checks"]["database"]["ok"] is True
        queue = ready.json()["checks"]["message_queue"]
        assert queue["ok"] is False and "own clients" in queue["message"]

        clients = []
        try:
            presence = threading.Event()
            for token in tokens:
                client = socketio_client.Client(reconnection=False)
                client.connect(base, namespaces=[LIVE], transports=["websocket"], auth={"token": token})
                clients.append(client)
            clients[0].on(
                "presence", lambda data: presence.set() if data.get("online") == 2 else None, namespace=LIVE
            )
            assert clients[0].call("join", {"session_id": session_id}, namespace=LIVE, timeout=30)["ok"]
            assert clients[1].call("join", {"session_id": session_id}, namespace=LIVE, timeout=30)["ok"]
            assert presence.wait(30), "a broadcast to this worker's own clients was lost with the queue down"
        finally:
            for client in clients:
                client.disconnect()
        deadline = time.monotonic() + 10
        while "message_queue_unreachable" not in stderr.read_text() and time.monotonic() < deadline:
            time.sleep(0.2)
        assert "message_queue_unreachable" in stderr.read_text()


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]
