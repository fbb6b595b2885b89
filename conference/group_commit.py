"""Group commit: the hot live writes (poll votes, upvotes, questions, chat lines) of one process that
arrive together are written in one transaction, and each sender waits until that transaction
committed before it is acknowledged.

`submit(work)` queues `work(session) -> result` with this app's writer and blocks (the calling
greenlet or thread only) until the batch holding it committed; it returns the result or raises the
item's own error. The writer (one per app and process, a green thread under eventlet/gevent, a real
thread in threading mode, started on demand and gone after IDLE_EXIT_S without work):

1. takes the first waiting item, then keeps collecting for at most LIVE_WRITE_WINDOW_SECONDS (ending
   early after QUIET_S without a new arrival) or until LIVE_WRITE_BATCH_MAX items;
2. opens one transaction. Items sent with `submit_bulk(write, arg)` that share their `write` (and
   arrived between the same two `submit(work)` items, so that every item is written after those
   that arrived before it) are written together, `write(session, [arg, ...])`, in one SAVEPOINT:
   a few Core statements for the whole group (e.g. INSERT ... ON CONFLICT DO NOTHING RETURNING)
   instead of the ORM's unit of work item by item. `write` returns one result per arg, in order,
   where an exception instance is that item's own refusal (it must have left nothing of that item
   behind). Should the group's statements fail as a whole (a broken foreign key, a bug), the
   savepoint is rolled back and each of its items is written again alone, `write(session, [arg])`
   in a savepoint of its own, so that only the culprit fails. Items sent with `submit(work)` run
   one by one, each in a SAVEPOINT of its own: an item that raises (a ServiceError, a
   unique-constraint IntegrityError it did not turn into one) is rolled back to its savepoint and
   gets its own error; its neighbours go on;
3. commits, then wakes every sender of the batch. A failed commit, or a database that stops answering
   in the middle, gives every item of the batch that error (nothing of it was committed, nothing is
   acknowledged as stored).

`submit` from inside a batch (an item whose work closes a socket, whose disconnect clean-up submits)
raises SubmitFromWriter at once instead of waiting for itself for ever.

While a batch commits, the next one fills: under load batches form by themselves even with a window
of 0. Results must be plain values (the session is closed after the commit; it never expires what it
loaded, so reading attributes set before the commit costs no query).
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Callable
from typing import Any, TypeVar

from flask import Flask, current_app, has_app_context
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from .extensions import db, socketio
from .observability import database_unreachable

R = TypeVar("R")
A = TypeVar("A")
# write(session, [arg, ...]) -> one result per arg, in order; an exception instance is that item's refusal
BulkWrite = Callable[[Session, list[Any]], list[Any]]
EXTENSION = "conference.group_commit"
IDLE_EXIT_S = 2.0  # a writer without work for this long ends; the next submit starts another
QUIET_S = 0.002  # while collecting: no new item for this long ends the batch before its window
log = logging.getLogger(__name__)


class SubmitFromWriter(RuntimeError):
    """`submit` called from inside a batch (the writer's own thread or greenlet)."""


class _Item:
    __slots__ = ("arg", "bulk", "done", "error", "result", "work")

    def __init__(self, work: Callable[[Session], Any] | None, bulk: BulkWrite | None = None, arg: Any = None):
        self.work = work
        self.bulk = bulk  # with `arg`: written together with the batch's other items of this `bulk`
        self.arg = arg
        self.done = threading.Event()  # green once the async library patched threading
        self.result: Any = None
        self.error: BaseException | None = None


class GroupWriter:
    """The group-commit writer of one app in this process (see the module docstring)."""

    def __init__(self, app: Flask):
        self.app = app
        self._lock = threading.Lock()
        self._arrived = threading.Condition(self._lock)
        self._queue: deque[_Item] = deque()
        self._running = False
        self._writer_ident: int | None = None  # the running writer's thread (or greenlet) id
        self.commits = 0  # batches committed (observability, tests)
        self.items = 0  # items committed

    def submit(self, work: Callable[[Session], R]) -> R:
        return self._wait(_Item(work))

    def submit_bulk(self, write: BulkWrite, arg: Any) -> Any:
        return self._wait(_Item(None, write, arg))

    def _wait(self, item: _Item) -> Any:
        if threading.get_ident() == self._writer_ident:
            # Sent from inside a batch (e.g. a socket closed by an item: its disconnect clean-up):
            # waiting for the writer would wait for itself, for ever.
            raise SubmitFromWriter("group commit: an item was submitted from inside a batch")
        if has_app_context():
            # The sender's own session gives its pooled connection back before waiting: else a
            # storm of senders, each holding one after a read, leaves the writer none (pool timeout).
            db.session.rollback()
        with self._lock:
            self._queue.append(item)
            start = not self._running
            self._running = True
            self._arrived.notify()
        if start:
            self._start()
        item.done.wait()
        if item.error is not None:
            raise item.error
        return item.result

    def _start(self) -> None:
        server = socketio.server  # type: ignore[attr-defined]  # the stubs leave .server out
        if server is not None:
            server.start_background_task(self._run)
        else:  # no Socket.IO server (a script): a plain thread
            threading.Thread(target=self._run, name="group-commit", daemon=True).start()

    def _run(self) -> None:
        with self._lock:
            self._writer_ident = threading.get_ident()  # a greenlet's id once threading is patched
        while True:
            with self._lock:
                if not self._queue:
                    self._arrived.wait(IDLE_EXIT_S)
                if not self._queue:
                    self._running = False
                    self._writer_ident = None
                    return
            batch = self._gather()
            try:
                self._write(batch)
            except BaseException as exc:  # never leave a sender waiting
                log.exception("group commit failed")
                for item in batch:
                    if not item.done.is_set():
                        item.error = item.error or exc
                        item.done.set()

    def _gather(self) -> list[_Item]:
        window = float(self.app.config["LIVE_WRITE_WINDOW_SECONDS"])
        limit = max(1, int(self.app.config["LIVE_WRITE_BATCH_MAX"]))
        deadline = time.monotonic() + window
        with self._lock:
            while len(self._queue) < limit:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    break
                seen = len(self._queue)
                self._arrived.wait(min(remaining, QUIET_S))
                if len(self._queue) == seen:
                    break
            return [self._queue.popleft() for _ in range(min(limit, len(self._queue)))]

    def _write(self, batch: list[_Item]) -> None:
        with self.app.app_context():
            session = Session(db.engine, expire_on_commit=False)
            try:
                if session.get_bind().dialect.name == "sqlite":
                    # pysqlite begins a transaction only at the first INSERT/UPDATE; a SAVEPOINT
                    # before it would start (and its RELEASE commit) a transaction of its own.
                    session.connection().exec_driver_sql("BEGIN")
                # Bulk items wait in their groups until the next `submit(work)` item or the end of
                # the batch: each item is written after every item that arrived before it and may
                # touch the same rows (an upvote, then its unvote from another tab).
                groups: dict[BulkWrite, list[_Item]] = {}
                for item in batch:
                    if item.bulk is not None:
                        groups.setdefault(item.bulk, []).append(item)
                        continue
                    _write_groups(session, groups)
                    _write_one(session, item)
                _write_groups(session, groups)
                session.commit()
                self.commits += 1
                self.items += sum(item.error is None for item in batch)
            except BaseException as exc:
                _rollback_quietly(session)
                for item in batch:
                    if item.error is None:
                        item.result, item.error = None, exc
                if not isinstance(exc, Exception):
                    raise
            finally:
                session.close()
                for item in batch:
                    item.done.set()


def _write_one(session: Session, item: _Item) -> None:
    """One item in a savepoint of its own; its refusal or failure is its own error."""
    try:
        with session.begin_nested():
            if item.bulk is not None:
                item.result = item.bulk(session, [item.arg])[0]
                if isinstance(item.result, BaseException):
                    raise item.result
            else:
                assert item.work is not None
                item.result = item.work(session)
    except SQLAlchemyError as exc:
        if database_unreachable(exc):
            raise
        item.result, item.error = None, exc
    except Exception as exc:  # noqa: BLE001 - the item's own refusal (a ServiceError...), its ack
        item.result, item.error = None, exc


def _write_groups(session: Session, groups: dict[BulkWrite, list[_Item]]) -> None:
    for write, items in groups.items():
        _write_group(session, write, items)
    groups.clear()


def _write_group(session: Session, write: BulkWrite, items: list[_Item]) -> None:
    """The items of one bulk writer together in one savepoint; should that fail as a whole, each alone."""
    try:
        with session.begin_nested():
            results = write(session, [item.arg for item in items])
            if len(results) != len(items):
                raise RuntimeError(f"{write!r} gave {len(results)} results for {len(items)} items")
    except Exception as exc:  # a failure of the group as a whole (a broken foreign key...): find its item
        if isinstance(exc, SQLAlchemyError) and database_unreachable(exc):
            raise
        log.info("a bulk write of %d items failed (%r); writing them one by one", len(items), exc)
        for item in items:
            _write_one(session, item)
        return
    for item, result in zip(items, results, strict=True):
        if isinstance(result, BaseException):
            item.result, item.error = None, result
        else:
            item.result = result


def _rollback_quietly(session: Session) -> None:
    try:
        session.rollback()
    except Exception:
        log.debug("rollback after a failed batch failed", exc_info=True)


def writer(app: Flask | None = None) -> GroupWriter:
    """This process's group-commit writer for `app` (the current one by default)."""
    target = app or current_app._get_current_object()  # type: ignore[attr-defined]
    found = target.extensions.get(EXTENSION)
    if found is None:
        found = target.extensions.setdefault(EXTENSION, GroupWriter(target))
    return found


def submit(work: Callable[[Session], R]) -> R:
    """Run `work(session)` in the current app's next batch; its result once committed (see above)."""
    return writer().submit(work)


def submit_bulk(write: BulkWrite, arg: Any) -> Any:
    """Write `arg` with `write(session, [arg, ...])` together with the other items of the current
    app's next batch that name the same `write`; this item's result once committed, or its error
    raised (see above)."""
    return writer().submit_bulk(write, arg)
