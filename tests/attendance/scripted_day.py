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
from datetime import UTC, datetime, timedelta

from conference.checkin.models import CheckinList, CheckinMovement
from conference.extensions import db as _db
from conference.programme.models import ProgrammeSession
from conference.rooms.models import RoomVisit

DAY = datetime(2030, 5, 6, tzinfo=UTC)


# For the variant that scans through check-in's real service, which refuses scans dated in the future.
PAST_DAY = datetime(2026, 5, 6, tzinfo=UTC)


def at(hour: int, minute: int, second: int = 0, *, day: datetime = DAY) -> datetime:
    """An instant on the scripted day in UTC; hour 23 means the evening before (08:xx in Seoul)."""
    if hour == 23:
        return day - timedelta(days=1) + timedelta(hours=23, minutes=minute, seconds=second)
    return day + timedelta(hours=hour, minutes=minute, seconds=second)


@dataclass
class Day:
    event: object
    plenary: int
    ethics: int
    workshop: int
    people: dict
    scan_results: dict | None = None  # scan index in MOVES → result, when scanned through check-in


def build_day(
    app, make_event, make_user, make_registration, *, day: datetime = DAY, via_scans: bool = False
) -> Day:
    """The records of the scripted day; with `via_scans`, the on-site part goes through check-in's
    scan and undo services (which refuse Ivan's second "in" and his stray "out")."""
    event = make_event("symposium", starts_at=day)
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
    for key, mode in (
        ("alice", "online"),
        ("bob", "online"),
        ("faisal", "online"),
        ("emma", "online"),
        ("dae", "in_person"),
        ("chitra", "in_person"),
        ("ivan", "in_person"),
        ("hana", "in_person"),
    ):
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
            db.add(
                RoomVisit(
                    session_id=session_id,
                    user_id=people[who].id,
                    sid=sid,
                    joined_at=at(*joined, day=day),
                    left_at=at(*left, day=day) if left else None,
                )
            )

        visit("alice", plenary, (0, 0), (0, 10), "a1")
        visit("alice", plenary, (0, 12), (0, 40), "a2")
        visit("bob", plenary, (0, 5), (0, 15), "b1")
        visit("bob", plenary, (0, 20), (0, 30), "b2")
        visit("faisal", plenary, (0, 30), (0, 31), "f1")
        visit("emma", ethics, (2, 0), (2, 50), "e1")
        visit("emma", ethics, (2, 10), (2, 20), "e2")
        visit("dae", ethics, (2, 10), None, "d1")
        visit("chitra", ethics, (2, 31), (2, 38), "c1")
        visit("mona", plenary, (0, 0), (0, 45), "m1")

        if via_scans:
            db.commit()
            results = _scan_the_day(db, event.id, people, registrations, entrance, door, day, make_user)
            return Day(event, plenary, ethics, sessions["workshop"], people, results)

        def move(who, checkin_list, direction, when, undone=None):
            when, undone = at(*when, day=day), at(*undone, day=day) if undone else None
            db.add(
                CheckinMovement(
                    list_id=checkin_list.id,
                    registration_id=registrations[who],
                    direction=direction,
                    scanned_at=when,
                    uploaded_at=when,
                    gate="A",
                    undone_at=undone,
                )
            )

        move("chitra", entrance, "in", (23, 50))
        move("chitra", door, "in", (1, 55))
        move("chitra", door, "out", (2, 30))
        move("chitra", door, "in", (2, 40))
        move("chitra", door, "out", (3, 5))
        move("chitra", entrance, "out", (3, 20))
        move("dae", entrance, "in", (0, 20))
        move("dae", entrance, "out", (0, 50))
        move("ivan", entrance, "in", (0, 10))
        move("ivan", entrance, "in", (0, 15))
        move("ivan", entrance, "out", (1, 0))
        move("ivan", entrance, "out", (1, 30))
        move("hana", entrance, "in", (0, 5), undone=(0, 6))
        db.commit()
    return Day(event, plenary, ethics, sessions["workshop"], people)


MOVES = [  # (who, list, direction, (hour, minute)) in time order
    ("chitra", "entrance", "in", (23, 50)),
    ("hana", "entrance", "in", (0, 5)),
    ("ivan", "entrance", "in", (0, 10)),
    ("ivan", "entrance", "in", (0, 15)),
    ("dae", "entrance", "in", (0, 20)),
    ("dae", "entrance", "out", (0, 50)),
    ("ivan", "entrance", "out", (1, 0)),
    ("ivan", "entrance", "out", (1, 30)),
    ("chitra", "door", "in", (1, 55)),
    ("chitra", "door", "out", (2, 30)),
    ("chitra", "door", "in", (2, 40)),
    ("chitra", "door", "out", (3, 5)),
    ("chitra", "entrance", "out", (3, 20)),
]


def _scan_the_day(db, event_id, people, registrations, entrance, door, day, make_user) -> dict:
    """Scan every badge as staff would (with the scanner's own clock), then undo Hana's entry."""
    from conference.checkin.badges import badge_token
    from conference.checkin.scanning import ScanRequest, scan
    from conference.checkin.undo import undo
    from conference.registrations.models import Registration

    staff = db.merge(make_user("staff", name="Sam Scanner"))
    lists = {"entrance": entrance.id, "door": door.id}
    results = {}
    for n, (who, list_name, direction, hhmm) in enumerate(MOVES):
        code = badge_token(db, db.get(Registration, registrations[who]))
        request = ScanRequest(
            code=code,
            list_id=lists[list_name],
            scan_id=f"scan-{n}",
            direction=direction,
            gate="A",
            scanned_at=at(*hhmm, day=day),
        )
        results[n] = scan(db, staff, request)["result"]
    undo(db, staff, "scan-1")  # Hana was let in by mistake
    return results
