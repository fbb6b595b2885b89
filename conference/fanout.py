"""Tell every server process to close a person's sockets, over the Socket.IO message queue.

A socket lives in the process that accepted it, so when someone signs out, changes their password,
revokes an API token or loses a grant, the process that served that request cannot close the
person's sockets held by the other processes by itself. `close_sockets(kind, **fields)` closes the
matching sockets of this process at once and publishes the same order on the Socket.IO Redis
channel, where every other process's manager (`QueueManager`, python-socketio's RedisManager plus
this one message kind) picks it up and closes its own.

Orders (`kind`):
- `user`: every socket of `user_id` (lost a grant: their dashboards stop at once; they reconnect
  and are asked again).
- `session`: the cookie-authenticated sockets of `user_id` older than `session_version` (signed
  out, password changed); their API-token sockets stay.
- `token`: the sockets opened with the token whose digest is `token_hash` (revoked).
- `hot`: not a close but a cache invalidation of conference.rooms.hot (`what`: room, poll,
  question, or member = a registration ended: that person's sockets in the event's rooms close).

Delivery watchers (`watch_deliveries(app, fn)`): `fn(event, namespace, room)` runs in each process just
before a broadcast reaches that process's sockets, for the broadcasts it sends and for those another
process sent through the queue, in the order the queue delivers them. The live rooms use it to know
that a room's join snapshot is out of date (conference/rooms/snapshots.py).

Without a message queue there is one process and the local close is all there is. With the queue
down, the local close still happens, the process keeps serving its own clients (python-socketio
delivers local broadcasts before publishing), and the failure is logged once per outage and shown
by `/readyz`.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable
from urllib.parse import urlparse

import socketio as socketio_server

log = logging.getLogger("conference.fanout")
CONTROL_METHOD = "conference"
QUEUE_EXTENSION = "conference.queue_manager"
DeliveryWatcher = Callable[[str, str, object], None]  # (event, namespace, room: str | list | None)


class _Watched:
    """The delivery watchers of a manager: called before every emit reaches this process's sockets."""

    watchers: list[DeliveryWatcher]

    def _init_watchers(self) -> None:
        self.watchers = []

    def _delivering(self, event: str, namespace: str | None, room) -> None:
        for watcher in self.watchers:
            try:
                watcher(event, namespace or "/", room)
            except Exception:  # a watcher must never stop a broadcast
                log.exception("delivery watcher %r failed", watcher)


class LocalManager(_Watched, socketio_server.Manager):
    """The manager of a process without a message queue: python-socketio's, with delivery watchers."""

    def __init__(self) -> None:
        super().__init__()
        self._init_watchers()

    def emit(self, event, data, namespace, room=None, skip_sid=None, callback=None, to=None, **kwargs):
        self._delivering(event, namespace, to or room)
        return super().emit(
            event, data, namespace, room=room, skip_sid=skip_sid, callback=callback, to=to, **kwargs
        )


QUEUE_CONNECTIONS = 100  # to Redis per process: the listener's one and the publishers'
QUEUE_CONNECTION_WAIT_S = 10  # a publisher waits this long for a free one, then the queue counts as down
# How long a publisher waits for Redis's answer (and a new connection for its handshake). redis-py 8
# made it 5 s by default (None before): in a chat storm a worker's hub ran more than 5 s behind, the
# timers fired before the answers that had long arrived were read, and 52 of 600 lines never reached
# the other worker's clients (2 workers, 1,000 clients). A hub that far behind is slow, not cut off.
QUEUE_REPLY_TIMEOUT_S = 30


