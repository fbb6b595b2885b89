"""Everyone the permission tables of the back-office pages try: an admin, this event's organiser,
another event's organiser, this event's moderator and check-in staff, a registered attendee, and
nobody signed in (None). Shared by the documents and doors tests."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from conference.accounts.models import User
from conference.extensions import db as _db
from conference.grants.services import grant
from conference.programme.models import Event

ROLES = ("admin", "organiser", "other_organiser", "moderator", "staff", "attendee", "anonymous")
MANAGERS = ("admin", "organiser")


@dataclass
class Cast:
    event: Event
    other_event: Event
    users: dict  # role -> User (anonymous -> None)

    def __getattr__(self, role):
        try:
            return self.users[role]
        except KeyError:
            raise AttributeError(role) from None


@pytest.fixture()
def cast(app, make_event, make_user, make_registration):
    event, other_event = make_event("symposium"), make_event("other-forum")
    users = {
        "admin": make_user("admin", name="Ada Admin"),
        "organiser": make_user(name="Olu Organiser"),
        "other_organiser": make_user(name="Otto Elsewhere"),
        "moderator": make_user(name="Mina Moderator"),
        "staff": make_user(name="Sami Staff"),
        "attendee": make_user(name="Aroha Attendee"),
        "anonymous": None,
    }
    with app.app_context():
        db = _db.session
        this, other = db.get(Event, event.id), db.get(Event, other_event.id)
        for role, target in (("organiser", this), ("moderator", this), ("staff", this)):
            grant(db, target, db.get(User, users[role].id), role)
        grant(db, other, db.get(User, users["other_organiser"].id), "organiser")
    make_registration(users["attendee"], event, "in_person")
    return Cast(event, other_event, users)


def client_for(app, login, user):
    """A browser-like client signed in as `user` (or anonymous for None)."""
    client = app.test_client()
    return login(client, user) if user is not None else client
