"""What Flask-SocketIO's test client cannot show: the transport's limits on a real server.

The app runs as `conference serve` on a loopback port, in this run's async mode (eventlet, and gevent
in .ci/run's second pass: the two modes' WebSocket servers differ), and python-socketio's own
client talks to it.
"""

from __future__ import annotations

import threading

import pytest
import socketio as socketio_client
from serve_support import served
from sqlalchemy import func, select

from conference.extensions import db
from conference.rooms.models import ChatMessage

pytestmark = pytest.mark.real_server

WAIT = 10  # seconds to wait for a network event before the test fails


@pytest.fixture()
def server(app):
    with app.app_context():
        db.engine.dispose()  # the server process writes to the same SQLite file
    with served(app.config["SQLALCHEMY_DATABASE_URI"]) as base_url:
        yield base_url


def connected_client(base_url, token, *, transport="websocket", origin=None):
    """A connected python-socketio client sending `origin` (the app's own by default) as Origin."""
    origin = origin or base_url
    if transport == "websocket":  # websocket-client writes the Origin header itself
        client = socketio_client.Client(reconnection=False, websocket_extra_options={"origin": origin})
        headers = {}
    else:
        client = socketio_client.Client(reconnection=False)
        headers = {"Origin": origin}
    gone = threading.Event()
    client.on("disconnect", lambda *args: gone.set(), namespace="/live")
    client.connect(
        base_url,
        namespaces=["/live"],
        transports=[transport],
        auth={"token": token},
        headers=headers,
        wait_timeout=WAIT,
    )
    return client, gone


def chat_rows(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(ChatMessage))


@pytest.mark.parametrize("transport", ["websocket", "polling"])
def test_an_oversized_frame_is_refused(app, cast, make_token, server, transport):
    limit = app.config["SOCKETIO_MAX_HTTP_BUFFER_SIZE"]
    client, gone = connected_client(server, make_token(cast.alice), transport=transport)
    try:
        ack = client.call("join", {"session_id": cast.plenary}, namespace="/live", timeout=WAIT)
        assert ack["ok"] is True
        fine = client.call(
            "chat:send", {"session_id": cast.plenary, "text": "é" * 1000}, namespace="/live", timeout=WAIT
        )
        assert fine["ok"] is True
        client.emit("chat:send", {"session_id": cast.plenary, "text": "x" * (limit * 2)}, namespace="/live")
        assert gone.wait(WAIT), "the server kept a connection that sent an oversized frame"
    finally:
        client.disconnect()
    assert chat_rows(app) == 1


def test_a_foreign_origin_is_refused(cast, make_token, server):
    token = make_token(cast.alice)
    with pytest.raises(socketio_client.exceptions.ConnectionError):
        connected_client(server, token, origin="https://evil.example", transport="polling")
    with pytest.raises(socketio_client.exceptions.ConnectionError):
        connected_client(server, token, origin="https://evil.example", transport="websocket")
    # The same client from the app's own origin gets in: the Origin alone made the difference.
    client, _ = connected_client(server, token)
    try:
        assert (
            client.call("join", {"session_id": cast.plenary}, namespace="/live", timeout=WAIT)["ok"] is True
        )
    finally:
        client.disconnect()


def test_a_client_without_credentials_is_refused_with_a_reason(server):
    client = socketio_client.Client(reconnection=False)
    reasons = []
    client.on("connect_error", reasons.append, namespace="/live")
    with pytest.raises(socketio_client.exceptions.ConnectionError):
        client.connect(
            server,
            namespaces=["/live"],
            transports=["polling"],
            headers={"Origin": server},
            wait_timeout=WAIT,
        )
    client.disconnect()
    assert (
        reasons and "sign in" in reasons[0]["message"] and reasons[0]["data"] == {"code": "unauthenticated"}
    )
