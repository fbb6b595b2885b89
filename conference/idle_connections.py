"""What an idle live connection costs the server: one reader, its socket, and little else.

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


IDLE = object()  # what a writer's wait for the next packet gives when none came

# How long a WebSocket's writer waits for the next frame before it ends (a send starts another): a
# busy socket keeps its writer through a storm, an idle one holds none.
WRITER_LINGER_SECONDS = 2.0


def _socket_class(schedule: PingSchedule) -> type:
    class LeanSocket(engineio.socket.Socket):
        """python-engineio's socket, its pings sent by the server's `PingSchedule`, and on a
        WebSocket a writer task only while there are frames to write."""

        last_ping: float | None
        queue: Any
        connected: bool
        writer: Any = None  # the task writing this WebSocket's frames, while one runs

        def schedule_ping(self) -> None:
            # as python-engineio's: a new wait starts once the client has answered the last ping
            if self.last_ping:
                self.last_ping = None
                schedule.add(self)

        def _websocket_handler(self, ws: Any) -> list:
            """python-engineio's handler (the upgrade, then the reader loop), but the frames queued
            for the client are written by a task started when one is queued and ended when the
            queue has stayed empty for `WRITER_LINGER_SECONDS`, not by a task per socket that waits
            for the connection's whole life."""
            if not self._open_websocket(ws):
                return []
            writer_lock = threading.Lock()
            self.queue = _WakingQueue(self.queue, lambda: self._start_writer(ws, writer_lock))
            self._start_writer(ws, writer_lock)
            self._read_websocket(ws)
            self.queue.put(None)  # the writer (or a new one) closes the WebSocket and ends
            writer = self.writer
            if writer is not None:
                writer.join()
            self.close(wait=False, abort=True, reason=self.server.reason.TRANSPORT_CLOSE)
            return []

        def _open_websocket(self, ws: Any) -> bool:
            """python-engineio's start of a WebSocket: at once, or the upgrade from long-polling
            (the probe, then the UPGRADE packet). False when the upgrade fails."""
            for attr in ("_sock", "socket"):  # as python-engineio: the reader waits at most this long
                if hasattr(ws, attr) and hasattr(getattr(ws, attr), "settimeout"):
                    getattr(ws, attr).settimeout(self.server.ping_interval + self.server.ping_timeout)
            if not self.connected:  # a WebSocket from the start
                self.connected = True
                self.upgraded = True
                return True
            self.upgrading = True  # an upgrade from long-polling: packet sends wait
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
            """python-engineio's reader loop: each frame is received until the connection ends."""
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

        def _start_writer(self, ws: Any, lock: threading.Lock) -> None:
            if self.writer is not None:  # the running writer takes what was just queued
                return
            with lock:
                if self.writer is not None or self.queue.empty():
                    return
                self.writer = self.server.start_background_task(self._write, ws, lock)

        def _write(self, ws: Any, lock: threading.Lock) -> None:
            try:
                while (pkt := self._next_packet(lock)) is not None:
                    if pkt is IDLE:
                        return  # no longer this socket's writer: the next frame starts another
                    ws.send(pkt.encode())
            except Exception:  # noqa: BLE001 - as python-engineio's writer: a failed send ends it
                pass
            ws.close()  # None: the socket is closing

        def _next_packet(self, lock: threading.Lock) -> Any:
            """The next queued packet (None once the socket closes), or IDLE when none came within
            the linger."""
            try:
                pkt = self.queue.get(timeout=WRITER_LINGER_SECONDS)
            except self.server.get_queue_empty_exception():
                with lock:
                    if self.queue.empty():
                        self.writer = None
                        return IDLE
                pkt = self.queue.get(block=False)  # queued after the wait, before the lock
            self.queue.task_done()
            return pkt

    return LeanSocket


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

    def get(self, *args: Any, **kwargs: Any) -> Any:
        return self._queue.get(*args, **kwargs)

    def task_done(self) -> None:
        self._queue.task_done()

    def join(self) -> None:
        self._queue.join()

    def empty(self) -> bool:
        return self._queue.empty()


def init_app(server: Any) -> None:
    """The engine.io sockets of `server` (a python-socketio Server) share one ping task. A socket
    becomes a `ScheduledPingSocket` in the engine's connect event, which python-engineio triggers
    after making the socket and before scheduling its first ping."""
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
