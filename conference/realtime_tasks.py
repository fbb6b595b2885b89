"""Background work of the live features, written once: coalesce bursts of changes, run something later.

- `Coalescer(app, name, interval_s, flush)`: `.touch(key)` asks for `flush(key)`; the first touch of a
  key schedules it `interval_s` seconds later and the touches until then ride along, so a burst of
  changes costs one flush per key and interval. The flush reads the current state when it runs.
  `interval_s <= 0` flushes at once, in the caller's context (tests and small events).
- `Batcher(app, name, interval_s, flush)`: `.add(key, item)` queues an item; the first item of a key
  schedules `flush(key, items)` `interval_s` seconds later and the items added until then leave with
  it, in the order they were added. Unlike a coalescer's flush, which reads the state when it runs,
  the items live in this process's memory, so every process sends its own batches (no leases).
  `.drain(key)` sends what waits now, in the caller's context: a broadcast that must not overtake
  the items (a change to one of them) drains first. Batches of one key leave one after another,
  never overlapping. `interval_s <= 0` sends each item at once.
- `run_at(app, when, fn, key=None)`: run `fn()` at `when` (a datetime, or seconds from now); when
  `fn` returns a number of seconds it runs again after that long, until it returns None. With a
  `key`, a second request for the same key while one runs or waits is ignored.

Several workers (a shared message queue, Redis) run each of them once, not once per worker, through
leases in that Redis (`Leases`): a coalescer's flush of a key is taken by the first worker touching
it in an interval (the others' changes are committed before their touch, hence read by that flush);
a keyed timer runs in the worker holding its lease, renewed at every run, while the others with the
same timer stand by and take over within a few seconds once the holder stops renewing (it died).
One process without a message queue has no leases: everything runs here.

Both run through `socketio.start_background_task` and `socketio.sleep` only (so they cooperate with
eventlet and run as threads in tests), inside an app context, with the database session removed
afterwards and failures logged, never raised: a broadcast that fails must not break what caused it.
Their state lives on the app (`app.extensions["conference.realtime_tasks"]`), so every app (tests
build many) has its own. Each task keeps the app's own Socket.IO server (`live_server(app)`); a
timer stops once another app has replaced that server in this process.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import uuid
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Generic, TypeVar

from flask import Flask

from .db_types import utcnow
from .extensions import db, socketio

log = logging.getLogger(__name__)
K = TypeVar("K", bound=Hashable)  # a coalescer's key: a session id, a poll id...
T = TypeVar("T")  # a batcher's item
EXTENSION = "conference.realtime_tasks"


LEASE_MARGIN_S = 3.0  # a timer's lease outlives its next run by this much: a dead holder's lapses
STANDBY_S = 1.0  # how often a worker whose timer another one holds checks whether it may take over
_RENEW = """
if redis.call('get', KEYS[1]) == ARGV[1] then
    return redis.call('pexpire', KEYS[1], ARGV[2])
