"""Count the SQL statements a piece of work runs (SQLAlchemy's before_cursor_execute event)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import event


@contextmanager
def statements(engine) -> Iterator[list[str]]:
    """Every statement `engine` runs inside the block, in order (any thread, any connection)."""
    seen: list[str] = []

    def record(_conn, _cursor, statement, _parameters, _context, _executemany):
        seen.append(" ".join(statement.split()))

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", record)


def selects(seen: list[str]) -> list[str]:
    """The reads among them (an UPDATE/INSERT ... RETURNING is a write)."""
    return [s for s in seen if s.upper().startswith(("SELECT", "WITH"))]
