"""The type of the database session that services receive."""

from __future__ import annotations

from typing import TypeAlias

from flask_sqlalchemy.session import Session as FlaskSession
from sqlalchemy.orm import Session, scoped_session

# Services take the session as their first argument, `db: DbSession`. Views and socket handlers pass
# Flask-SQLAlchemy's `db.session`, a `scoped_session` that forwards every call to the request's
# Session but is not a Session subclass; scripts and tests may pass a plain Session. Both check.
DbSession: TypeAlias = Session | scoped_session[FlaskSession]
