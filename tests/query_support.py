"""Count the SQL statements a piece of code sends (on this thread only: background tasks of the
app, such as coalesced broadcasts, run on their own threads and are not the code under test)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import event


@contextmanager
def count_queries(engine) -> Iterator[list[str]]:
    """`with count_queries(db.engine) as statements:` the statements run by this thread meanwhile."""
    statements: list[str] = []
    me = threading.get_ident()

    def before(_conn, _cursor, statement, _parameters, _context, _executemany):
        if threading.get_ident() == me:
            statements.append(statement)

    event.listen(engine, "before_cursor_execute", before)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", before)
