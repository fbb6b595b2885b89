"""WebSocket frames are sent uncompressed unless the configuration asks for permessage-deflate.

A real `conference serve` (this run's async mode: eventlet, and gevent in .ci/run's second pass, whose
WebSocket servers differ) answers a handshake that offers permessage-deflate, as browsers and
socket.io-client do; the answer's extension header says what was agreed.
"""

from __future__ import annotations

import base64
import os
import socket
from urllib.parse import urlsplit

import pytest
from serve_support import live_client, served

pytestmark = pytest.mark.real_server

OFFER = "permessage-deflate; client_max_window_bits"


def handshake(base_url: str) -> tuple[str, dict[str, str]]:
    """Open a WebSocket to engine.io offering permessage-deflate; the status line and the headers."""
    address = urlsplit(base_url)
    key = base64.b64encode(os.urandom(16)).decode()
    request = (
        "GET /socket.io/?EIO=4&transport=websocket HTTP/1.1\r\n"
        f"Host: {address.netloc}\r\n"
        f"Origin: {base_url}\r\n"
        "Upgrade: websocket\r\n"
        "Connection: Upgrade\r\n"
        f"Sec-WebSocket-Key: {key}\r\n"
        "Sec-WebSocket-Version: 13\r\n"
        f"Sec-WebSocket-Extensions: {OFFER}\r\n\r\n"
    )
    with socket.create_connection((address.hostname, address.port), timeout=10) as connection:
        connection.sendall(request.encode())
        answer = b""
        while b"\r\n\r\n" not in answer:
            chunk = connection.recv(4096)
            assert chunk, f"the server closed the handshake: {answer!r}"
            answer += chunk
    status, *lines = answer.split(b"\r\n\r\n", 1)[0].decode("latin-1").split("\r\n")
    headers = {name.strip().lower(): value.strip() for name, value in (line.split(":", 1) for line in lines)}
    return status, headers


def test_frames_are_uncompressed_by_default(database_url, cast, make_token):
    with served(database_url) as base_url:
        status, headers = handshake(base_url)
        assert status.split()[1] == "101", status
        assert "sec-websocket-extensions" not in headers, headers
        # a client that offers compression (python-socketio's does not) still joins and is answered
        client = live_client(base_url, make_token(cast.alice))
        try:
            ack = client.call("join", {"session_id": cast.plenary}, namespace="/live", timeout=10)
        finally:
            client.disconnect()
    assert ack["ok"] is True


def test_compression_is_agreed_when_configured(database_url):
    with served(database_url, CONFERENCE_WEBSOCKET_COMPRESSION="1") as base_url:
        status, headers = handshake(base_url)
    assert status.split()[1] == "101", status
    assert headers.get("sec-websocket-extensions", "").startswith("permessage-deflate"), headers
