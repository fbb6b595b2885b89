"""A session with breakout rooms counts everyone in any of its rooms, someone moving between them once."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from conference.attendance import services
from conference.attendance.services import ModeNumbers
from conference.checkin.models import CheckinList, CheckinMovement
from conference.extensions import db as _db
from conference.programme.models import ProgrammeSession
from conference.rooms.models import RoomVisit

BASE = datetime(2030, 5, 7, 0, 0, tzinfo=UTC)  # the workshop's day, 09:00 in Seoul


def t(minutes: int) -> datetime:
    return BASE + timedelta(minutes=minutes)


def test_breakout_rooms_roll_up_into_their_session(app, make_event, make_user, make_registration):
    event = make_event("symposium")
    mover, stayer, walker = (
        make_user(name=n, country=c)
        for n, c in (("Mia Mover", "NZ"), ("Sam Stayer", "FJ"), ("Wes Walker", "KR"))
    )
    make_registration(mover, event, "online")
    make_registration(stayer, event, "online")
    walk = make_registration(walker, event, "in_person")
    with app.app_context():
        db = _db.session
        parent = db.query(ProgrammeSession).filter_by(event_id=event.id, kind="workshop").one()
        rooms = [
            ProgrammeSession(
                event_id=event.id,
                parent_id=parent.id,
                title=f"Breakout {name}",
                kind="breakout",
                starts_at=parent.starts_at,
                ends_at=parent.ends_at,
            )
            for name in "AB"
        ]
        db.add_all(rooms)
        db.flush()
        room_a, room_b = rooms
        door_b = CheckinList(event_id=event.id, name="Door B", scope="session", session_id=room_b.id)
        db.add(door_b)
        db.flush()
        db.add_all(
            [
                RoomVisit(session_id=room_a.id, user_id=mover.id, sid="m1", joined_at=t(60), left_at=t(80)),
                RoomVisit(session_id=room_b.id, user_id=mover.id, sid="m1", joined_at=t(80), left_at=t(100)),
                RoomVisit(session_id=room_a.id, user_id=stayer.id, sid="s1", joined_at=t(65), left_at=t(90)),
                CheckinMovement(
                    list_id=door_b.id,
                    registration_id=walk.id,
                    direction="in",
                    scanned_at=t(70),
                    uploaded_at=t(70),
                ),
                CheckinMovement(
                    list_id=door_b.id,
                    registration_id=walk.id,
                    direction="out",
                    scanned_at=t(110),
                    uploaded_at=t(110),
                ),
            ]
        )
        db.commit()
        ids = parent.id, room_a.id, room_b.id
        report = services.report(db, db.merge(event), now=t(95))
    by_id = {s.id: s for s in report.sessions}
    whole, a, b = (by_id[i] for i in ids)

    assert (a.online, a.on_site, a.unique, a.peak, a.has_door_list) == (2, 0, 2, ModeNumbers(2, 0, 2), False)
    assert (b.online, b.on_site, b.unique, b.hybrid, b.entries) == (1, 1, 2, 0, 1)
    assert b.now == ModeNumbers(online=1, on_site=1, combined=2) and b.peak == ModeNumbers(1, 1, 2)

    # Mia moved from A to B at 01:20: one person, one stay 01:00–01:40 in the workshop.
    assert (whole.online, whole.on_site, whole.unique, whole.entries, whole.has_door_list) == (
        2,
        1,
        3,
        1,
        True,
    )
    assert whole.peak == ModeNumbers(online=2, on_site=1, combined=3)
    assert whole.now == ModeNumbers(online=1, on_site=1, combined=2)
    assert whole.online_seconds == (35 + 25) * 60  # Mia 01:00 until now (01:35), Sam 01:05–01:30
    assert [c.name for c in whole.countries] == ["Fiji", "New Zealand", "South Korea"]
    assert report.totals.participants == 3 and report.totals.sessions_attended == 3
