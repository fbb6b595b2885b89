"""The type of the database session that services receive, and a typed UPDATE/DELETE helper."""

from __future__ import annotations

from typing import Any, TypeAlias, cast

from flask_sqlalchemy.session import Session as FlaskSession
from sqlalchemy.engine import CursorResult
from sqlalchemy.orm import Session, scoped_session
from sqlalchemy.sql import Executable

# Services take the session as their first argument, `db: DbSession`. Views and socket handlers pass
# Flask-SQLAlchemy's `db.session`, a `scoped_session` that forwards every call to the request's
# Session but is not a Session subclass; scripts and tests may pass a plain Session. Both check.
DbSession: TypeAlias = Session | scoped_session[FlaskSession]


def execute_dml(db: DbSession, statement: Executable) -> CursorResult[Any]:
    """Run an UPDATE, DELETE or INSERT without RETURNING; its result tells the `rowcount`.

    Session.execute returns a CursorResult for these statements but is typed to return a Result (it
    cannot promise one for every statement); this says it once, for the type checker.
    """
    return cast("CursorResult[Any]", db.execute(statement))
