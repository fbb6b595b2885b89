"""What each live connection holds while it waits (conference/idle_connections.py): one ping task per
server instead of a sleeping task per socket, and HTTP buffers made when used. Against real `conference serve` processes (this run's async mode),
with raw Engine.IO frames where the test needs to see the pings themselves."""

from __future__ import annotations

import itertools
import json
import socket
import time
from urllib.parse import urlsplit

import engineio
import engineio.socket
import pytest
import requests
import websocket
from engineio import packet
from serve_support import served

from conference.extensions import db
from conference.idle_connections import BufferedOnFirstWrite, PingSchedule


@pytest.fixture()
def database_url(app):
    with app.app_context():
        db.engine.dispose()  # the server process writes to the same SQLite file
    return app.config["SQLALCHEMY_DATABASE_URI"]


def open_engine_socket(base_url: str) -> tuple[websocket.WebSocket, dict]:
    """A raw Engine.IO WebSocket and the server's open packet."""
    address = urlsplit(base_url)
    ws = websocket.create_connection(
        f"ws://{address.netloc}/socket.io/?EIO=4&transport=websocket", origin=base_url, timeout=10
    )
    opened = ws.recv()
    assert opened.startswith("0"), opened
    return ws, json.loads(opened[1:])


def next_frame(ws: websocket.WebSocket, timeout: float) -> str:
    ws.settimeout(timeout)
    return ws.recv()


def closed_by_server(ws: websocket.WebSocket, within: float) -> bool:
    """Whether the server closes `ws` within `within` seconds: a WebSocket close frame (eventlet
    also closes the TCP connection, gevent's simple-websocket waits for the client's close frame)."""
    try:
        while True:
            frame = next_frame(ws, timeout=within)
            if frame == "":
                return True
            assert frame in {"1", "2"}, frame  # the CLOSE packet, a ping
    except websocket.WebSocketConnectionClosedException:
        return True
    except websocket.WebSocketTimeoutException:
        return False


@pytest.mark.real_server
def test_every_socket_is_pinged_each_interval_and_a_silent_one_is_closed(database_url):
    with served(database_url, CONFERENCE_PING_INTERVAL="1", CONFERENCE_PING_TIMEOUT="1") as base_url:
        sockets = []
        try:
            for _ in range(20):
                sockets.append(open_engine_socket(base_url))
                time.sleep(0.03)  # different times due, one queue
            assert {opened["pingInterval"] for _, opened in sockets} == {1000}
            answering, _ = sockets[0]
            arrivals = []
            for _ in range(3):
                assert next_frame(answering, timeout=3) == "2"
                arrivals.append(time.monotonic())
                answering.send("3")
            gaps = [later - earlier for earlier, later in itertools.pairwise(arrivals)]
            assert all(0.8 < gap < 2.0 for gap in gaps), gaps
            for ws, _ in sockets[1:]:  # each of the others got its first ping too
                assert next_frame(ws, timeout=3) == "2"
            silent, _ = sockets[1]  # it got a ping and did not answer
            started = time.monotonic()
            assert closed_by_server(silent, within=6)
            assert time.monotonic() - started < 5
        finally:
            for ws, _ in sockets:
                ws.close()


@pytest.mark.real_server
def test_request_heads_longer_than_the_read_buffer_are_read_whole(database_url):
    with served(database_url) as base_url:
        headers = {f"X-Padding-{n}": "p" * 2000 for n in range(4)}  # an 8 KB head, 2 KiB read buffer
        with requests.Session() as session:  # two requests on one kept-alive connection
            health = session.get(f"{base_url}/healthz", headers=headers, timeout=10)
            page = session.get(f"{base_url}/", timeout=10)
    assert health.status_code == 200, health.text
    assert page.status_code == 200
    assert len(page.content) > 0


def test_one_task_pings_sockets_in_the_order_they_became_due():
    server = engineio.Server(async_mode="threading", ping_interval=1)
    schedule = PingSchedule(server)
    sockets = [engineio.socket.Socket(server, f"sid{n}") for n in range(3)]
    added = []
    for sock in sockets:
        schedule.add(sock)
        added.append(time.monotonic())
        time.sleep(0.2)
    sockets[1].closed = True  # closed while it waited: no ping
    for sock, when in zip(sockets, added, strict=True):
        if sock.closed:
            continue
        pinged = sock.queue.get(timeout=3)
        assert pinged.packet_type == packet.PING
        assert time.monotonic() - when >= 0.95
        assert sock.last_ping is not None
    time.sleep(0.3)
    assert sockets[1].queue.empty()
    assert not schedule.running  # nothing is due: the task has ended


def test_the_write_buffer_is_made_at_the_first_write():
    left, right = socket.socketpair()
    with left, right:
        writer = BufferedOnFirstWrite(left.makefile("wb", 0), 16 * 1024)
        writer.flush()
        assert not writer.buffered
        writer.write(b"HTTP/1.1 200 OK\r\n")
        writer.writelines([b"Content-Length: 0\r\n", b"\r\n"])
        assert writer.buffered
        right.setblocking(False)
        with pytest.raises(BlockingIOError):
            right.recv(100)  # still in the buffer
        writer.flush()
        right.setblocking(True)
        assert right.recv(100) == b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"
        writer.close()
        assert writer.closed

        unused = BufferedOnFirstWrite(left.makefile("wb", 0), 16 * 1024)
        unused.close()
        assert unused.closed and not unused.buffered
