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
- SQLite under either: every call that may wait (execute, fetch, commit, rollback, connect) runs in a
  real thread (`offload.run_blocking`), so a busy-timeout wait or a long report no longer stops the hub.
  The thread hop costs about 0.2 ms a query (same measurement: 3,400 queries/s with a worst stall of
  8 ms, against 11,500 queries/s and stalls of 340 ms when every call blocks the hub).
- Not patched (threading mode, the CLI, tests): unchanged.

A cooperative driver frees the hub while the database works, not while Python does: a report whose
queries SQLAlchemy takes 0.6 s to build (the attendance report of the demo's 451 people) still held
the hub that long between two queries. `off_hub(fn, ...)` runs such a read in a real thread.

Measured on this project (tests/test_hub_stays_free.py; figures in its docstring): a 3 s lock wait on
either database leaves other requests and socket acks of the same worker answering in a few ms.
"""

from __future__ import annotations

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
    """A DB-API module whose connections run every call that may wait in a real thread."""

    def __init__(self, module: Any):
        self._module = module

    def __getattr__(self, name: str) -> Any:
        return getattr(self._module, name)

    def connect(self, *args: Any, **kwargs: Any) -> OffloadedConnection:
        return OffloadedConnection(run_blocking(self._module.connect, *args, **kwargs))


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
    __slots__ = ()

    def cursor(self, *args: Any, **kwargs: Any) -> OffloadedCursor:
        return OffloadedCursor(self._target.cursor(*args, **kwargs))

    def execute(self, *args: Any, **kwargs: Any) -> OffloadedCursor:
        return OffloadedCursor(run_blocking(self._target.execute, *args, **kwargs))

    def commit(self) -> None:
        run_blocking(self._target.commit)

    def rollback(self) -> None:
        run_blocking(self._target.rollback)

    def close(self) -> None:
        run_blocking(self._target.close)


class OffloadedCursor(_Forwarding):
    __slots__ = ()

    def execute(self, *args: Any, **kwargs: Any) -> OffloadedCursor:
        run_blocking(self._target.execute, *args, **kwargs)
        return self

    def executemany(self, *args: Any, **kwargs: Any) -> OffloadedCursor:
        run_blocking(self._target.executemany, *args, **kwargs)
        return self

    def fetchone(self) -> Any:
        return run_blocking(self._target.fetchone)

    def fetchmany(self, *args: Any, **kwargs: Any) -> list:
        return run_blocking(self._target.fetchmany, *args, **kwargs)

    def fetchall(self) -> list:
        return run_blocking(self._target.fetchall)

    def __iter__(self):
        return iter(self.fetchall())


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
    app = current_app._get_current_object()
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
