"""The live connections (conference/live_connections.py): one ping task per server instead of a
sleeping task per socket, HTTP buffers made when used, and frames written at once under eventlet.
Against real `conference serve` processes (this run's async mode), with raw Engine.IO frames where
the test needs to see the pings themselves, and eventlet processes of their own for a slow client and
for eventlet's HTTP protocol."""

from __future__ import annotations

import itertools
import json
import socket
import subprocess
import sys
import time
from urllib.parse import urlsplit

import engineio
import engineio.socket
import pytest
import requests
import websocket
from engineio import packet
from serve_support import served

from conference.live_connections import BufferedOnFirstWrite, PingSchedule


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
                ws.close()  # a close frame, if the connection is still open
                ws.shutdown()  # the socket itself: close() leaves it open once the server has closed


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


# Run under eventlet in a process of its own (this test process is not monkey-patched): a LiveSocket
# on a real TCP connection whose client reads nothing until every frame has been sent.
SLOW_CLIENT = r"""
import eventlet

eventlet.monkey_patch()

import json
import socket
import struct
import time

import engineio.socket
import socketio
from engineio import packet
from eventlet import websocket

from conference import live_connections

live_connections.WRITER_LINGER_SECONDS = 0.3
finished_later = []  # frames the socket took only part of at once: the rest went out in a task
finish_frame = live_connections._finish_frame
live_connections._finish_frame = lambda ws, rest: finished_later.append(len(rest)) or finish_frame(ws, rest)

server = socketio.Server(async_mode="eventlet")
live_connections.init_app(server)
sock = engineio.socket.Socket(server.eio, "slow")
server.eio.sockets["slow"] = sock
server.eio.handlers["connect"]("slow", {})  # python-engineio's connect event: a LiveSocket now
assert type(sock).__name__ == "LiveSocket"

listener = socket.create_server(("127.0.0.1", 0))
client = socket.create_connection(listener.getsockname())
client.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 65536)
connection, _ = listener.accept()
connection.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 4096)
ws = websocket.RFC6455WebSocket(connection, {}, version=13)
handler = eventlet.spawn(sock._websocket_handler, ws)
eventlet.sleep(0.1)
writer_when_idle = sock.writer

sent, slowest = [], 0.0
for n in range(40):
    data = f"{n:04d}" + "x" * (400_000 if n == 0 else 5_000)  # the first fills every buffer
    started = time.monotonic()
    sock.send(packet.Packet(packet.MESSAGE, data=data))
    slowest = max(slowest, time.monotonic() - started)
    sent.append("4" + data)
    eventlet.sleep(0)  # the writer and any frame's finish may run; the client still reads nothing

writer_while_queued = sock.writer
eventlet.sleep(0.5)
received, buffer = [], b""


def take(count):
    global buffer
    while len(buffer) < count:
        chunk = client.recv(65536)
        if not chunk:
            raise EOFError
        buffer += chunk
    taken, buffer = buffer[:count], buffer[count:]
    return taken


client.settimeout(10)
while len(received) < len(sent):
    first, second = take(2)
    length = second & 0x7F
    if length == 126:
        (length,) = struct.unpack("!H", take(2))
    elif length == 127:
        (length,) = struct.unpack("!Q", take(8))
    received.append((first & 0x0F, take(length).decode()))

eventlet.sleep(0.6)  # the queue has been empty for longer than the writer's linger
writer_after_linger = sock.writer

# The send lock just released, the task it woke not yet run: a frame sent now waits in the queue
# (behind that task), instead of waiting for the lock itself.
ws._sendlock.acquire()
waiter = eventlet.spawn(ws._sendlock.acquire)
eventlet.sleep(0)
ws._sendlock.release()
started = time.monotonic()
sock.send(packet.Packet(packet.MESSAGE, data="behind the waiter"))
behind_waiter_s = time.monotonic() - started
waiter.wait()
ws._sendlock.release()
first, second = take(2)
last = take(second & 0x7F).decode()

print(json.dumps({
    "behind_waiter_s": behind_waiter_s,
    "last": last,
    "slowest_send_s": slowest,
    "opcodes": sorted({opcode for opcode, _ in received}),
    "in_order": [text for _, text in received] == sent,
    "pending_bytes": len(buffer),
    "finished_later": len(finished_later),
    "writer": [writer_when_idle is not None, writer_while_queued is not None, writer_after_linger is not None],
}))
"""


