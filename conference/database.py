"""Engine options that keep a green worker's hub free while the database works or waits.

Under eventlet (and gevent) one OS thread serves every socket of a worker: a database call that
does not yield (a lock wait, a slow query, a commit's fsync) freezes every client of that worker.
`engine_settings(uri, options)` picks, for the async library that patched this process, a way for
database calls to cooperate:

- PostgreSQL under eventlet: psycopg2, which eventlet makes green (a wait callback that yields to the
  hub while libpq waits). psycopg 3 does not cooperate with eventlet, so a `postgresql+psycopg` URL
  is served by psycopg2 there (same server, same SQL). Measured with 20 greenlets querying while a
  ticker greenlet sleeps 10 ms: psycopg 3 stalled the hub up to 2.2 s and ran 1,766 queries/s;
  green psycopg2 stalled it at most 11 ms and ran 2,560-3,200 queries/s. (Running psycopg 3's calls
  in a thread pool is not an option: its SQLAlchemy dialect refuses a wrapped connection.)
- PostgreSQL under gevent: psycopg 3 cooperates with gevent by itself (from 3.1.14); psycopg2 does
  not, so a plain `postgresql://` URL uses psycopg 3 there.
- SQLite under either: every call that may wait for the write lock (a statement other than a plain
  SELECT, commit, rollback, connect) runs in a real thread (`offload.run_blocking`), so a busy-timeout
  wait no longer stops the hub. Reads stay on the hub (WAL readers never wait): a thread hop for
  every query cost about 0.2 ms each (3,400 queries/s instead of 11,500 with 20
  greenlets). Writers of one process take turns on a green lock (see OffloadedDBAPI).
- Not patched (threading mode, the CLI, tests): unchanged.

A cooperative driver frees the hub while the database works, not while Python does: a report whose
queries SQLAlchemy takes 0.6 s to build (the attendance report of the demo's 451 people) still held
the hub that long between two queries. `off_hub(fn, ...)` runs such a read in a real thread.

Measured on this project (tests/test_hub_stays_free.py; figures in its docstring): a 3 s lock wait on
either database leaves other requests and socket acks of the same worker answering in a few ms.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any, TypeVar

from flask import Flask, current_app
from sqlalchemy import Engine, create_engine
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session
from sqlalchemy.pool import NullPool

from .config import ConfigError
from .extensions import db
from .offload import green_library, run_blocking

R = TypeVar("R")
WRITE_TURN_TIMEOUT_S = 30.0  # as long as SQLite's own busy timeout
OFF_HUB_ENGINE = "conference.off_hub_engine"


def engine_settings(uri: str, options: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """The database URL and create_engine() options to use in this process (see the module docstring)."""
    library = green_library()
    url = make_url(uri)
    options = dict(options)
    backend, driver = url.get_backend_name(), url.get_driver_name()
    if backend == "sqlite":
        if library is not None:
            import sqlite3

            options.setdefault("module", OffloadedDBAPI(sqlite3))
            # A connection is used by one greenlet at a time, but its calls run on pool threads.
            options["connect_args"] = {**options.get("connect_args", {}), "check_same_thread": False}
        return uri, options
    if backend != "postgresql" or library is None:
        return uri, options
    if library == "eventlet":
        if not _green_psycopg2():
            raise ConfigError(
                "PostgreSQL under eventlet needs psycopg2 (eventlet makes it yield; psycopg 3 would "
                "freeze every socket of the worker while it waits): pip install 'conference[postgres]'"
            )
        return url.set(drivername="postgresql+psycopg2").render_as_string(hide_password=False), options
    # gevent: psycopg 3 waits through gevent's patched select; psycopg2 would block.
    if driver == "psycopg2" and "+" not in url.drivername and _importable("psycopg"):
        return url.set(drivername="postgresql+psycopg").render_as_string(hide_password=False), options
    return uri, options


def _importable(name: str) -> bool:
    try:
        __import__(name)
    except ImportError:
        return False
    return True


def _green_psycopg2() -> bool:
    """psycopg2 is installed and yields to eventlet's hub (monkey_patch does it; make sure)."""
    try:
        from psycopg2 import extensions
    except ImportError:
        return False
    if extensions.get_wait_callback() is None:
        from eventlet.support import psycopg2_patcher

        psycopg2_patcher.make_psycopg_green()
    return True