end
if redis.call('set', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then return 1 end
return 0
"""


class Leases:
    """Who runs a shared piece of background work: short-lived keys in the workers' Redis.

    A failure to reach Redis lets the work run here (a duplicate broadcast beats a missing one)."""

    def __init__(self, url: str, prefix: str):
        import redis

        self.redis = redis.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2)
        self.prefix = prefix
        self.me = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"

    def _key(self, name: Hashable) -> str:
        return f"{self.prefix}:lease:{name!r}"

    def take(self, name: Hashable, seconds: float) -> bool:
        """True if this worker took `name` for `seconds` (nobody held it)."""
        try:
            return bool(self.redis.set(self._key(name), self.me, nx=True, px=max(1, int(seconds * 1000))))
        except Exception:
            log.warning("lease %r: Redis unreachable, running here", name, exc_info=True)
            return True

    def hold(self, name: Hashable, seconds: float) -> bool:
        """True if this worker holds `name` for the next `seconds` (renewed if it held it, taken if
        nobody did); False while another worker holds it."""
        try:
            return bool(self.redis.eval(_RENEW, 1, self._key(name), self.me, max(1, int(seconds * 1000))))
        except Exception:
            log.warning("lease %r: Redis unreachable, running here", name, exc_info=True)
            return True

    def release(self, name: Hashable) -> None:
        try:
            self.redis.eval(
                "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end return 0",
                1,
                self._key(name),
                self.me,
            )
        except Exception:
            log.debug("lease %r: could not release", name, exc_info=True)


def _leases_for(app: Flask) -> Leases | None:
    queue = app.config["SOCKETIO_MESSAGE_QUEUE"] or ""
    if not queue.startswith(("redis://", "rediss://", "unix://")):
        return None
    return Leases(queue, app.config["SOCKETIO_CHANNEL"])


@dataclass
class _AppTasks:
    server: Any  # the app's python-socketio server
    leases: Leases | None  # shared with the other workers of a message queue; None: one process
    lock: threading.Lock = field(default_factory=threading.Lock)
    pending: dict[tuple[str, Hashable], object] = field(default_factory=dict)  # coalesced keys → ticket
    timers: set[Hashable] = field(default_factory=set)  # keys of the timers waiting or running
    coalescers: dict[str, Coalescer[Any]] = field(default_factory=dict)
    batchers: dict[str, Batcher[Any, Any]] = field(default_factory=dict)


def init_app(app: Flask) -> None:
    """Called by create_app right after `socketio.init_app(app)`: remembers this app's server."""
    app.extensions[EXTENSION] = _AppTasks(server=socketio.server, leases=_leases_for(app))  # type: ignore[attr-defined]  # the stubs leave .server out


def _tasks(app: Flask) -> _AppTasks:
    return app.extensions[EXTENSION]


def live_server(app: Flask):
    """The Socket.IO server of this app (the shared `socketio` object points at the newest app's)."""
    return _tasks(app).server


def coalescer(app: Flask, name: str) -> Coalescer[Any]:
    """The coalescer a feature created under `name` when the app was built."""
    return _tasks(app).coalescers[name]


def batcher(app: Flask, name: str) -> Batcher[Any, Any]:
    """The batcher a feature created under `name` when the app was built."""
    return _tasks(app).batchers[name]


def _server_replaced(app: Flask) -> bool:
    return socketio.server is not _tasks(app).server  # type: ignore[attr-defined]  # the stubs leave .server out


def _run_in_app(app: Flask, what: str, fn: Callable[[], Any]) -> Any:
    with app.app_context():
        try:
            return fn()
        except Exception:
            log.exception("%s failed", what)
            return None
        finally:
            db.session.remove()


class Coalescer(Generic[K]):
    """At most one `flush(key)` per key and interval; see the module docstring."""

    def __init__(
        self,
        app: Flask,
        name: str,
        interval_s: float | Callable[[], float],
        flush: Callable[[K], None],
    ):
        self.app = app
        self.name = name
        self.interval_s = interval_s  # a callable is read on every touch (tests change the config)
        self.flush = flush  # flush(key), in an app context
        registry = _tasks(app).coalescers
        if name in registry:
            raise ValueError(f"a coalescer named {name!r} exists already on this app")
        registry[name] = self

    def _interval(self) -> float:
        return float(self.interval_s() if callable(self.interval_s) else self.interval_s)

    def touch(self, key: K) -> None:
        interval = self._interval()
        if interval <= 0:
            self.flush(key)
            return
        tasks, slot, ticket = _tasks(self.app), (self.name, key), object()
        with tasks.lock:
            if slot in tasks.pending:
                return
            tasks.pending[slot] = ticket
        # Another worker's flush of this key reads after this change (committed before the touch) as
        # long as its lease, shorter than the interval, was taken before now.
        if tasks.leases is not None and not tasks.leases.take(("flush", *slot), interval * 0.8):
            with tasks.lock:
                if tasks.pending.get(slot) is ticket:
                    del tasks.pending[slot]
            return
        socketio.start_background_task(self._flush_later, slot, ticket, interval)

    def discard(self, key: K) -> None:
        """Drop a scheduled flush of `key` (e.g. a closed poll's last word went out another way)."""
        tasks = _tasks(self.app)
        with tasks.lock:
            tasks.pending.pop((self.name, key), None)

    def _flush_later(self, slot: tuple[str, K], ticket: object, interval: float) -> None:
        socketio.sleep(interval)  # type: ignore[arg-type]  # the stubs say int; any number of seconds works
        tasks = _tasks(self.app)
        with tasks.lock:
            # Released before the flush reads: a change committed after that read schedules a new one.
            if tasks.pending.get(slot) is not ticket:
                return  # discarded meanwhile
            del tasks.pending[slot]
        _run_in_app(self.app, f"{self.name} of {slot[1]!r}", lambda: self.flush(slot[1]))


class Batcher(Generic[K, T]):
    """Items of a key that arrive within an interval leave as one `flush(key, items)`; see the
    module docstring."""

    def __init__(
        self,
        app: Flask,
        name: str,
        interval_s: float | Callable[[], float],
        flush: Callable[[K, list[T]], None],
    ):
        self.app = app
        self.name = name
        self.interval_s = interval_s  # a callable is read on every add (tests change the config)
        self.flush = flush  # flush(key, items), in an app context
        self._lock = threading.Lock()  # guards the three dicts below, never held while sending
        self._waiting: dict[K, list[T]] = {}
        self._scheduled: set[K] = set()  # keys whose delayed flush is on its way
        self._sending: dict[K, threading.Lock] = {}  # one batch of a key at a time, in order
        registry = _tasks(app).batchers
        if name in registry:
            raise ValueError(f"a batcher named {name!r} exists already on this app")
        registry[name] = self

    def _interval(self) -> float:
        return float(self.interval_s() if callable(self.interval_s) else self.interval_s)

    def add(self, key: K, item: T) -> None:
        interval = self._interval()
        with self._lock:
            self._waiting.setdefault(key, []).append(item)
            if interval > 0 and key in self._scheduled:
                return
            if interval > 0:
                self._scheduled.add(key)
        if interval <= 0:
            self.drain(key)
        else:
            socketio.start_background_task(self._flush_later, key, interval)

    def drain(self, key: K) -> None:
        """Send the items of `key` that wait, now, in the caller's context; returns once every item
        added before the call has been sent (by this call or by a flush that was under way)."""
        with self._lock:
            sending = self._sending.setdefault(key, threading.Lock())
        with sending:
            with self._lock:
                items = self._waiting.pop(key, None)
            if items:
                self.flush(key, items)

    def waiting(self, key: K) -> list[T]:
        """A copy of the items of `key` not sent yet."""
        with self._lock:
            return list(self._waiting.get(key, ()))

    def _flush_later(self, key: K, interval: float) -> None:
        socketio.sleep(interval)  # type: ignore[arg-type]  # the stubs say int; any number of seconds works
        with self._lock:
            # From here a new item schedules a flush of its own (this one may have taken it already).
            self._scheduled.discard(key)
        _run_in_app(self.app, f"{self.name} of {key!r}", lambda: self.drain(key))


def run_at(app: Flask, when: datetime | float, fn: Callable[[], float | None], key: Hashable = None) -> None:
    """Run `fn()` at `when` in the app's context, again after the seconds it returns; see the module
    docstring. `key` (e.g. ("breakout", 7)) keeps one such timer per key in this process, and with
    several workers one across them (the others stand by and take over if its holder dies)."""
    tasks = _tasks(app)
    if key is not None:
        with tasks.lock:
            if key in tasks.timers:
                return
            tasks.timers.add(key)
    socketio.start_background_task(_timer, app, when, fn, key)


def _timer(app: Flask, when: datetime | float, fn: Callable[[], float | None], key: Hashable) -> None:
    try:
        wait = (when - utcnow()).total_seconds() if isinstance(when, datetime) else float(when)
        while True:
            if wait > 0:
                socketio.sleep(wait)  # type: ignore[arg-type]  # the stubs say int; any number of seconds works
            # A new app (tests build one each) replaced this one's server: its timers end with it.
            if _server_replaced(app):
                return
            leases = _tasks(app).leases if key is not None else None
            if leases is not None and not leases.hold(("timer", key), STANDBY_S + LEASE_MARGIN_S):
                wait = STANDBY_S  # another worker runs it; take over if it stops renewing
                continue
            wait = _run_in_app(app, f"timer {key or getattr(fn, '__name__', fn)!r}", fn)
            if wait is None:
                if leases is not None:
                    leases.release(("timer", key))
                return
            if leases is not None:
                leases.hold(("timer", key), float(wait) + LEASE_MARGIN_S)
    finally:
        if key is not None:
            with _tasks(app).lock:
                _tasks(app).timers.discard(key)
