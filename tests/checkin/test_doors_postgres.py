"""Doors rules on PostgreSQL (schema built by the migrations), racing real scans in threads:
removing a list while a badge is scanned there never loses the scan, and a capacity change never
leaves more people inside than the new capacity."""

from __future__ import annotations

import threading
import uuid

import pytest
from pg_support import postgres_app
from sqlalchemy import func, select

from conference.accounts.models import User
from conference.checkin import doors, scanning
from conference.checkin.badges import badge_token
from conference.checkin.models import CheckinList, CheckinMovement
from conference.checkin.schemas import CheckinListIn
from conference.errors import ServiceError
from conference.extensions import db as _db
from conference.programme.models import Event
from conference.registrations.models import Registration

# A scan that crashed in its thread would otherwise pass unnoticed.
pytestmark = pytest.mark.filterwarnings("error::pytest.PytestUnhandledThreadExceptionWarning")


@pytest.fixture()
def app():
    with postgres_app("doors") as app:
        yield app


def _badges(app, cast, make_user, make_registration, count: int) -> list[str]:
    codes = []
    for _ in range(count):
        registration = make_registration(make_user(), cast.event, "in_person")
        with app.app_context():
            codes.append(badge_token(_db.session, _db.session.get(Registration, registration.id)))
    return codes


def _scan(app, admin_id, list_id, code, results, barrier):
    with app.app_context():
        barrier.wait()
        try:
            answer = scanning.scan(
                _db.session,
                _db.session.get(User, admin_id),
                scanning.ScanRequest(code=code, list_id=list_id, scan_id=str(uuid.uuid4())),
            )
            results.append(answer["result"])
        except ServiceError as exc:
            _db.session.rollback()
            results.append(exc.code)
        finally:
            _db.session.remove()


def test_removing_a_list_while_a_badge_is_scanned_keeps_the_scan(app, cast, make_user, make_registration):
    codes = _badges(app, cast, make_user, make_registration, 8)
    for round_number, code in enumerate(codes):
        with app.app_context():
            event = _db.session.get(Event, cast.event.id)
            list_id = doors.create_list(_db.session, event, CheckinListIn(name=f"Door {round_number}")).id
        results, removal = [], []
        barrier = threading.Barrier(2)

        def remove(list_id=list_id, removal=removal, barrier=barrier):
            with app.app_context():
                barrier.wait()
                try:
                    event = _db.session.get(Event, cast.event.id)
                    doors.delete_list(_db.session, event, _db.session.get(CheckinList, list_id))
                    removal.append("removed")
                except ServiceError as exc:
                    removal.append(exc.code)
                finally:
                    _db.session.remove()

        threads = [
            threading.Thread(target=_scan, args=(app, cast.admin.id, list_id, code, results, barrier)),
            threading.Thread(target=remove),
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(30)
        with app.app_context():
            exists = _db.session.get(CheckinList, list_id) is not None
            movements = _db.session.scalar(
                select(func.count()).select_from(CheckinMovement).where(CheckinMovement.list_id == list_id)
            )
        if results == ["ok"]:
            assert removal == ["list_in_use"] and exists and movements == 1, (results, removal)
        else:  # the list went first: the scanner is told so, nothing half-written remains
            assert results == ["list_not_found"] and removal == ["removed"] and not exists, (results, removal)


def test_a_capacity_change_racing_scans_never_leaves_more_inside(app, cast, make_user, make_registration):
    codes = _badges(app, cast, make_user, make_registration, 6)
    with app.app_context():
        event = _db.session.get(Event, cast.event.id)
        list_id = doors.create_list(_db.session, event, CheckinListIn(name="Hall")).id
    results, change = [], []
    barrier = threading.Barrier(len(codes) + 1)

    def shrink():
        with app.app_context():
            barrier.wait()
            try:
                event = _db.session.get(Event, cast.event.id)
                doors.update_list(
                    _db.session,
                    event,
                    _db.session.get(CheckinList, list_id),
                    CheckinListIn(name="Hall", capacity=3),
                )
                change.append("ok")
            except ServiceError as exc:
                change.append(exc.code)
            finally:
                _db.session.remove()

    threads = [
        threading.Thread(target=_scan, args=(app, cast.admin.id, list_id, code, results, barrier))
        for code in codes
    ] + [threading.Thread(target=shrink)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    with app.app_context():
        hall = _db.session.get(CheckinList, list_id)
        inside = hall.inside_count
        capacity = hall.capacity
    assert len(results) == len(codes) and set(results) <= {"ok", "full"}
    assert inside == results.count("ok")
    if change == ["ok"]:
        assert capacity == 3 and inside <= 3
    else:
        assert change == ["capacity_below_inside"] and capacity is None and inside > 3
