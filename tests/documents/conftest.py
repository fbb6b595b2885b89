"""Documents tests: an app whose uploads go to a temporary folder, with a 1 MB limit."""

from __future__ import annotations

import pytest
from cast_support import cast  # noqa: F401

LIMIT_MB = 1


@pytest.fixture()
def upload_dir(tmp_path):
    return tmp_path / "uploads"


@pytest.fixture()
def app(make_app, upload_dir):
    return make_app(UPLOAD_DIR=str(upload_dir), MAX_UPLOAD_MB=LIMIT_MB)
