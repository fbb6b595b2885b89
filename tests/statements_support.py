"""Count the SQL statements a piece of work runs (SQLAlchemy's before_cursor_execute event)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import event


@contextmanager
def statements(engine, *, this_thread_only: bool = False) -> Iterator[list[str]]:
    """Every statement `engine` runs inside the block, in order: on any thread and connection (the
    group-commit writer has its own), or with `this_thread_only` only the caller's (background tasks
    such as coalesced broadcasts are not the code under test)."""
    seen: list[str] = []
    me = threading.get_ident()

    def record(_conn, _cursor, statement, _parameters, _context, _executemany):
        if not this_thread_only or threading.get_ident() == me:
            seen.append(" ".join(statement.split()))

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", record)


def selects(seen: list[str]) -> list[str]:
    """The reads among them (an UPDATE/INSERT ... RETURNING is a write)."""
    return [s for s in seen if s.upper().startswith(("SELECT", "WITH"))]
