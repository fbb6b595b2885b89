"""The live connections: what each holds while it waits, and how a frame reaches it.

A plenary holds thousands of sockets that mostly wait. Measured with tracemalloc and the idle-clients
scenario of `bench/live_engine.py` (eventlet, 3,000 clients), each waiting connection held, besides
its reader's green thread:
- the write buffer eventlet's HTTP server gives every connection (16 KiB) and its read buffer
  (8 KiB), both allocated when the connection is accepted and never used again once it has become a
  WebSocket, which writes to the socket directly;
- a green thread per socket sleeping until python-engineio's next ping (about 8 KB each).
Here the write buffer is made at the connection's first HTTP write (a WebSocket has none), the read
buffer is 2 KiB (request heads are smaller; larger bodies are read past the buffer), and one
background task per server sends every socket's pings: each socket waits the same interval, so the
sockets due are always the oldest of one queue.

A broadcast to a room of 2,000 put a packet in each socket's queue and woke each socket's writer
task: a hub timer and two switches per recipient, most of the server's time in the Q&A burst. Under
eventlet a frame now goes straight to the socket when nothing is waiting to be written before it
(the queue is empty and the writer is not writing): one non-blocking send. A frame the client's
buffers cannot take whole goes the old way, or, when part of it was taken, a task finishes it while
holding the WebSocket's send lock, so every later frame waits behind it: a slow client never holds
up the sender, and its frames stay whole and in order. Pings still go through the queue: the
writer closes a connection whose queue has been empty for a ping interval and timeout.
"""

from __future__ import annotations

import collections
import io
import threading
import time
from typing import Any

import engineio.socket
from engineio import packet

# Request heads (request line, cookies, headers) are well under 2 KiB; BufferedReader reads a longer
# line or a body through several reads of the socket, as correct as with a larger buffer.
READ_BUFFER_BYTES = 2048


class PingSchedule:
    """The pings of every socket of one engine.io server, sent by one background task that runs
    while a ping is due and ends when none is."""

    def __init__(self, server: Any) -> None:
        self.server = server  # the engine.io server: its ping interval, sleep and background tasks
        self.due: collections.deque[tuple[float, engineio.socket.Socket]] = collections.deque()
        self.lock = threading.Lock()
        self.running = False

    def add(self, sock: engineio.socket.Socket) -> None:
        """Ping `sock` one interval from now (the interval is the same for all, so the queue stays
        in the order of the times due)."""
        with self.lock:
            self.due.append((time.monotonic() + self.server.ping_interval, sock))
            if self.running:
                return
            self.running = True
        self.server.start_background_task(self._run)

    def _run(self) -> None:
        while True:
            with self.lock:
                if not self.due:
                    self.running = False
                    return
                wait = self.due[0][0] - time.monotonic()
            if wait > 0:
                self.server.sleep(wait)
                continue
            _, sock = self.due.popleft()
            _ping(sock)


def _ping(sock: engineio.socket.Socket) -> None:
    """What python-engineio's `Socket._send_ping` does once its sleep is over."""
    if not sock.closing and not sock.closed:
        sock.last_ping = time.time()
        sock.send(packet.Packet(packet.PING))


def _lock_free(lock: Any) -> bool:
    """Whether an eventlet Semaphore can be taken at once. Just released, it is not `locked()`
    while the task it woke has not run yet, and `acquire` then waits behind that task."""
    return not lock.locked() and not lock._waiters


def _write_now(server: Any, ws: Any, data: str | bytes) -> bool:
    """Send `data` as one frame on `ws` (eventlet's WebSocket, its send lock free) without waiting:
    False when the socket took none of it (write it the old way)."""
    frame = ws._pack_message(data)
    ws._sendlock.acquire()  # free, no one waiting: the caller checked, and nothing ran since
    try:
        sent = ws.socket.fd.send(frame)  # the real socket under eventlet's: never waits
    except OSError:  # BlockingIOError (the client's buffers are full) or a broken connection
        ws._sendlock.release()
        return False
    if sent == len(frame):
        ws._sendlock.release()
        return True
    server.start_background_task(_finish_frame, ws, memoryview(frame)[sent:])  # keeps the lock
    return True


