"""The doors rules (conference.checkin.doors): lists organisers create, change and remove, and the
people they name check-in staff."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import func, select

from conference.accounts.models import User
from conference.checkin import doors, scanning
from conference.checkin.auto_checkout import run_due_auto_checkouts
from conference.checkin.badges import badge_token
from conference.checkin.lists import ensure_default_lists, lists_of
from conference.checkin.models import CheckinList, CheckinMovement
from conference.checkin.schemas import CheckinListIn
from conference.errors import ServiceError
from conference.extensions import db as _db
from conference.grants import checks
from conference.programme.models import Event, ProgrammeSession
from conference.registrations.models import Registration


@pytest.fixture()
def ctx(app, cast):
    """An app context with the cast's event loaded."""
    with app.app_context():
        yield _db.session, _db.session.get(Event, cast.event.id)


def payload(**fields) -> CheckinListIn:
    return CheckinListIn.model_validate({"name": "Main hall", **fields})


def session_of(db, event, title) -> ProgrammeSession:
    return db.scalar(
        select(ProgrammeSession).where(ProgrammeSession.event_id == event.id, ProgrammeSession.title == title)
    )


def check_in(db, cast, checkin_list, make_user_registration) -> dict:
    """Scan a new in-person attendee's badge at the list, as a platform admin would."""
    registration = make_user_registration()
    admin = db.get(User, cast.admin.id)
    code = badge_token(db, db.get(Registration, registration.id))
    return scanning.scan(
        db, admin, scanning.ScanRequest(code=code, list_id=checkin_list.id, scan_id=str(uuid.uuid4()))
    )


@pytest.fixture()
def new_attendee(cast, make_user, make_registration):
    return lambda: make_registration(make_user(), cast.event, "in_person")


def test_lists_of_every_scope(ctx, cast):
    db, event = ctx
    entrance = doors.create_list(db, event, payload(name="Entrance", capacity=500))
    day = doors.create_list(db, event, payload(name="Day 2", scope="day", day="2030-05-07"))
    door = doors.create_list(
        db, event, payload(name="Door", scope="session", session_id=session_of(db, event, "AI Ethics").id)
    )
    assert (entrance.scope, entrance.capacity, entrance.day, entrance.session_id) == (
        "event",
        500,
        None,
        None,
    )
    assert day.day == date(2030, 5, 7) and day.session_id is None
    assert door.session.title == "AI Ethics" and door.day is None
    assert [c.name for c in lists_of(db, event.id)] == ["Entrance", "Day 2", "Door"]


def test_a_day_or_session_sent_with_another_scope_is_dropped(ctx):
    db, event = ctx
    checkin_list = doors.create_list(db, event, payload(scope="event", day="2030-05-07", session_id=1))
    assert (checkin_list.day, checkin_list.session_id) == (None, None)


@pytest.mark.parametrize(
    ("fields", "code"),
    [
        ({"scope": "day"}, "day_required"),
        ({"scope": "day", "day": "2030-05-09"}, "day_outside_event"),
        ({"scope": "day", "day": "2030-05-05"}, "day_outside_event"),
        ({"scope": "session"}, "session_required"),
    ],
)
def test_refused_scopes(ctx, fields, code):
    db, event = ctx
    with pytest.raises(ServiceError) as caught:
        doors.create_list(db, event, payload(**fields))
    assert caught.value.code == code
    assert db.scalar(select(func.count()).select_from(CheckinList)) == 0


def test_a_session_list_must_name_a_session_of_this_event(ctx, cast):
    db, event = ctx
    other = db.get(Event, cast.other_event.id)
    foreign = session_of(db, other, "AI Ethics")
    with pytest.raises(ServiceError) as caught:
        doors.create_list(db, event, payload(scope="session", session_id=foreign.id))
    assert caught.value.code == "session_not_in_event" and caught.value.details["field"] == "session_id"


def test_the_event_days_run_in_the_events_zone(ctx):
    db, event = ctx
    # The event starts 2030-05-05 23:30 UTC, which is already 6 May in Seoul.
    assert event.starts_at.date() == date(2030, 5, 5)
    assert doors.create_list(db, event, payload(scope="day", day="2030-05-06")).day == date(2030, 5, 6)


def test_a_duplicate_name_is_refused(ctx):
    db, event = ctx
    doors.create_list(db, event, payload())
    with pytest.raises(ServiceError) as caught:
        doors.create_list(db, event, payload(capacity=3))
    assert caught.value.code == "name_taken" and caught.value.status == 409


def test_the_auto_checkout_time_is_typed_in_the_events_zone(ctx):
    db, event = ctx
    local = doors.create_list(db, event, payload(name="Local", auto_checkout_at="2030-05-06T22:00"))
    assert local.auto_checkout_at == datetime(2030, 5, 6, 13, 0, tzinfo=UTC)  # Seoul is UTC+9
    instant = doors.create_list(db, event, payload(name="Instant", auto_checkout_at="2030-05-06T22:00:00Z"))
    assert instant.auto_checkout_at == datetime(2030, 5, 6, 22, 0, tzinfo=UTC)


