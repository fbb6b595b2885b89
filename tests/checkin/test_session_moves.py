"""A moved session's door list follows it: name, times, automatic check-out and capacity."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from conference import hooks
from conference.checkin.auto_checkout import run_due_auto_checkouts
from conference.checkin.lists import ensure_default_lists, follow_session
from conference.checkin.models import CheckinList
from conference.db_types import utcnow
from conference.programme.models import Event, ProgrammeSession


def door_of(db, session_id: int) -> CheckinList:
    return db.scalars(select(CheckinList).where(CheckinList.session_id == session_id)).one()


def thematic_of(db, event) -> ProgrammeSession:
    return db.scalars(
        select(ProgrammeSession).where(
            ProgrammeSession.event_id == event.id, ProgrammeSession.kind == "thematic"
        )
    ).one()


def move(db, session: ProgrammeSession, **new) -> dict:
    """Change the session the way the programme's edit does, commit, and return `changes`."""
    changes = {}
    for field, value in new.items():
        changes[field] = (getattr(session, field), value)
        setattr(session, field, value)
    db.commit()
    return changes


def test_a_moved_session_moves_its_door_list_through_the_hook(db, make_event):
    event = db.merge(make_event())
    ensure_default_lists(db, event)
    session = thematic_of(db, event)
    door = door_of(db, session.id)
    assert door.auto_checkout_at == session.ends_at + timedelta(minutes=30) and door.capacity == 2
    other_doors = {
        c.id: (c.name, c.auto_checkout_at, c.capacity)
        for c in db.scalars(select(CheckinList))
        if c.id != door.id
    }

    later = timedelta(hours=3)
    changes = move(
        db,
        session,
        starts_at=session.starts_at + later,
        ends_at=session.ends_at + later,
        capacity=40,
        room="Hall B",
    )
    hooks.session_changed.send(event.id, session_id=session.id, changes=changes)

    db.expire_all()
    door = door_of(db, session.id)
    assert door.auto_checkout_at == session.ends_at + timedelta(minutes=30)
    assert door.capacity == 40
    # Nothing else moved.
    assert {
        c.id: (c.name, c.auto_checkout_at, c.capacity)
        for c in db.scalars(select(CheckinList))
        if c.id != door.id
    } == other_doors


def test_the_organisers_own_delay_and_door_size_are_kept(db, make_event):
    event = db.merge(make_event())
    ensure_default_lists(db, event)
    session = thematic_of(db, event)
    door = door_of(db, session.id)
    door.auto_checkout_at = session.ends_at + timedelta(minutes=10)  # an organiser chose 10 minutes
    door.capacity = 5  # and a door smaller than the session's room
    door.name = "Room 1 side door"
    db.commit()

    changes = move(db, session, ends_at=session.ends_at + timedelta(minutes=45), capacity=60)
    follow_session(db, session, changes)

    door = door_of(db, session.id)
    assert door.auto_checkout_at == session.ends_at + timedelta(minutes=10)
    assert door.capacity == 5 and door.name == "Room 1 side door"


def test_the_generated_name_follows_the_title(db, make_event):
    event = db.merge(make_event())
    ensure_default_lists(db, event)
    session = thematic_of(db, event)
    session.title = "AI Ethics and Governance"
    db.commit()
    follow_session(db, session, {})
    assert door_of(db, session.id).name == f"Door: AI Ethics and Governance #{session.id}"


def test_a_session_moved_into_the_future_checks_out_again_at_its_new_end(db, make_event):
    """The automatic check-out of the old end already ran; after the move it must run again later."""
    now = utcnow()
    event = db.merge(make_event(starts_at=now - timedelta(hours=4)))
    ensure_default_lists(db, event)
    session = thematic_of(db, event)  # ran 2 h to 1 h ago: its door's check-out (30 min after) is due
    assert session.ends_at < now
    assert door_of(db, session.id).id in run_due_auto_checkouts(db, now)
    assert door_of(db, session.id).auto_checked_out_at is not None

    changes = move(db, session, starts_at=now + timedelta(hours=1), ends_at=now + timedelta(hours=2))
    follow_session(db, session, changes, now=now)
    door = door_of(db, session.id)
    assert door.auto_checkout_at == session.ends_at + timedelta(minutes=30)
    assert door.auto_checked_out_at is None
    assert door.id not in run_due_auto_checkouts(db, now)  # not yet
    assert door.id in run_due_auto_checkouts(db, door.auto_checkout_at + timedelta(seconds=1))


def test_a_session_moved_earlier_into_the_past_is_not_checked_out_twice(db, make_event):
    now = utcnow()
    event = db.merge(make_event(starts_at=now - timedelta(hours=4)))
    ensure_default_lists(db, event)
    session = thematic_of(db, event)
    run_due_auto_checkouts(db, now)
    ran_at = door_of(db, session.id).auto_checked_out_at
    changes = move(
        db,
        session,
        starts_at=session.starts_at - timedelta(minutes=30),
        ends_at=session.ends_at - timedelta(minutes=30),
    )
    follow_session(db, session, changes, now=now)
    assert door_of(db, session.id).auto_checked_out_at == ran_at


def test_a_session_without_a_door_list_changes_nothing(db, make_event):
    event = db.merge(make_event())
    session = thematic_of(db, event)
    changes = move(db, session, capacity=10)
    hooks.session_changed.send(event.id, session_id=session.id, changes=changes)
    assert db.scalars(select(CheckinList)).all() == []
    assert db.get(Event, event.id) is not None
