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
up the sender, and its frames stay whole and in order. What is left for the queue (a frame the
client's buffers could not take, the packets of an upgrade from long-polling) is written by a task
that runs only while frames are queued: python-engineio's writer waited for the connection's whole
life. Once a connection has become a WebSocket, eventlet's HTTP protocol also lets go of the
request's read buffer and parsed headers. Left per idle socket: its reader's green thread, its
queue, the WSGI environ (twice: Flask-SocketIO copies it) and the room state.
"""

from __future__ import annotations

import collections
import io
import threading
import time
from collections.abc import Callable
from typing import Any

import engineio.exceptions
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


# How long a WebSocket's writer task waits for the next queued frame before it ends (the next one
# queued starts another): a frame is queued only when it cannot be written at once.
WRITER_LINGER_SECONDS = 2.0


def _socket_class(schedule: PingSchedule) -> type:
    class LiveSocket(engineio.socket.Socket):
        """python-engineio's socket, its pings sent by the server's `PingSchedule` and, on an
        eventlet WebSocket, its frames written at once when nothing waits to be written first,
        the others by a writer task that runs only while frames are queued."""

        last_ping: float | None
        queue: Any
        connected: bool
        websocket: Any = None  # eventlet's WebSocket of this socket, while it is open
        writer: Any = None  # the task writing this WebSocket's queued frames, while one runs

        def schedule_ping(self) -> None:
            # as python-engineio's: a new wait starts once the client has answered the last ping
            if self.last_ping:
                self.last_ping = None
                schedule.add(self)

        def _websocket_handler(self, ws: Any) -> list:
            """python-engineio's handler (the upgrade, then the reader loop), without its writer
            task waiting for the connection's whole life. gevent's simple-websocket keeps it."""
            if not (hasattr(ws, "_sendlock") and hasattr(getattr(ws, "socket", None), "fd")):
                return super()._websocket_handler(ws)
            ws.socket.settimeout(self.server.ping_interval + self.server.ping_timeout)
            if not self._open_websocket(ws):
                return []
            self.queue = _WakingQueue(self.queue, lambda: self._start_writer(ws))
            self.websocket = ws
            try:
                self._start_writer(ws)  # for the frames queued during an upgrade
                self._read_websocket(ws)
            finally:
                self.websocket = None
            self.queue.put(None)  # the writer (or a new one) closes the WebSocket and ends
            if self.writer is not None:
                self.writer.join()
            self.close(wait=False, abort=True, reason=self.server.reason.TRANSPORT_CLOSE)
            return []

        def _open_websocket(self, ws: Any) -> bool:
            """python-engineio's start of a WebSocket: at once, or the upgrade from long-polling
            (the probe, then the UPGRADE packet). False when the upgrade fails."""
            if not self.connected:
                self.connected = self.upgraded = True
                return True
            self.upgrading = True  # packets wait in the queue meanwhile
            try:
                probe = packet.Packet(encoded_packet=_wait_frame(self.server, ws))
                if probe.packet_type != packet.PING or probe.data != "probe":
                    self.server.logger.info("%s: Failed websocket upgrade, no PING packet", self.sid)
                    return False
                ws.send(packet.Packet(packet.PONG, data="probe").encode())
                self.queue.put(packet.Packet(packet.NOOP))  # ends the pending long-poll
                upgrade = packet.Packet(encoded_packet=_wait_frame(self.server, ws))
                if upgrade.packet_type != packet.UPGRADE:
                    self.upgraded = False
                    self.server.logger.info("%s: Failed websocket upgrade, no UPGRADE packet", self.sid)
                    return False
                self.upgraded = True
                return True
            finally:
                self.upgrading = False

        def _read_websocket(self, ws: Any) -> None:
            """python-engineio's reader loop: each frame is received until the connection ends (the
            client closes it, or sends nothing for a ping interval and timeout)."""
            while True:
                try:
                    data = _wait_frame(self.server, ws)
                except Exception as error:  # noqa: BLE001 - as python-engineio's: any failed read ends it
                    if not self.closed:
                        self.server.logger.info(
                            "%s: Unexpected error %s, closing connection", self.sid, error
                        )
                    return
                if data is None:  # closed by the client
                    return
                try:
                    self.receive(packet.Packet(encoded_packet=data))
                except engineio.exceptions.UnknownPacketError:
                    pass
                except engineio.exceptions.SocketIsClosedError:
                    return
                except Exception:
                    self.server.logger.exception("Unknown receive error")
                    return

        def _start_writer(self, ws: Any) -> None:
            # no switch to another task between the checks and the start: one hub thread runs them
            if self.writer is None and not self.queue.empty():
                self.writer = self.server.start_background_task(self._write, ws)

        def _write(self, ws: Any) -> None:
            queue_empty = self.server.get_queue_empty_exception()
            try:
                while True:
                    try:
                        pkt = self.queue.get(timeout=WRITER_LINGER_SECONDS)
                    except queue_empty:
                        if self.queue.empty():
                            self.writer = None  # the next frame queued starts another writer
                            return
                        continue  # queued as the wait ended
                    self.queue.task_done()
                    if pkt is None:  # the socket is closing
                        break
                    ws.send(pkt.encode())
            except Exception:  # noqa: BLE001 - as python-engineio's writer: a failed send ends it
                pass
            ws.close()

        def send(self, pkt: Any) -> None:
            ws = self.websocket
            if (
                ws is None
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


def _wait_frame(server: Any, ws: Any) -> Any:
    data = ws.wait()
    if data and len(data) > server.max_http_buffer_size:
        raise ValueError("packet is too large")
    return data


class _WakingQueue:
    """A socket's packet queue whose `put` starts the socket's writer if none is running."""

    def __init__(self, queue: Any, wake: Callable[[], None]) -> None:
        self._queue = queue
        self._wake = wake

    def put(self, item: Any) -> None:
        self._queue.put(item)
        self._wake()

    def __getattr__(self, name: str) -> Any:  # get, task_done, join, empty
        return getattr(self._queue, name)


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
        rfile: Any
        headers: Any

        def setup(self) -> None:
            read_bytes, self.rbufsize = self.rbufsize, 0
            write_bytes, self.wbufsize = self.wbufsize, 0
            super().setup()  # buffer sizes 0: rfile and wfile are the socket's raw reader and writer
            self.rfile = DroppableReadBuffer(self.rfile, read_bytes)
            self.wfile = BufferedOnFirstWrite(self.wfile, write_bytes)

        def get_environ(self) -> dict:
            environ = super().get_environ()
            mark_idle = environ["eventlet.set_idle"]

            def became_websocket() -> None:
                mark_idle()
                self.drop_http_reading(environ)

            # eventlet's WebSocket calls it once its handshake is done, the one moment it tells
            environ["eventlet.set_idle"] = became_websocket
            return environ

        def drop_http_reading(self, environ: dict) -> None:
            """A WebSocket reads its socket directly: the request's read buffer and parsed headers
            (3 KB) would only wait with it. (Nothing the client sent after the upgrade request can
            be in the buffer: it waits for the handshake's answer before sending a frame.)"""
            self.rfile.drop_buffer()  # not a new rfile: eventlet's own frames hold this one too
            self.headers = HeadersAfterUpgrade(self.headers)

    return LeanHttpProtocol


class DroppableReadBuffer:
    """A buffered reader over `raw` whose buffer can be let go of (`drop_buffer`): later reads, if
    any, read the socket directly."""

    def __init__(self, raw: Any, buffer_bytes: int) -> None:
        self._raw = raw
        self._reader: Any = io.BufferedReader(raw, buffer_bytes)

    def drop_buffer(self) -> None:
        if self._reader is not self._raw:
            self._reader.detach()  # detached, it does not close the socket's reader as it goes
            self._reader = self._raw

    def read(self, size: int = -1) -> bytes:
        return self._reader.read(size)

    def readline(self, size: int = -1) -> bytes:
        return self._reader.readline(size)

    def readlines(self, hint: int = -1) -> list[bytes]:
        return self._reader.readlines(hint)

    def readinto(self, buffer: Any) -> int:
        return self._reader.readinto(buffer)

    def close(self) -> None:
        self._reader.close()

    @property
    def closed(self) -> bool:
        return self._reader.closed

    def __getattr__(self, name: str) -> Any:
        return getattr(self._reader, name)


class HeadersAfterUpgrade:
    """What eventlet's HTTP protocol still reads of a request's headers once it has been answered:
    `Connection` (for a response's keep-alive) and `X-Forwarded-For` (for its access log)."""

    KEPT = ("connection", "x-forwarded-for")

    def __init__(self, headers: Any) -> None:
        self._kept = {name: value for name in self.KEPT if (value := headers.get(name)) is not None}

    def get(self, name: str, default: Any = None) -> Any:
        return self._kept.get(name.lower(), default)


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