class QueueManager(_Watched, socketio_server.RedisManager):
    """python-socketio's Redis manager, with a connect timeout, our own control messages, and a
    memory of whether the queue answered last time (for /readyz and the log)."""

    def __init__(self, url: str, channel: str):
        super().__init__(
            url,
            channel=channel,
            redis_options={
                "socket_connect_timeout": 2,
                "socket_timeout": QUEUE_REPLY_TIMEOUT_S,
                "health_check_interval": 15,
            },
        )
        self._init_watchers()
        self.reachable = True
        self.last_error: str | None = None
        self.app = None  # the app this manager serves (for orders about its caches); set by client_manager
        self._lock = threading.Lock()

    def _note(self, ok: bool, error: str | None = None) -> None:
        with self._lock:
            was = self.reachable
            self.reachable, self.last_error = ok, (None if ok else error)
        if was and not ok:
            log.warning(
                json.dumps(
                    {
                        "event": "message_queue_unreachable",
                        "error": error,
                        "effect": "serving this process's own clients only until it returns",
                    }
                )
            )
        elif ok and not was:
            log.warning(json.dumps({"event": "message_queue_back"}))

    def _redis_connect(self):
        """As python-socketio's, with a pool whose callers wait for a free connection: redis-py's
        default pool raises MaxConnectionsError past 100, and a chat storm's green threads publish
        more at once than that (each such broadcast was lost: 2 workers, 1,000 clients, 600 lines)."""
        if urlparse(self.redis_url).scheme.endswith("+sentinel"):
            return super()._redis_connect()
        import redis

        pool = redis.BlockingConnectionPool.from_url(
            self.redis_url,
            max_connections=QUEUE_CONNECTIONS,
            timeout=QUEUE_CONNECTION_WAIT_S,
            **self.redis_options,
        )
        self.redis = redis.Redis(connection_pool=pool)
        self.pubsub = self.redis.pubsub(ignore_subscribe_messages=True)
        self.connected = True

    def _publish(self, data):
        try:
            if not self.connected:
                self._redis_connect()
            result = self.redis.publish(self.channel, self.json.dumps(data))
        except Exception as exc:  # noqa: BLE001 - any failure: the queue is unreachable
            self.connected = False
            self._note(False, f"{type(exc).__name__}: {exc}")
            return None
        self._note(True)
        return result

    def _listen(self):
        # The server's JSON module writes the message (orjson: no spaces), so look for the value only.
        marker = f'"{CONTROL_METHOD}"'
        for raw in super()._listen():
            self._note(True)
            text = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else raw
            if not (isinstance(text, str) and marker in text):
                yield raw
                continue
            try:
                data = json.loads(text)
            except ValueError:
                yield raw
                continue
            if not (isinstance(data, dict) and data.get("method") == CONTROL_METHOD):
                yield raw
                continue
            if data.get("host_id") != self.host_id:
                try:
                    _apply(data.get("order") or {}, self.app)
                except Exception:
                    log.exception("could not apply a socket order from another process")

    def _handle_emit(self, message):
        # Both ways in: this process's own emits (handled here before they are published) and the
        # emits of other processes, read from the queue one after another.
        self._delivering(message.get("event"), message.get("namespace"), message.get("room"))
        return super()._handle_emit(message)

    def publish_order(self, order: dict) -> None:
        self._publish({"method": CONTROL_METHOD, "order": order, "host_id": self.host_id})

    def ping(self) -> None:
        """Raise when Redis does not answer within 2 seconds."""
        import redis

        client = redis.Redis.from_url(self.redis_url, socket_connect_timeout=2, socket_timeout=2)
        try:
            client.ping()
        finally:
            client.close()


def client_manager(app):
    """The Socket.IO client manager for this app: ours with a message queue, else a plain local one
    (passed explicitly so an app never inherits the manager of an app built before it)."""
    url = app.config.get("SOCKETIO_MESSAGE_QUEUE")
    if url and url.startswith(("redis://", "rediss://")):
        manager = QueueManager(url, app.config["SOCKETIO_CHANNEL"])
        manager.app = app
    elif url:
        raise RuntimeError("CONFERENCE_MESSAGE_QUEUE must be a redis:// or rediss:// URL")
    else:
        manager = LocalManager()
    app.extensions[QUEUE_EXTENSION] = manager
    return manager


def watch_deliveries(app, watcher: DeliveryWatcher) -> None:
    """Call `watcher(event, namespace, room)` before each broadcast reaches this process's sockets."""
    manager = app.extensions[QUEUE_EXTENSION]
    if watcher not in manager.watchers:
        manager.watchers.append(watcher)


def queue_status(app) -> dict:
    """For /readyz: does the message queue answer now?"""
    manager = app.extensions.get(QUEUE_EXTENSION)
    if not isinstance(manager, QueueManager):
        return {"ok": True}
    started = time.monotonic()
    try:
        manager.ping()
    except Exception as exc:  # noqa: BLE001
        manager._note(False, f"{type(exc).__name__}: {exc}")
        return {
            "ok": False,
            "error": type(exc).__name__,
            "message": "the message queue does not answer: this process serves its own clients only",
        }
    return {"ok": True, "ms": round((time.monotonic() - started) * 1000, 1)}


def _apply(order: dict, app=None) -> int:
    """Close this process's sockets that match `order` (or apply a `hot` cache order of `app`);
    the number closed."""
    from .realtime import close_local_sockets

    kind = order.get("kind")
    if kind == "hot":
        from .rooms.hot import apply_order

        return apply_order(app, order)
    if kind == "user":
        return close_local_sockets(lambda i: i.user_id == order.get("user_id"))
    if kind == "session":
        version = order.get("session_version")
        return close_local_sockets(
            lambda i: (
                i.user_id == order.get("user_id")
                and i.session_version is not None
                and (version is None or i.session_version < version)
            )
        )
    if kind == "token":
        return close_local_sockets(
            lambda i: i.token_hash is not None and i.token_hash == order.get("token_hash")
        )
    log.warning("unknown socket order %r", kind)
    return 0


def close_sockets(app, kind: str, **fields) -> int:
    """Close the matching sockets here and in every other process; the number closed here."""
    order = {"kind": kind, **fields}
    closed = _apply(order, app)
    manager = app.extensions.get(QUEUE_EXTENSION)
    if isinstance(manager, QueueManager):
        manager.publish_order(order)
    return closed
