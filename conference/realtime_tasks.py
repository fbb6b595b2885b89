"""Background work of the live features, written once: coalesce bursts of changes, run something later.

- `Coalescer(app, name, interval_s, flush)`: `.touch(key)` asks for `flush(key)`; the first touch of a
  key schedules it `interval_s` seconds later and the touches until then ride along, so a burst of
  changes costs one flush per key and interval. The flush reads the current state when it runs.
  `interval_s <= 0` flushes at once, in the caller's context (tests and small events).
- `run_at(app, when, fn, key=None)`: run `fn()` at `when` (a datetime, or seconds from now); when
  `fn` returns a number of seconds it runs again after that long, until it returns None. With a
  `key`, a second request for the same key while one runs or waits is ignored.

Both run through `socketio.start_background_task` and `socketio.sleep` only (so they cooperate with
eventlet and run as threads in tests), inside an app context, with the database session removed
afterwards and failures logged, never raised: a broadcast that fails must not break what caused it.
Their state lives on the app (`app.extensions["conference.realtime_tasks"]`), so every app (tests
build many) has its own. Each task keeps the app's own Socket.IO server (`live_server(app)`); a
timer stops once another app has replaced that server in this process.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Generic, TypeVar

from flask import Flask

from .db_types import utcnow
from .extensions import db, socketio

log = logging.getLogger(__name__)
K = TypeVar("K", bound=Hashable)  # a coalescer's key: a session id, a poll id...
EXTENSION = "conference.realtime_tasks"


@dataclass
class _AppTasks:
    server: Any  # the app's python-socketio server
    lock: threading.Lock = field(default_factory=threading.Lock)
    pending: dict[tuple[str, Hashable], object] = field(default_factory=dict)  # coalesced keys → ticket
    timers: set[Hashable] = field(default_factory=set)  # keys of the timers waiting or running
    coalescers: dict[str, Coalescer[Any]] = field(default_factory=dict)


def init_app(app: Flask) -> None:
    """Called by create_app right after `socketio.init_app(app)`: remembers this app's server."""
    app.extensions[EXTENSION] = _AppTasks(server=socketio.server)  # type: ignore[attr-defined]  # the stubs leave .server out


def _tasks(app: Flask) -> _AppTasks:
    return app.extensions[EXTENSION]


def live_server(app: Flask):
    """The Socket.IO server of this app (the shared `socketio` object points at the newest app's)."""
    return _tasks(app).server


def coalescer(app: Flask, name: str) -> Coalescer[Any]:
    """The coalescer a feature created under `name` when the app was built."""
    return _tasks(app).coalescers[name]


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


def run_at(app: Flask, when: datetime | float, fn: Callable[[], float | None], key: Hashable = None) -> None:
    """Run `fn()` at `when` in the app's context, again after the seconds it returns; see the module
    docstring. `key` (e.g. ("breakout", 7)) keeps one such timer per key in this process."""
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
            wait = _run_in_app(app, f"timer {key or getattr(fn, '__name__', fn)!r}", fn)
            if wait is None:
                return
    finally:
        if key is not None:
            with _tasks(app).lock:
                _tasks(app).timers.discard(key)