def _finish_frame(ws: Any, rest: memoryview) -> None:
    try:
        ws.socket.sendall(rest)
    except OSError:
        pass  # the connection is gone: its reader ends it
    finally:
        ws._sendlock.release()


def _socket_class(schedule: PingSchedule) -> type:
    class LiveSocket(engineio.socket.Socket):
        """python-engineio's socket, its pings sent by the server's `PingSchedule` and, on an
        eventlet WebSocket, its frames written at once when nothing waits to be written first."""

        last_ping: float | None
        websocket: Any = None  # eventlet's WebSocket of this socket, while it is open

        def schedule_ping(self) -> None:
            # as python-engineio's: a new wait starts once the client has answered the last ping
            if self.last_ping:
                self.last_ping = None
                schedule.add(self)

        def _websocket_handler(self, ws: Any) -> list:
            if hasattr(ws, "_sendlock") and hasattr(getattr(ws, "socket", None), "fd"):
                self.websocket = ws  # eventlet's (gevent's simple-websocket keeps the writer task)
            try:
                return super()._websocket_handler(ws)
            finally:
                self.websocket = None

        def send(self, pkt: Any) -> None:
            ws = self.websocket
            if (
                ws is None
                or pkt.packet_type == packet.PING  # keeps python-engineio's writer from timing out
                or self.upgrading
                or not self.upgraded
                or self.closing
                or ws.websocket_closed
                or not _lock_free(ws._sendlock)  # a frame is being written, or waits to be
                or not self.queue.empty()  # frames wait for the writer: this one goes after them
            ):
                return super().send(pkt)
            if not self.check_ping_timeout():
                return None
            if not _write_now(self.server, ws, pkt.encode()):
                self.queue.put(pkt)
            return None

    return LiveSocket


def init_app(server: Any) -> None:
    """The engine.io sockets of `server` (a python-socketio Server) become `LiveSocket`s: in the
    engine's connect event, which python-engineio triggers after making the socket and before
    scheduling its first ping."""
    engine = server.eio
    socket_class = _socket_class(PingSchedule(engine))
    handle_connect = engine.handlers["connect"]

    def connect(eio_sid: str, environ: dict) -> Any:
        sock = engine.sockets.get(eio_sid)
        if type(sock) is engineio.socket.Socket:
            sock.__class__ = socket_class
        return handle_connect(eio_sid, environ)

    engine.on("connect", connect)


def eventlet_protocol() -> type:
    """eventlet's HTTP protocol (`eventlet.wsgi.server(protocol=...)`) with the connection's write
    buffer made at its first write and a smaller read buffer."""
    from eventlet import wsgi

    class LeanHttpProtocol(wsgi.HttpProtocol):
        rbufsize = READ_BUFFER_BYTES
        wbufsize: int
        wfile: Any

        def setup(self) -> None:
            buffer_bytes, self.wbufsize = self.wbufsize, 0
            super().setup()  # wbufsize 0: self.wfile is the socket's raw, unbuffered writer
            self.wfile = BufferedOnFirstWrite(self.wfile, buffer_bytes)

    return LeanHttpProtocol


class BufferedOnFirstWrite:
    """A buffered writer over `raw` that allocates its buffer at the first write (or any other use
    but `flush`, `close` and `closed`, which need none before it)."""

    def __init__(self, raw: Any, buffer_bytes: int) -> None:
        self._raw = raw
        self._buffer_bytes = buffer_bytes
        self._buffered: Any = None

    def _writer(self) -> Any:
        if self._buffered is None:
            self._buffered = io.BufferedWriter(self._raw, self._buffer_bytes)
        return self._buffered

    @property
    def buffered(self) -> bool:
        """Whether the buffer has been made."""
        return self._buffered is not None

    def write(self, data: bytes) -> int:
        return self._writer().write(data)

    def writelines(self, lines: Any) -> None:
        self._writer().writelines(lines)

    def flush(self) -> None:
        if self._buffered is not None:
            self._buffered.flush()

    def close(self) -> None:
        (self._raw if self._buffered is None else self._buffered).close()

    @property
    def closed(self) -> bool:
        return (self._raw if self._buffered is None else self._buffered).closed

    def __getattr__(self, name: str) -> Any:
        return getattr(self._writer(), name)
