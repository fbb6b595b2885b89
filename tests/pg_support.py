"""PostgreSQL for tests: a throw-away database on 127.0.0.1:5432 built by the migrations.

Building the schema with the migrations (not `create_all`) proves them on PostgreSQL too. Without a
server the tests skip with the reason, except under CI (`CI` set), where they fail.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from conference import create_app
from conference.extensions import db

SERVER = "host=127.0.0.1 port=5432 user=postgres dbname=test connect_timeout=3"


def connect_admin():
    """An autocommit connection to the server's `test` database, or skip/fail with the reason."""
    try:
        import psycopg

        return psycopg.connect(SERVER, autocommit=True)
    except Exception as exc:  # noqa: BLE001 -- no server, no driver: any failure means skip (or fail in CI)
        if os.environ.get("CI"):
            pytest.fail(f"PostgreSQL required in CI: {exc}")
        pytest.skip(f"PostgreSQL is not available on 127.0.0.1:5432: {exc}")


@contextmanager
def postgres_app(prefix: str, **config) -> Iterator:
    """An app on a fresh database named after `prefix`, migrated to the head; dropped afterwards."""
    admin = connect_admin()
    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    admin.execute(f'CREATE DATABASE "{name}"')
    app = create_app(
        {
            "ENV_NAME": "testing",
            "SQLALCHEMY_DATABASE_URI": f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}",
            **config,
        }
    )
    try:
        with app.app_context():
            from flask_migrate import upgrade

            from conference.app import MIGRATIONS_DIR

            upgrade(directory=str(MIGRATIONS_DIR))
        yield app
    finally:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()
        admin.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
        admin.close()
