"""Matchmaking tests: one event with a thematic area, its organiser, a Korean practice owner, two
Thai participants, a Vietnamese participant, someone not registered, and a moderator."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from conference.accounts.models import User
from conference.extensions import db as _db
from conference.grants.services import grant
from conference.programme.models import Event, ProgrammeSession, Track


@dataclass
class People:
    event: Event
    other_event: Event
    track_id: int
    other_track_id: int
    session_id: int
    organiser: User
    owner: User  # KR, registered
    thai: User  # TH, registered
    thai2: User  # TH, registered
    viet: User  # VN, registered
    stranger: User  # PH, not registered
    moderator: User
    other_organiser: User


@pytest.fixture()
def mm(app, make_event, make_user, make_registration):
    event, other_event = make_event("symposium"), make_event("other-forum")
    people = {
        "organiser": make_user(name="Olu Organiser", country="KR"),
        "owner": make_user(name="Kim Owner", country="KR", organisation="Ministry of the Interior"),
        "thai": make_user(name="Thida Thai", country="TH"),
        "thai2": make_user(name="Somchai Thai", country="TH"),
        "viet": make_user(name="Vu Viet", country="VN"),
        "stranger": make_user(name="Pia Stranger", country="PH"),
        "moderator": make_user(name="Mina Moderator", country="KR"),
        "other_organiser": make_user(name="Otto Elsewhere", country="DE"),
    }
    with app.app_context():
        db = _db.session
        this, other = db.get(Event, event.id), db.get(Event, other_event.id)
        grant(db, this, db.get(User, people["organiser"].id), "organiser")
        grant(db, this, db.get(User, people["moderator"].id), "moderator")
        grant(db, other, db.get(User, people["other_organiser"].id), "organiser")
        digital = Track(event_id=this.id, name="Digital government", position=1)
        db.add(digital)
        db.flush()
        track_id = digital.id
        other_track_id = db.query(Track).filter_by(event_id=other.id).first().id
        session_id = db.query(ProgrammeSession).filter_by(event_id=this.id, kind="thematic").first().id
        db.commit()
    for name in ("owner", "thai", "thai2", "viet"):
        make_registration(people[name], event, "in_person")
    return People(event, other_event, track_id, other_track_id, session_id, **people)
