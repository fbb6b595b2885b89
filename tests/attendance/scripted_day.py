"""A scripted conference morning, written as records with explicit timestamps (time control matters).

Event from `make_event`: plenary 00:00–00:45 UTC (09:00 Seoul), "AI Ethics" 02:00–03:00 UTC with a
door list, a workshop the next day. Times below are UTC on 2030-05-06 unless noted.

Online (RoomVisit rows):
- Alice (KR, online): plenary 00:00–00:10, drops, back at 00:12 (gap exactly 120 s, within the
  grace period) until 00:40 → one stay of 40 min.
- Bob (JP, online): plenary 00:05–00:15, back at 00:20 (gap 5 min, beyond grace) until 00:30 → two
  stays, 20 min.
- Faisal (no country, online): plenary 00:30–00:31.
- Emma (FR, online): AI Ethics in two tabs, 02:00–02:50 and 02:10–02:20 → one stay of 50 min.
- Dae (KR, in person, hybrid): AI Ethics online from 02:10, never left (socket still open).
- Chitra (IN, in person, hybrid): AI Ethics online 02:31–02:38 while out of the room.
- Mona (moderator, not registered): plenary 00:00–00:45 → not an attendee.

On site (CheckinMovement rows):
- Chitra: entrance in 23:50 (May 5), AI Ethics door in 01:55, out 02:30, in 02:40, out 03:05,
  entrance out 03:20.
- Dae: entrance in 00:20, out 00:50.
- Ivan (KR, in person): entrance in 00:10, a second "in" 00:15 (changes nothing), out 01:00, a stray
  "out" 01:30 (changes nothing).
- Hana (KR, in person): entrance in 00:05, undone by staff → never there.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from conference.checkin.models import CheckinList, CheckinMovement
from conference.extensions import db as _db
from conference.programme.models import ProgrammeSession
from conference.rooms.models import RoomVisit

DAY = datetime(2030, 5, 6, tzinfo=timezone.utc)


def at(hour: int, minute: int, second: int = 0) -> datetime:
    """An instant on the scripted day in UTC; hour 23 means the evening before (08:xx in Seoul)."""
    if hour == 23:
        return DAY - timedelta(days=1) + timedelta(hours=23, minutes=minute, seconds=second)
    return DAY + timedelta(hours=hour, minutes=minute, seconds=second)


@dataclass
class Day:
    event: object
    plenary: int
    ethics: int
    workshop: int
    people: dict


def build_day(app, make_event, make_user, make_registration) -> Day:
    event = make_event("symposium")
    people = {
        "alice": make_user(name="Alice Kim", country="KR"),
        "bob": make_user(name="Bob Tanaka", country="JP"),
        "faisal": make_user(name="Faisal Noor", country=None),
        "emma": make_user(name="Emma Martin", country="FR"),
        "dae": make_user(name="Dae Park", country="KR"),
        "chitra": make_user(name="Chitra Iyer", country="IN"),
        "ivan": make_user(name="Ivan Lee", country="KR"),
        "hana": make_user(name="Hana Cho", country="KR"),
        "mona": make_user("moderator", name="Mona Moderator", country="EG"),
    }
    registrations = {}
    for key, mode in (("alice", "online"), ("bob", "online"), ("faisal", "online"), ("emma", "online"),
                      ("dae", "in_person"), ("chitra", "in_person"), ("ivan", "in_person"),
                      ("hana", "in_person")):
        registrations[key] = make_registration(people[key], event, mode).id
    with app.app_context():
        db = _db.session
        sessions = {s.kind: s.id for s in db.query(ProgrammeSession).filter_by(event_id=event.id)}
        plenary, ethics = sessions["plenary"], sessions["thematic"]
        entrance = CheckinList(event_id=event.id, name="Entrance", scope="event")
        door = CheckinList(event_id=event.id, name="AI Ethics door", scope="session", session_id=ethics)
        db.add_all([entrance, door])
        db.flush()

        def visit(who, session_id, joined, left, sid):
            db.add(RoomVisit(session_id=session_id, user_id=people[who].id, sid=sid, joined_at=joined,
                             left_at=left))

        visit("alice", plenary, at(0, 0), at(0, 10), "a1")
        visit("alice", plenary, at(0, 12), at(0, 40), "a2")
        visit("bob", plenary, at(0, 5), at(0, 15), "b1")
        visit("bob", plenary, at(0, 20), at(0, 30), "b2")
        visit("faisal", plenary, at(0, 30), at(0, 31), "f1")
        visit("emma", ethics, at(2, 0), at(2, 50), "e1")
        visit("emma", ethics, at(2, 10), at(2, 20), "e2")
        visit("dae", ethics, at(2, 10), None, "d1")
        visit("chitra", ethics, at(2, 31), at(2, 38), "c1")
        visit("mona", plenary, at(0, 0), at(0, 45), "m1")

        def move(who, checkin_list, direction, when, undone=None):
            db.add(CheckinMovement(list_id=checkin_list.id, registration_id=registrations[who], direction=direction,
                                   scanned_at=when, uploaded_at=when, gate="A", undone_at=undone))

        move("chitra", entrance, "in", at(23, 50))
        move("chitra", door, "in", at(1, 55))
        move("chitra", door, "out", at(2, 30))
        move("chitra", door, "in", at(2, 40))
        move("chitra", door, "out", at(3, 5))
        move("chitra", entrance, "out", at(3, 20))
        move("dae", entrance, "in", at(0, 20))
        move("dae", entrance, "out", at(0, 50))
        move("ivan", entrance, "in", at(0, 10))
        move("ivan", entrance, "in", at(0, 15))
        move("ivan", entrance, "out", at(1, 0))
        move("ivan", entrance, "out", at(1, 30))
        move("hana", entrance, "in", at(0, 5), undone=at(0, 6))
        db.commit()
    return Day(event, plenary, ethics, sessions["workshop"], people)