def test_capacity_never_drops_below_the_people_inside(ctx, cast, new_attendee):
    db, event = ctx
    hall = doors.create_list(db, event, payload())
    for _ in range(2):
        assert check_in(db, cast, hall, new_attendee)["result"] == "ok"
    with pytest.raises(ServiceError) as caught:
        doors.update_list(db, event, hall, payload(capacity=1))
    assert caught.value.code == "capacity_below_inside" and caught.value.details["inside_now"] == 2
    assert "2 people are inside now" in caught.value.message
    db.expire_all()
    assert db.get(CheckinList, hall.id).capacity is None
    doors.update_list(db, event, hall, payload(capacity=2))
    db.expire_all()
    assert db.get(CheckinList, hall.id).capacity == 2
    assert check_in(db, cast, db.get(CheckinList, hall.id), new_attendee)["result"] == "full"


def test_a_list_with_check_ins_keeps_its_records(ctx, cast, new_attendee):
    db, event = ctx
    hall = doors.create_list(db, event, payload())
    check_in(db, cast, hall, new_attendee)
    with pytest.raises(ServiceError) as caught:
        doors.delete_list(db, event, hall)
    assert caught.value.code == "list_in_use"
    with pytest.raises(ServiceError) as moved:
        doors.update_list(db, event, hall, payload(scope="day", day="2030-05-07"))
    assert moved.value.code == "list_in_use"
    db.expire_all()
    assert db.get(CheckinList, hall.id).scope == "event"
    assert db.scalar(select(func.count()).select_from(CheckinMovement)) == 1
    # Its name, capacity and other settings still change.
    doors.update_list(
        db, event, db.get(CheckinList, hall.id), payload(name="Plenary hall", allow_reentry=False)
    )
    db.expire_all()
    renamed = db.get(CheckinList, hall.id)
    assert (renamed.name, renamed.allow_reentry) == ("Plenary hall", False)


def test_a_refused_scan_also_keeps_the_list(ctx, cast, new_attendee):
    db, event = ctx
    hall = doors.create_list(db, event, payload())
    admin = db.get(User, cast.admin.id)
    scanning.scan(db, admin, scanning.ScanRequest(code="forged", list_id=hall.id, scan_id=str(uuid.uuid4())))
    with pytest.raises(ServiceError):
        doors.delete_list(db, event, hall)


def test_an_unused_list_is_removed(ctx):
    db, event = ctx
    hall = doors.create_list(db, event, payload())
    doors.delete_list(db, event, hall)
    assert lists_of(db, event.id) == []


def test_a_new_auto_checkout_time_runs_again(ctx, cast, new_attendee):
    db, event = ctx
    hall = doors.create_list(db, event, payload(auto_checkout_at="2020-01-01T10:00"))
    assert run_due_auto_checkouts(db) == [hall.id]
    check_in(db, cast, hall, new_attendee)
    db.expire_all()
    hall = db.get(CheckinList, hall.id)
    assert hall.inside_count == 1
    doors.update_list(db, event, hall, payload(auto_checkout_at="2020-01-02T10:00"))
    assert run_due_auto_checkouts(db) == [hall.id]
    db.expire_all()
    assert db.get(CheckinList, hall.id).inside_count == 0


def test_staff_are_named_by_email_and_removed(ctx, cast, make_user):
    db, event = ctx
    helper = make_user(email="volunteer@example.org")
    assert not checks.can_scan(db, db.get(User, helper.id), event)
    row = doors.add_staff(db, event, " Volunteer@Example.org ", None)
    assert doors.add_staff(db, event, "volunteer@example.org", None).id == row.id  # idempotent
    assert checks.can_scan(db, db.get(User, helper.id), event)
    assert not checks.can_manage(db, db.get(User, helper.id), event)
    assert {g.user.email for g in doors.staff_of(db, event)} == {cast.staff.email, "volunteer@example.org"}
    doors.remove_staff(db, event, row.id)
    assert not checks.can_scan(db, db.get(User, helper.id), event)
    with pytest.raises(ServiceError) as unknown:
        doors.add_staff(db, event, "nobody@example.org", None)
    assert unknown.value.code == "user_not_found"


def test_the_doors_page_cannot_remove_an_organiser(ctx, cast):
    db, event = ctx
    from conference.grants.models import EventGrant

    organiser_grant = db.scalar(select(EventGrant).where(EventGrant.user_id == cast.organiser.id))
    with pytest.raises(ServiceError) as caught:
        doors.remove_staff(db, event, organiser_grant.id)
    assert caught.value.code == "grant_not_found"
    assert checks.can_manage(db, db.get(User, cast.organiser.id), event)


def test_default_lists_from_the_programme(ctx):
    db, event = ctx
    lists = ensure_default_lists(db, event)
    assert [c.scope for c in lists].count("day") == 3 and any(c.name == "Entrance" for c in lists)
    assert len(ensure_default_lists(db, event)) == len(lists)
