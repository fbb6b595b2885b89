"""PostgreSQL for tests: a throw-away database on 127.0.0.1:5432 built by the migrations.

Building the schema with the migrations (not `create_all`; once per test process, then copied for
each test) proves them on PostgreSQL too. Without a server the tests skip with the reason, except
under CI (`CI` set), where they fail.
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


def psycopg_admin():
    import psycopg

    return psycopg.connect(SERVER, autocommit=True)


def connect_admin():
    """An autocommit connection to the server's `test` database, or skip/fail with the reason."""
    try:
        return psycopg_admin()
    except Exception as exc:  # noqa: BLE001 -- no server, no driver: any failure means skip (or fail in CI)
        if os.environ.get("CI"):
            pytest.fail(f"PostgreSQL required in CI: {exc}")
        pytest.skip(f"PostgreSQL is not available on 127.0.0.1:5432: {exc}")


def _database_url(name: str, port: int = 5432) -> str:
    return f"postgresql+psycopg://postgres@127.0.0.1:{port}/{name}"


_migrated_template: dict[str, str] = {}


def drop_migrated_template() -> None:
    """Drop this process's template database, if it made one (at the end of its test session)."""
    name = _migrated_template.pop("name", None)
    if name is None:
        return
    try:
        with psycopg_admin() as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    except Exception:  # noqa: BLE001 -- the server went away before this process: nothing to drop
        pass


def migrated_template(admin) -> str:
    """A database this test process migrated to the head once (the migrations, not `create_all`);
    each test's database is a copy of it (`CREATE DATABASE ... TEMPLATE`: 0.1 s instead of 3 s of
    migrations). Dropped at the end of the process's test session (tests/conftest.py)."""
    if "name" not in _migrated_template:
        name = f"template_{os.getpid()}_{uuid.uuid4().hex[:8]}"
        admin.execute(f'CREATE DATABASE "{name}"')
        app = create_app({"ENV_NAME": "testing", "SQLALCHEMY_DATABASE_URI": _database_url(name)})
        try:
            with app.app_context():
                from flask_migrate import upgrade

                from conference.app import MIGRATIONS_DIR

                try:
                    upgrade(directory=str(MIGRATIONS_DIR))
                finally:
                    db.session.remove()
                    db.engine.dispose()  # a template must have no connection while it is copied
        except BaseException:
            admin.execute(f'DROP DATABASE "{name}" WITH (FORCE)')  # half made: no test may copy it
            raise
        _migrated_template["name"] = name
    return _migrated_template["name"]


@contextmanager
def postgres_database(prefix: str) -> Iterator[str]:
    """The name of a fresh database named after `prefix`, migrated to the head; dropped afterwards."""
    admin = connect_admin()
    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    admin.execute(f'CREATE DATABASE "{name}" TEMPLATE "{migrated_template(admin)}"')
    try:
        yield name
    finally:
        admin.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
        admin.close()


@contextmanager
def postgres_app(prefix: str, *, port: int = 5432, **config) -> Iterator:
    """An app on a fresh database named after `prefix`, migrated to the head; dropped afterwards.
    `port` reaches the server through a forwarder on another port (tests/test_faults.py)."""
    with postgres_database(prefix) as name:
        app = create_app(
            {"ENV_NAME": "testing", "SQLALCHEMY_DATABASE_URI": _database_url(name, port), **config}
        )
        try:
            yield app
        finally:
            with app.app_context():
                db.session.remove()
                db.engine.dispose()
