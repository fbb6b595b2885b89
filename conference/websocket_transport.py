"""The WebSocket transport: whether frames are compressed (permessage-deflate, RFC 7692).

Browsers and socket.io-client offer permessage-deflate on every connection, and both WebSocket
servers the async modes use (eventlet's, simple-websocket's for gevent) accept the offer. Each
connection then keeps its own zlib compressor with its context (a 32 KiB window and hash tables:
87 KB of server memory a socket, measured), and every broadcast is compressed once per recipient.
The live rooms' frames are small JSON (a vote count, a question), which deflate hardly shrinks, so
compression costs most where it gives least: it is off unless `SOCKETIO_WEBSOCKET_COMPRESSION` says
otherwise, as in Node's socket.io. Measured in `bench/RESULTS.md` (idle clients, Q&A burst).
"""

from __future__ import annotations

from flask import Flask

# How a WSGI server hands the client's extension offer to the application.
OFFER_HEADER = "HTTP_SEC_WEBSOCKET_EXTENSIONS"


def without_compression(websocket_class: type) -> type:
    """`websocket_class` (the async mode's WebSocket handler) with the client's extension offer
    removed before the handshake, so the connection is opened without permessage-deflate."""

    class Uncompressed(websocket_class):
        def __call__(self, environ, start_response):
            environ.pop(OFFER_HEADER, None)
            return super().__call__(environ, start_response)

    Uncompressed.__name__ = Uncompressed.__qualname__ = f"Uncompressed{websocket_class.__name__}"
    return Uncompressed


def init_app(app: Flask, server) -> None:
    """Unless the configuration asks for compression, `server` (a python-socketio Server) opens its
    WebSockets uncompressed. Only this server's engine.io changes: its async-mode table is copied."""
    engine = server.eio
    websocket_class = engine._async.get("websocket")
    if app.config["SOCKETIO_WEBSOCKET_COMPRESSION"] or websocket_class is None:
        return
    engine._async = {**engine._async, "websocket": without_compression(websocket_class)}
