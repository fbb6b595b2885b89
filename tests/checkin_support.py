"""Fixtures and helpers shared by the check-in tests (tests/checkin/ and the browser test)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

import pytest

from conference.checkin import scanning
from conference.checkin.badges import badge_token
from conference.checkin.lists import ensure_list
from conference.extensions import db as _db
from conference.programme.models import Event
from conference.registrations.models import Registration


def new_scan_id() -> str:
    return str(uuid.uuid4())


def scan_request(code: str, list_id: int, **fields) -> scanning.ScanRequest:
    return scanning.ScanRequest(
        code=code, list_id=list_id, scan_id=fields.pop("scan_id", None) or new_scan_id(), **fields
    )


@dataclass
class Venue:
    event_id: int
    entrance_id: int
    door_id: int  # the "AI Ethics" room: capacity 2
    online_list_id: int  # admits online participants, no re-entry
    staff: object
    session_id: int


@pytest.fixture()
def venue(app, make_event, make_user):
    event = make_event()
    staff = make_user("staff")
    with app.app_context():
        event = _db.session.get(Event, event.id)
        entrance = ensure_list(_db.session, event, "Entrance", allow_reentry=True)
        thematic = next(s for s in event.sessions if s.title == "AI Ethics")
        door = ensure_list(
            _db.session,
            event,
            "Door AI Ethics",
            scope="session",
            session=thematic,
            capacity=thematic.capacity,
            allow_reentry=True,
        )
        online = ensure_list(_db.session, event, "Hybrid desk", admits_online=True, allow_reentry=False)
        return Venue(event.id, entrance.id, door.id, online.id, staff, thematic.id)


@pytest.fixture()
def attendee_badge(app, make_user, make_registration):
    """A new in-person (or online) attendee of the venue's event: (registration id, badge code)."""

    def factory(venue: Venue, mode: str = "in_person", **user_fields):
        user = make_user(**user_fields)
        with app.app_context():
            event = _db.session.get(Event, venue.event_id)
        registration = make_registration(user, event, mode)
        with app.app_context():
            registration = _db.session.get(Registration, registration.id)
            return registration.id, badge_token(_db.session, registration)

    return factory
