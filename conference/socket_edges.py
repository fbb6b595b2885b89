"""Socket.IO packets that python-socketio and python-engineio do not answer well, answered here.

Measured on a real server (eventlet, raw engine.io packets over long-polling):
- an event whose payload is not `["name", ...]` (`42/live,5[]`, `42/live,5{}`, `42/live,5[{"a":1}]`)
  raised inside python-socketio and got no ack: now it gets the error ack `invalid_event` (with an
  ack id) or a clean disconnect (without one, there is nothing to answer);
- a binary packet announcing no attachments (`45/live,5`) left the connection waiting for
  attachments for ever, every later packet refused as an "unexpected attachment": now a binary packet
  without attachments, a text packet where attachments were due, or a packet that cannot be decoded
  at all (JSON nested 50,000 deep) closes the connection cleanly;
- a long-polling POST larger than `SOCKETIO_MAX_HTTP_BUFFER_SIZE` closed the session and then waited
  for the client to collect the close packet before answering, so the POST itself hung: now it is
  answered at once with 413 and the session is closed without waiting.

The Socket.IO server's message and event dispatch are wrapped on the instance this app built (they
are python-socketio's own methods, called with the same arguments).
"""

from __future__ import annotations

import json
import logging
from urllib.parse import parse_qs

from flask import Flask
from socketio import packet

from .extensions import socketio

log = logging.getLogger(__name__)


def _error_ack(code: str, message: str) -> dict:
    return {"ok": False, "error": {"code": code, "message": message}}


def _is_event(data) -> bool:
    return isinstance(data, list) and bool(data) and isinstance(data[0], str)


def close_now(server, eio_sid: str, why: str) -> None:
    """Close an engine.io session without waiting for the client to collect the close packet
    (`Server.disconnect` waits, which holds the long-polling request that caused it). The app's
    disconnect handlers run; a pending or next GET gets the close packet or "session disconnected"."""
    sock = server.eio.sockets.get(eio_sid)
    if sock is None or sock.closed:
        return
    log.info("closing socket %s: %s", eio_sid, why)
    sock.close(wait=False)


def install(server) -> None:
    """Wrap `server` (a python-socketio Server) so edge packets get an answer."""
    handle_message = server._handle_eio_message
    handle_event = server._handle_event

    def close(eio_sid: str, why: str) -> None:
        server._binary_packet.pop(eio_sid, None)
        close_now(server, eio_sid, why)

    def message(eio_sid, data):
        if eio_sid in server._binary_packet:
            if not isinstance(data, bytes | bytearray):
                return close(eio_sid, "a text packet where binary attachments were due")
            return handle_message(eio_sid, data)
        if isinstance(data, str):
            try:
                decoded = server.packet_class(encoded_packet=data)
            except Exception:  # noqa: BLE001 - any decoding failure is the client's protocol error
                return close(eio_sid, "a packet that cannot be decoded")
            binary = decoded.packet_type in (packet.BINARY_EVENT, packet.BINARY_ACK)
            if binary and decoded.attachment_count < 1:
                return close(eio_sid, "a binary packet without attachments")
            if decoded.packet_type == packet.EVENT:
                # Dispatched as python-socketio's own message handler does, with the packet decoded
                # above: every event (a storm of joins or votes) is decoded once, not twice.
                return server._handle_event(eio_sid, decoded.namespace, decoded.id, decoded.data)
        return handle_message(eio_sid, data)

    def event(eio_sid, namespace, id, data):
        if _is_event(data):
            return handle_event(eio_sid, namespace, id, data)
        namespace = namespace or "/"
        sid = server.manager.sid_from_eio_sid(eio_sid, namespace)
        if id is None or sid is None or not server.manager.is_connected(sid, namespace):
            return close(eio_sid, "an event without a name and without an ack to answer")
        answer = _error_ack("invalid_event", 'an event is ["name", payload]: the name is missing')
        server._send_packet(
            eio_sid, server.packet_class(packet.ACK, namespace=namespace, id=id, data=[answer])
        )
        return None

    server._handle_eio_message = message
    server._handle_event = event
    # engine.io dispatches to the handler it was given at construction: point it at the wrapper
    server.eio.on("message", message)


class OversizedPollGuard:
    """WSGI middleware: a long-polling POST over the frame limit gets a 413 at once and its session is
    closed without waiting for the client to collect the close packet."""

    def __init__(self, wsgi_app, server, path: str = "/socket.io"):
        self.wsgi_app = wsgi_app
        self.server = server
        self.path = path.rstrip("/")

    def __call__(self, environ, start_response):
        if environ.get("REQUEST_METHOD") == "POST" and environ.get("PATH_INFO", "").rstrip("/") == self.path:
            try:
                length = int(environ.get("CONTENT_LENGTH") or 0)
            except ValueError:
                length = 0
            limit = self.server.eio.max_http_buffer_size
            if limit and length > limit:
                sid = parse_qs(environ.get("QUERY_STRING", "")).get("sid", [""])[0]
                close_now(self.server, sid, "a long-polling POST over the frame limit")
                error = _error_ack("payload_too_large", f"a frame may hold at most {limit} bytes")["error"]
                start_response(
                    "413 Request Entity Too Large",
                    [("Content-Type", "application/json"), ("Connection", "close")],
                )
                return [json.dumps({"error": error}).encode()]
        return self.wsgi_app(environ, start_response)


def init_app(app: Flask) -> None:
    """After `socketio.init_app(app)`: wrap this app's Socket.IO server and its WSGI entry."""
    server = socketio.server  # type: ignore[attr-defined]  # the stubs leave .server out
    install(server)
    app.wsgi_app = OversizedPollGuard(app.wsgi_app, server, "/socket.io")  # type: ignore[method-assign]  # Flask's documented way to wrap the WSGI app
