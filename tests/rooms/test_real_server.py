"""What Flask-SocketIO's test client cannot show: the transport's limits on a real server.

The app runs as `conference serve` on a loopback port, in each async mode (eventlet and gevent: the
two modes' WebSocket servers differ), and python-socketio's own client talks to it.
"""

from __future__ import annotations

import json
import threading

import pytest
import requests
import socketio as socketio_client
from serve_support import served
from sqlalchemy import func, select

from conference.extensions import db
from conference.rooms.models import ChatMessage

pytestmark = pytest.mark.real_server

WAIT = 10  # seconds to wait for a network event before the test fails


@pytest.fixture()
def server(database_url):
    with served(database_url) as base_url:
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
    """Over long-polling, spoken by hand: python-socketio's client, refused, may close its session
    before its last poll is answered, and then waits for the server's next ping (25 s)."""
    http = requests.Session()
    http.headers["Origin"] = server
    url = f"{server}/socket.io/"
    handshake = http.get(url, params={"EIO": "4", "transport": "polling"}, timeout=WAIT)
    assert handshake.status_code == 200 and handshake.text.startswith("0"), handshake.text
    polling = {"EIO": "4", "transport": "polling", "sid": json.loads(handshake.text[1:])["sid"]}
    assert http.post(url, params=polling, data="40/live,", timeout=WAIT).status_code == 200
    packets = http.get(url, params=polling, timeout=WAIT).text.split("\x1e")
    (refusal,) = [p.removeprefix("44/live,") for p in packets if p.startswith("44/live,")]
    reason = json.loads(refusal)
    assert "sign in" in reason["message"] and reason["data"] == {"code": "unauthenticated"}
