"""Fixtures for calls: the rooms' cast, with the workshop marked interactive (it has a call)."""

from __future__ import annotations

import pytest
from rooms.conftest import cast, joined  # noqa: F401 - the live rooms' cast and joined clients

from conference.extensions import db
from conference.programme.models import ProgrammeSession


@pytest.fixture()
def workshop_call(app, cast):
    """The cast's workshop, marked interactive by its organisers: its live room has a call."""
    with app.app_context():
        db.session.get(ProgrammeSession, cast.workshop).interactive = True
        db.session.commit()
    return cast.workshop
