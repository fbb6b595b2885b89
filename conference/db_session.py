"""The type of the database session that services receive, and a typed UPDATE/DELETE helper."""

from __future__ import annotations

from functools import cache
from typing import Any, TypeAlias, TypeVar, cast

from flask_sqlalchemy.session import Session as FlaskSession
from sqlalchemy import ColumnElement, inspect
from sqlalchemy.engine import CursorResult
from sqlalchemy.orm import Session, make_transient_to_detached, scoped_session
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


M = TypeVar("M")


@cache
def mapped_columns(
    model: type, *, without: tuple[str, ...] = ()
) -> tuple[tuple[str, ColumnElement[Any]], ...]:
    """(attribute name, column) of each column attribute of `model`, but those named in `without`:
    what a Core SELECT reads to build a detached instance with `detached_from_row`."""
    attrs: Any = inspect(model).column_attrs
    return tuple((attr.key, attr.columns[0]) for attr in attrs if attr.key not in without)


def detached_from_row(model: type[M], names: tuple[tuple[str, Any], ...], row: Any) -> M:
    """A `model` instance from a Core row of the columns `names` (from `mapped_columns`), detached as
    if loaded by a session that closed: its columns read without a query, the columns left out and
    every relationship raise DetachedInstanceError. For hot paths that read a few rows and pass them
    to code written for mapped objects, without the ORM's loading (and never to change them)."""
    instance = model(**{name: row[n] for n, (name, _column) in enumerate(names)})
    make_transient_to_detached(instance)
    return instance