def test_a_client_that_reads_nothing_never_holds_up_the_sender_and_gets_every_frame_whole():
    done = subprocess.run(
        [sys.executable, "-c", SLOW_CLIENT], capture_output=True, text=True, timeout=30, check=False
    )
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["finished_later"] == 1, result  # the first frame, and the 39 others waited for it
    assert result["slowest_send_s"] < 0.05, result  # 600 KB for a client that reads none of it
    assert result["opcodes"] == [1]  # text frames only: no frame was cut into another
    assert result["in_order"], result
    assert result["pending_bytes"] == 0
    assert result["behind_waiter_s"] < 0.05, result
    assert result["last"] == "4behind the waiter"
    assert result["writer"] == [False, True, False]  # a writer task only while frames were queued


# eventlet's HTTP server with conference's protocol, in a process of its own: a WebSocket echo
# server, and a plain WSGI app answering on the same port.
UPGRADED = r"""
import eventlet

eventlet.monkey_patch()

import base64
import gc
import json
import os

from eventlet import websocket, wsgi

from conference.live_connections import DroppableReadBuffer, eventlet_protocol

seen = {}


def echo(ws):
    protocol = next(o for o in gc.get_referrers(ws.environ) if isinstance(o, wsgi.HttpProtocol))
    seen["buffered"] = [protocol.rfile._reader is not protocol.rfile._raw, type(protocol.rfile).__name__]
    seen["forwarded_for"] = protocol.headers.get("X-Forwarded-For")
    seen["headers"] = type(protocol.headers).__name__
    while (message := ws.wait()) is not None:
        ws.send(message.upper())


def app(environ, start_response):
    if environ.get("HTTP_UPGRADE") == "websocket":
        return websocket.WebSocketWSGI(echo)(environ, start_response)
    body = environ["wsgi.input"].read()
    start_response("200 OK", [("Content-Length", str(len(body)))])
    return [body]


listener = eventlet.listen(("127.0.0.1", 0))
port = listener.getsockname()[1]
eventlet.spawn(wsgi.server, listener, app, protocol=eventlet_protocol(), log_output=False)


def frame(text):  # a masked client text frame
    mask = os.urandom(4)
    data = bytes(b ^ mask[n % 4] for n, b in enumerate(text.encode()))
    return bytes([0x81, 0x80 | len(data)]) + mask + data


def read_until(conn, end):
    data = b""
    while end not in data:
        chunk = conn.recv(4096)
        if not chunk:
            break
        data += chunk
    return data


client = eventlet.connect(("127.0.0.1", port))
key = base64.b64encode(os.urandom(16)).decode()
client.sendall(
    f"GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
    f"X-Forwarded-For: 203.0.113.7\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n".encode()
)
handshake = read_until(client, b"\r\n\r\n")
client.sendall(frame("hello"))
echoed = read_until(client, b"HELLO")
client.close()

plain = eventlet.connect(("127.0.0.1", port))  # two requests with bodies on one kept-alive connection
plain.sendall(b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nfirst")
plain.sendall(b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 6\r\n\r\nsecond")
answers = read_until(plain, b"second")
plain.close()
print(json.dumps({
    **seen,
    "handshake": handshake.split(b"\r\n")[0].decode(),
    "echoed": echoed.endswith(b"HELLO"),
    "answers": [answers.count(b"200 OK"), b"first" in answers],
}))
"""


def test_a_websocket_keeps_neither_the_read_buffer_nor_the_parsed_headers_of_its_request():
    done = subprocess.run(
        [sys.executable, "-c", UPGRADED], capture_output=True, text=True, timeout=30, check=False
    )
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["handshake"] == "HTTP/1.1 101 Switching Protocols", result
    assert result["buffered"] == [False, "DroppableReadBuffer"], result
    assert result["headers"] == "HeadersAfterUpgrade", result
    assert result["forwarded_for"] == "203.0.113.7", result  # what eventlet's access log still reads
    assert result["echoed"], result
    assert result["answers"] == [2, True], result  # plain HTTP keeps its buffer: both requests read