class OffloadedDBAPI:
    """A DB-API module (sqlite3) whose connections run every call that may wait in a real thread.

    Its connections also take turns for writing: one write transaction at a time per process, the
    others queued on a green lock (woken as soon as it is free) instead of in SQLite's busy handler,
    which polls with sleeps of up to 100 ms. (Before this module, the hub itself serialised them: no
    handler yielded.)"""

    def __init__(self, module: Any):
        self._module = module
        self.writer = threading.Lock()  # green once the async library patched threading

    def __getattr__(self, name: str) -> Any:
        return getattr(self._module, name)

    def connect(self, *args: Any, **kwargs: Any) -> OffloadedConnection:
        return OffloadedConnection(run_blocking(self._module.connect, *args, **kwargs), self.writer)


class _Forwarding:
    """Reads and writes attributes of the wrapped DB-API object it does not define itself."""

    __slots__ = ("_target",)

    def __init__(self, target: Any):
        object.__setattr__(self, "_target", target)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._target, name)

    def __setattr__(self, name: str, value: Any) -> None:
        setattr(self._target, name, value)


class OffloadedConnection(_Forwarding):
    __slots__ = ("_writer", "_writing", "holds_write_lock")

    def __init__(self, target: Any, writer: threading.Lock):
        super().__init__(target)
        object.__setattr__(self, "_writer", writer)
        object.__setattr__(self, "_writing", False)
        # True once a data change of the open transaction went through: SQLite's write lock is then
        # ours until the commit or rollback, so the transaction's next statements cannot wait.
        object.__setattr__(self, "holds_write_lock", False)

    def begin_writing(self) -> None:
        """Wait for this process's turn to write (at the first write of a transaction)."""
        if not self._writing:
            # A turn that never comes (a writer stuck elsewhere) falls back to SQLite's own wait.
            object.__setattr__(self, "_writing", self._writer.acquire(timeout=WRITE_TURN_TIMEOUT_S))

    def _end_writing(self) -> None:
        object.__setattr__(self, "holds_write_lock", False)
        if self._writing:
            object.__setattr__(self, "_writing", False)
            self._writer.release()

    def cursor(self, *args: Any, **kwargs: Any) -> OffloadedCursor:
        return OffloadedCursor(self._target.cursor(*args, **kwargs), self)

    def execute(self, *args: Any, **kwargs: Any) -> OffloadedCursor:
        return self.cursor().execute(*args, **kwargs)

    def commit(self) -> None:
        try:
            if self._target.in_transaction:
                run_blocking(self._target.commit)
            # else: nothing to end (reads only: pysqlite opened no transaction), no wait, no thread hop
        finally:
            self._end_writing()

    def rollback(self) -> None:
        try:
            if self._target.in_transaction:
                run_blocking(self._target.rollback)
            # else: as in commit (every pooled connection is rolled back when it goes back to the pool)
        finally:
            self._end_writing()

    def close(self) -> None:
        try:
            run_blocking(self._target.close)
        finally:
            self._end_writing()


DATA_CHANGES = ("INSERT", "UPDATE", "DELETE", "REPLAC")


def _takes_write_lock(statement: Any) -> bool:
    return isinstance(statement, str) and statement.lstrip()[:6].upper() in DATA_CHANGES


def _may_wait(statement: Any) -> bool:
    """Whether SQLite may make this statement wait for a lock: everything but a plain SELECT (in WAL
    mode readers never wait; the write lock is taken by the first INSERT/UPDATE/DELETE of a
    transaction, and by COMMIT)."""
    return not (isinstance(statement, str) and statement.lstrip()[:6].upper() == "SELECT")


