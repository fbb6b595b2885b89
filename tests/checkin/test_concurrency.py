"""Twenty scanners scan one badge at the same instant: one "ok", the rest "already_checked_in", one row.

Real threads released together by a barrier, on a file SQLite database (an in-memory one would hide
the race) and on PostgreSQL (skipped with a reason when the server is absent, unless CI is set).
"""

from __future__ import annotations

import threading
import uuid
from collections import Counter
from datetime import UTC

import pg_support
import pytest
from checkin_support import scan_request
from sqlalchemy import func, select

from conference.accounts.models import User
from conference.checkin import scanning
from conference.checkin.auto_checkout import run_due_auto_checkouts
from conference.checkin.lists import ensure_list
from conference.checkin.models import Checkin, CheckinMovement, ScanRecord
from conference.checkin.stats import list_stats
from conference.checkin.sync import offline_snapshot, sync
from conference.checkin.undo import undo
from conference.extensions import db as _db
from conference.grants.services import grant

SCANNERS = 20


@pytest.fixture()
def app(make_app):
    """The usual app on a SQLite file, with a connection pool big enough for every scanner at once."""
    return make_app("storm.db", SQLALCHEMY_ENGINE_OPTIONS={"pool_size": SCANNERS + 5})


def _storm(app, staff_id: int, code: str, list_id: int, *, same_scan_id: bool = False) -> Counter:
    barrier = threading.Barrier(SCANNERS)
    results: list[str] = []
    errors: list[BaseException] = []
    shared_scan_id = str(uuid.uuid4())

    def scanner(gate: int) -> None:
        try:
            with app.app_context():
                staff = _db.session.get(User, staff_id)
                request = scan_request(
                    code, list_id, gate=f"gate-{gate}", scan_id=shared_scan_id if same_scan_id else None
                )
                barrier.wait(timeout=30)
                results.append(scanning.scan(_db.session, staff, request)["result"])
                _db.session.remove()
        except BaseException as exc:  # noqa: BLE001 - reported below with the thread's failure
            errors.append(exc)

    threads = [threading.Thread(target=scanner, args=(n,)) for n in range(SCANNERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors, errors
    return Counter(results)


def _assert_one_entry(app, registration_id: int, list_id: int, scan_records: int) -> None:
    with app.app_context():
        session = _db.session
        assert (
            session.scalar(
                select(func.count())
                .select_from(Checkin)
                .where(Checkin.registration_id == registration_id, Checkin.list_id == list_id)
            )
            == 1
        )
        assert session.scalar(select(func.count()).select_from(CheckinMovement)) == 1
        assert session.scalar(select(func.count()).select_from(ScanRecord)) == scan_records


def test_twenty_simultaneous_scans_on_sqlite_give_one_ok(app, venue, attendee_badge):
    registration_id, code = attendee_badge(venue)
    results = _storm(app, venue.staff.id, code, venue.entrance_id)
    assert results == Counter({"ok": 1, "already_checked_in": SCANNERS - 1})
    _assert_one_entry(app, registration_id, venue.entrance_id, SCANNERS)


def test_twenty_copies_of_one_scan_id_at_once_record_it_once(app, venue, attendee_badge):
    registration_id, code = attendee_badge(venue)
    results = _storm(app, venue.staff.id, code, venue.door_id, same_scan_id=True)
    assert results == Counter({"ok": SCANNERS})  # every copy gets the one stored answer
    _assert_one_entry(app, registration_id, venue.door_id, 1)


@pytest.fixture()
def postgres_app():
    """The app on a PostgreSQL database of its own, with a connection for each scanner."""
    with pg_support.postgres_app(
        "checkin_concurrency", SQLALCHEMY_ENGINE_OPTIONS={"pool_size": SCANNERS + 5}
    ) as app:
        yield app


def test_twenty_simultaneous_scans_on_postgresql_give_one_ok(postgres_app):
    from datetime import datetime, timedelta

    from conference.accounts.services import create_user
    from conference.checkin.badges import badge_token
    from conference.programme.models import Event
    from conference.registrations.services import register

    app = postgres_app
    with app.app_context():
        session = _db.session
        start = datetime(2030, 5, 6, tzinfo=UTC)
        event = Event(
            slug="pg-event",
            title="PG",
            timezone="Asia/Seoul",
            starts_at=start,
            ends_at=start + timedelta(days=1),
        )
        session.add(event)
        session.commit()
        staff = create_user(session, email="staff@example.org", name="Staff", password="x" * 12)
        attendee = create_user(session, email="a@example.org", name="A", role="attendee", password="x" * 12)
        grant(session, event, staff, "staff")
        entrance = ensure_list(session, event, "Entrance")
        registration = register(session, attendee, event, "in_person")
        code = badge_token(session, registration)
        ids = (staff.id, entrance.id, registration.id)
    results = _storm(app, ids[0], code, ids[1])
    assert results == Counter({"ok": 1, "already_checked_in": SCANNERS - 1})
    _assert_one_entry(app, ids[2], ids[1], SCANNERS)


def test_exits_undo_auto_checkout_sync_and_stats_on_postgresql(postgres_app):
    """The same rules on PostgreSQL's dialect: conditional updates, RETURNING, CASE, booleans."""
    from datetime import timedelta

    from conference import hooks
    from conference.accounts.services import create_user
    from conference.checkin.badges import badge_token
    from conference.db_types import utcnow
    from conference.programme.models import Event, ProgrammeSession
    from conference.registrations.services import register

    with postgres_app.app_context():
        session = _db.session
        now = utcnow()
        event = Event(
            slug="pg-rules",
            title="PG rules",
            timezone="Asia/Seoul",
            starts_at=now - timedelta(hours=1),
            ends_at=now + timedelta(days=1),
        )
        session.add(event)
        session.flush()
        room = ProgrammeSession(
            event_id=event.id,
            title="Room",
            kind="thematic",
            starts_at=now,
            ends_at=now + timedelta(hours=1),
            capacity=1,
        )
        session.add(room)
        session.commit()
        staff = create_user(session, email="s@example.org", name="S", password="x" * 12)
        grant(session, event, staff, "staff")
        door = ensure_list(session, event, "Door", scope="session", session=room, capacity=1)
        codes = []
        for n in range(2):
            person = create_user(session, email=f"p{n}@example.org", name=f"P{n}", password="x" * 12)
            codes.append(badge_token(session, register(session, person, event, "in_person")))

        def scan(code, **fields):
            return scanning.scan(session, staff, scan_request(code, door.id, **fields))

        first = scan(codes[0])
        assert [first["result"], scan(codes[1])["result"]] == ["ok", "full"]
        assert scan(codes[0], direction="out")["result"] == "ok"
        assert scan(codes[1])["result"] == "ok"
        assert hooks.on_site_count(session, room) == 1
        undo(session, staff, first["scan_id"])
        synced = sync(
            session,
            staff,
            [scan_request(codes[0], door.id, scanned_at=now - timedelta(minutes=9), offline_result="ok")],
        )
        # In scan time order this entry came before the exit that still stands (its entry was undone),
        # when the room was empty: valid, no conflict, and the person is outside now (no place taken).
        assert synced["results"][0]["result"] == "ok" and not synced["conflicts"]
        assert hooks.on_site_count(session, room) == 1
        door.auto_checkout_at = utcnow() - timedelta(seconds=1)
        session.commit()
        assert run_due_auto_checkouts(session) == [door.id]
        stats = list_stats(session, door)
        assert (stats["checked_in"], stats["inside_now"], stats["conflicts"], stats["late_uploads"]) == (
            2,
            0,
            0,
            1,
        )
        session.refresh(door)
        assert door.inside_count == 0
        snapshot = offline_snapshot(session, door)
        assert len(snapshot["checked_in"]) == 2 and snapshot["inside"] == []


def test_nul_characters_and_lone_surrogates_are_stored_safely_on_postgresql(postgres_app):
    """PostgreSQL refuses NUL in text: the audit log and gate are cleaned, so the answer is no 500;
    lone surrogates are refused by validation."""
    from datetime import timedelta

    from conference.accounts.services import create_api_token, create_user
    from conference.db_types import utcnow
    from conference.programme.models import Event

    with postgres_app.app_context():
        session = _db.session
        now = utcnow()
        event = Event(
            slug="pg-nul", title="PG", timezone="UTC", starts_at=now, ends_at=now + timedelta(days=1)
        )
        session.add(event)
        session.commit()
        staff = create_user(session, email="nul@example.org", name="S", password="x" * 12)
        grant(session, event, staff, "staff")
        entrance = ensure_list(session, event, "Entrance")
        token = create_api_token(session, staff, "t")
        list_id = entrance.id
    client = postgres_app.test_client()
    headers = {"Authorization": f"Bearer {token}"}
    nul = client.post(
        "/api/v1/checkin/scan",
        json={"code": "abc\u0000def", "list": list_id, "scan_id": "pg-odd-nul", "gate": "A\u0000B"},
        headers=headers,
    )
    assert nul.status_code == 422 and nul.json["result"] == "invalid_badge" and nul.json["gate"] == "AB"
    surrogate = client.post(
        "/api/v1/checkin/scan",
        json={"code": "\ud800x", "list": list_id, "scan_id": "pg-odd-sur", "gate": "\udfff"},
        headers=headers,
    )
    assert surrogate.status_code == 400 and surrogate.json["error"]["code"] == "invalid_request"
    with postgres_app.app_context():
        assert _db.session.scalars(select(ScanRecord.code)).all() == ["abcdef"]


def _churn(app, staff_id: int, codes: list[str], list_id: int) -> Counter:
    """Ten scanners send entries and exits of the same few badges at once, in random order."""
    import random

    from conference.errors import ServiceError

    barrier = threading.Barrier(10)
    results: Counter = Counter()
    errors: list[BaseException] = []
    lock = threading.Lock()

    def scanner(seed: int) -> None:
        rng = random.Random(seed)
        try:
            with app.app_context():
                staff = _db.session.get(User, staff_id)
                barrier.wait(timeout=30)
                for _ in range(10):
                    request = scan_request(rng.choice(codes), list_id, direction=rng.choice(["in", "out"]))
                    try:
                        result = scanning.scan(_db.session, staff, request)["result"]
                    except ServiceError as exc:  # "busy" after repeated lost races is an answer, not a crash
                        result = exc.code
                    with lock:
                        results[result] += 1
                _db.session.remove()
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)

    threads = [threading.Thread(target=scanner, args=(n,)) for n in range(10)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors, errors
    return results


def _assert_consistent(app, list_id: int) -> None:
    """The counter, the inside flags and the movements tell the same story."""
    from conference.checkin.models import CheckinList

    with app.app_context():
        session = _db.session
        checkins = session.scalars(select(Checkin).where(Checkin.list_id == list_id)).all()
        counter = session.get(CheckinList, list_id).inside_count
        assert counter == sum(1 for c in checkins if c.inside)
        for checkin in checkins:
            last = session.scalars(
                select(CheckinMovement)
                .where(
                    CheckinMovement.list_id == list_id,
                    CheckinMovement.registration_id == checkin.registration_id,
                    CheckinMovement.undone_at.is_(None),
                )
                .order_by(CheckinMovement.id.desc())
            ).first()
            assert (last.direction == "in") == checkin.inside


def test_simultaneous_entries_and_exits_stay_consistent_on_sqlite(app, venue, attendee_badge):
    codes = [attendee_badge(venue)[1] for _ in range(2)]
    results = _churn(app, venue.staff.id, codes, venue.door_id)
    assert results["ok"] > 0 and sum(results.values()) == 100
    _assert_consistent(app, venue.door_id)


def test_simultaneous_entries_and_exits_stay_consistent_on_postgresql(postgres_app):
    from datetime import timedelta

    from conference.accounts.services import create_user
    from conference.checkin.badges import badge_token
    from conference.db_types import utcnow
    from conference.programme.models import Event
    from conference.registrations.services import register

    with postgres_app.app_context():
        session = _db.session
        now = utcnow()
        event = Event(
            slug="pg-churn", title="PG", timezone="UTC", starts_at=now, ends_at=now + timedelta(days=1)
        )
        session.add(event)
        session.commit()
        staff = create_user(session, email="churn@example.org", name="S", password="x" * 12)
        grant(session, event, staff, "staff")
        door = ensure_list(session, event, "Door", capacity=1)
        codes = [
            badge_token(
                session,
                register(
                    session,
                    create_user(session, email=f"c{n}@example.org", name="C", password="x" * 12),
                    event,
                    "in_person",
                ),
            )
            for n in range(2)
        ]
        staff_id, list_id = staff.id, door.id
    results = _churn(postgres_app, staff_id, codes, list_id)
    assert results["ok"] > 0 and sum(results.values()) == 100
    _assert_consistent(postgres_app, list_id)
