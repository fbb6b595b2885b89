"""Documents tests: an app whose uploads go to a temporary folder, with a 1 MB limit."""

from __future__ import annotations

import pytest
from cast_support import cast  # noqa: F401

from conference import create_app
from conference.extensions import db as _db

LIMIT_MB = 1


@pytest.fixture()
def upload_dir(tmp_path):
    return tmp_path / "uploads"


@pytest.fixture()
def app(tmp_path, upload_dir):
    app = create_app(
        {
            "ENV_NAME": "testing",
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'test.db'}",
            "UPLOAD_DIR": str(upload_dir),
            "MAX_UPLOAD_MB": LIMIT_MB,
        }
    )
    with app.app_context():
        _db.create_all()
    yield app
    with app.app_context():
        _db.session.remove()
        _db.engine.dispose()