class OffloadedCursor(_Forwarding):
    """Statements that may wait for SQLite's write lock run in a thread, in this process's write turn;
    plain SELECTs and fetches stay on the calling greenlet: reads never wait in WAL mode, and a thread
    hop per query cost 0.2 ms each (long reads, the reports, go through `off_hub`). Once the
    transaction holds the write lock (its first data change went through), its further statements
    stay on the greenlet too: a group-commit batch of 200 votes hops once, not a thousand times."""

    __slots__ = ("_connection",)

    def __init__(self, target: Any, connection: OffloadedConnection):
        super().__init__(target)
        object.__setattr__(self, "_connection", connection)

    def execute(self, *args: Any, **kwargs: Any) -> OffloadedCursor:
        if args and (self._connection.holds_write_lock or not _may_wait(args[0])):
            self._target.execute(*args, **kwargs)
            return self
        if not (isinstance(args[0], str) and args[0].lstrip()[:6].upper() == "PRAGMA"):
            self._connection.begin_writing()
        run_blocking(self._target.execute, *args, **kwargs)
        if _takes_write_lock(args[0]):
            object.__setattr__(self._connection, "holds_write_lock", True)
        return self

    def executemany(self, *args: Any, **kwargs: Any) -> OffloadedCursor:
        if self._connection.holds_write_lock:
            self._target.executemany(*args, **kwargs)
            return self
        self._connection.begin_writing()
        run_blocking(self._target.executemany, *args, **kwargs)
        if _takes_write_lock(args[0] if args else None):
            object.__setattr__(self._connection, "holds_write_lock", True)
        return self

    def fetchone(self) -> Any:
        return self._target.fetchone()

    def fetchmany(self, *args: Any, **kwargs: Any) -> list:
        return self._target.fetchmany(*args, **kwargs)

    def fetchall(self) -> list:
        return self._target.fetchall()

    def __iter__(self):
        return iter(self._target)


def off_hub(fn: Callable[..., R], *args: Any, **kwargs: Any) -> R:
    """`fn(session, *args, **kwargs)` for a long read (a report, an export) that must not hold the hub.

    Under eventlet or gevent it runs in a real thread, on a session of its own bound to an engine
    that blocks that thread only (plain sqlite3, or psycopg 3 for PostgreSQL; no pool), inside an
    app context of the current app; mapped objects among `args` are merged into that session
    (without a query). Not patched, it is simply `fn(db.session, ...)`. Reads only: nothing `fn`
    changes is committed. What it returns must not need its session afterwards (plain values,
    dataclasses; mapped objects in it are detached).
    """
    if green_library() is None:
        return fn(db.session, *args, **kwargs)
    app = current_app._get_current_object()  # type: ignore[attr-defined]  # Flask types current_app as the app it proxies
    engine = _off_hub_engine(app)

    def work() -> R:
        with app.app_context(), Session(engine) as session:
            merged = [session.merge(arg, load=False) if _is_mapped(arg) else arg for arg in args]
            try:
                return fn(session, *merged, **kwargs)
            finally:
                session.rollback()

    return run_blocking(work)


def _is_mapped(value: Any) -> bool:
    return getattr(type(value), "__mapper__", None) is not None


def _off_hub_engine(app: Flask) -> Engine:
    engine = app.extensions.get(OFF_HUB_ENGINE)
    if engine is None:
        url = db.engine.url
        if url.get_backend_name() == "postgresql":
            # psycopg 3 blocks the thread it runs in, which is what a real thread wants (green psycopg2
            # would try to yield to a hub that thread does not have).
            url = url.set(drivername="postgresql+psycopg")
            engine = create_engine(url, poolclass=NullPool)
        else:
            engine = create_engine(url, poolclass=NullPool, connect_args={"timeout": 30})
        app.extensions[OFF_HUB_ENGINE] = engine
    return engine
