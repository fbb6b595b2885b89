"""Helpers for the back-office tests: valid payloads and the people of a permission table."""

from __future__ import annotations

from conference.extensions import db as _db
from conference.grants.services import grant
from conference.programme.models import Event, ProgrammeSession


def event_payload(**overrides) -> dict:
    """A valid new event: local times in Asia/Seoul."""
    body = {
        "title": "Digital Government Forum",
        "slug": "dg-forum",
        "description": "Two days on digital services.",
        "venue": "Convensia",
        "city": "Incheon",
        "country": "KR",
        "timezone": "Asia/Seoul",
        "starts_at": "2031-03-10T09:00",
        "ends_at": "2031-03-11T18:00",
        "contact_email": "forum@example.org",
        "modes_offered": "both",
        "in_person_capacity": 200,
        "online_capacity": None,
        "requires_approval": False,
        "languages": "en,ko",
    }
    body.update(overrides)
    return body


def session_payload(**overrides) -> dict:
    """A session inside make_event()'s dates (6–8 May 2030, Seoul), in a room nobody uses."""
    body = {
        "title": "Data for development",
        "kind": "thematic",
        "room": "Room 9",
        "starts_at": "2030-05-07T14:00",
        "ends_at": "2030-05-07T15:00",
        "language": "en",
    }
    body.update(overrides)
    return body


def session_by_title(db, event_id: int, title: str) -> ProgrammeSession:
    return db.query(ProgrammeSession).filter_by(event_id=event_id, title=title).one()


def event_row(db, slug: str) -> Event | None:
    return db.query(Event).filter_by(slug=slug).one_or_none()


def people(app, make_user, event, other_event) -> dict:
    """admin, organiser of `event`, organiser of another event, moderator, staff, attendee (None = anonymous)."""
    cast = {
        "admin": make_user("admin"),
        "organiser": make_user(),
        "other_organiser": make_user(),
        "moderator": make_user(),
        "staff": make_user(),
        "attendee": make_user(),
    }
    with app.app_context():
        here, there = _db.session.merge(event), _db.session.merge(other_event)
        grant(_db.session, here, _db.session.merge(cast["organiser"]), "organiser")
        grant(_db.session, there, _db.session.merge(cast["other_organiser"]), "organiser")
        grant(_db.session, here, _db.session.merge(cast["moderator"]), "moderator")
        grant(_db.session, here, _db.session.merge(cast["staff"]), "staff")
        _db.session.expunge_all()
    return cast
