"""Fixtures for the live rooms: an event with registered people, and joined socket clients."""

from __future__ import annotations

import pytest
from rooms.support import LIVE, Cast, call

from conference.extensions import db as _db
from conference.programme.models import ProgrammeSession


@pytest.fixture()
def cast(app, make_event, make_user, make_registration) -> Cast:
    event = make_event()
    with app.app_context():
        sessions = {s.kind: s.id for s in _db.session.query(ProgrammeSession).filter_by(event_id=event.id)}
    alice = make_user(name="Alice Asker")
    bob = make_user(name="Bob Voter")
    moderator = make_user("moderator", name="Mona Moderator")
    outsider = make_user(name="Oscar Outsider")
    make_registration(alice, event, "online")
    make_registration(bob, event, "in_person")
    return Cast(
        event,
        sessions["plenary"],
        sessions["thematic"],
        sessions["workshop"],
        alice,
        bob,
        moderator,
        outsider,
    )


@pytest.fixture()
def database_url(app) -> str:
    """The test's database, for a `conference serve` process (serve_support.served) to use."""
    with app.app_context():
        _db.engine.dispose()  # the server process writes to the same SQLite file
    return app.config["SQLALCHEMY_DATABASE_URI"]


@pytest.fixture()
def joined(live_client):
    """`joined(user, session_id)` -> a connected client that has joined the room (broadcasts drained)."""

    def factory(user, session_id: int, *, token: bool = False):
        client = live_client(user, token=token)
        ack = call(client, "join", {"session_id": session_id})
        assert ack["ok"], ack
        client.get_received(LIVE)
        return client

    return factory
