"""Offline scans applied in time order (issue #14 items 5 and 6): a late scan is judged against the
movements at its own scan time, only a true conflict is flagged, the count inside stays right, a late
entry before an automatic check-out that already ran gets its automatic exit, and a session's door
stops admitting when the session ends unless its list allows it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from checkin_support import scan_request
from sqlalchemy import select

from conference import hooks
from conference.checkin import scanning
from conference.checkin.auto_checkout import run_due_auto_checkouts
from conference.checkin.models import Checkin, CheckinList, CheckinMovement
from conference.checkin.stats import list_stats
from conference.checkin.sync import sync
from conference.checkin.timeline import Move, place
from conference.db_types import utcnow
from conference.programme.models import ProgrammeSession

T0 = datetime(2030, 5, 6, 9, 0, tzinfo=UTC)


def _at(minutes: int) -> datetime:
    return T0 + timedelta(minutes=minutes)


def _moves(*spec: tuple[int, str]) -> list[Move]:
    return [Move(_at(minutes), direction) for minutes, direction in spec]


# --- the pure placement ------------------------------------------------------------------------------


def test_a_late_exit_and_reentry_between_known_movements_are_valid_and_change_nothing_now():
    known = _moves((0, "in"), (120, "out"))
    exit_ = place(known, Move(_at(60), "out"), allow_reentry=True)
    assert (exit_.result, exit_.record, exit_.inside) == ("ok", True, False)
    with_exit = sorted([*known, Move(_at(60), "out")], key=lambda m: m.at)
    back = place(with_exit, Move(_at(90), "in"), allow_reentry=True)
    assert (back.result, back.reason, back.inside) == ("ok", "reentry", False)
    assert back.first_entry.at == _at(0)


def test_only_an_entry_without_an_exit_between_is_a_conflict():
    inside = place(_moves((0, "in")), Move(_at(30), "in"), allow_reentry=True)
    assert (inside.result, inside.reason, inside.record) == ("already_checked_in", "already_inside", False)
    before_known_entry = place(_moves((30, "in")), Move(_at(0), "in"), allow_reentry=True)
    assert (before_known_entry.result, before_known_entry.record) == ("already_checked_in", True)
    assert before_known_entry.first_entry.at == _at(0) and before_known_entry.inside
    no_reentry = place(_moves((0, "in"), (30, "out")), Move(_at(60), "in"), allow_reentry=False)
    assert (no_reentry.result, no_reentry.reason) == ("already_checked_in", "no_reentry")
    nowhere_to_leave = place(_moves((30, "in")), Move(_at(0), "out"), allow_reentry=True)
    assert (nowhere_to_leave.result, nowhere_to_leave.record) == ("not_inside", False)


def test_a_late_entry_before_an_automatic_check_out_that_ran_gets_its_exit():
    placed = place([], Move(_at(0), "in"), allow_reentry=True, auto_checkout_done_at=_at(180))
    assert (placed.result, placed.auto_exit, placed.inside) == ("ok", _at(180), False)
    left_before = place(
        _moves((60, "out")), Move(_at(0), "in"), allow_reentry=True, auto_checkout_done_at=_at(180)
    )
    assert left_before.auto_exit is None and not left_before.inside
    not_run = place([], Move(_at(0), "in"), allow_reentry=True, auto_checkout_done_at=None)
    assert placed.auto_exit is not None and not_run.auto_exit is None and not_run.inside


# --- the service, on the database ---------------------------------------------------------------------


def _scan(db, venue, code, list_id, **fields):
    return scanning.scan(db, db.merge(venue.staff), scan_request(code, list_id, **fields))


def _directions(db, list_id, registration_id):
    return [
        (m.direction, m.automatic)
        for m in db.scalars(
            select(CheckinMovement)
            .where(
                CheckinMovement.list_id == list_id,
                CheckinMovement.registration_id == registration_id,
                CheckinMovement.undone_at.is_(None),
            )
            .order_by(CheckinMovement.scanned_at, CheckinMovement.id)
        )
    ]


def _inside_count(db, list_id) -> int:
    checkin_list = db.get(CheckinList, list_id)
    db.refresh(checkin_list)
    return checkin_list.inside_count


def test_a_late_exit_and_reentry_synced_after_a_later_exit_are_no_conflict_and_no_pass_back(
    db, venue, attendee_badge
):
    """In at gate A (online), out and back in at gate B (offline), out at gate A (online); gate B
    syncs last. Judged against "inside now" the exit was refused as a conflict and the entry let the
    person back in for ever; in time order both are valid and the person is outside."""
    registration_id, code = attendee_badge(venue)
    now = utcnow()
    door = venue.door_id
    assert _scan(db, venue, code, door, scanned_at=now - timedelta(hours=2))["result"] == "ok"
    assert (
        _scan(db, venue, code, door, direction="out", scanned_at=now - timedelta(minutes=10))["result"]
        == "ok"
    )
    answers = sync(
        db,
        db.merge(venue.staff),
        [
            scan_request(
                code, door, direction="out", scanned_at=now - timedelta(hours=1), offline_result="ok"
            ),
            scan_request(code, door, scanned_at=now - timedelta(minutes=30), offline_result="ok"),
        ],
    )
    assert [(a["result"], a["reason"]) for a in answers["results"]] == [("ok", "exit"), ("ok", "reentry")]
    assert answers["conflicts"] == []
    assert _directions(db, door, registration_id) == [
        ("in", False),
        ("out", False),
        ("in", False),
        ("out", False),
    ]
    stats = list_stats(db, db.get(CheckinList, door))
    assert (stats["inside_now"], stats["conflicts"]) == (0, 0)
    assert _inside_count(db, door) == 0
    # the room (capacity 2) still admits two people
    assert [_scan(db, venue, attendee_badge(venue)[1], door)["result"] for _ in range(2)] == ["ok", "ok"]
    assert _inside_count(db, door) == 2


def test_a_late_entry_of_someone_still_inside_is_a_true_conflict(db, venue, attendee_badge):
    registration_id, code = attendee_badge(venue)
    now = utcnow()
    _scan(db, venue, code, venue.entrance_id, gate="A", scanned_at=now - timedelta(hours=1))
    _scan(
        db, venue, code, venue.entrance_id, gate="A", direction="out", scanned_at=now - timedelta(minutes=5)
    )
    # gate B let the same badge in while it was inside (no exit between): someone else used it
    [answer] = sync(
        db,
        db.merge(venue.staff),
        [
            scan_request(
                code, venue.entrance_id, gate="B", scanned_at=now - timedelta(minutes=30), offline_result="ok"
            )
        ],
    )["results"]
    assert (answer["result"], answer["reason"], answer["conflict"]) == (
        "already_checked_in",
        "already_inside",
        True,
    )
    assert _directions(db, venue.entrance_id, registration_id) == [("in", False), ("out", False)]
    assert _inside_count(db, venue.entrance_id) == 0


def test_an_offline_entry_synced_after_the_automatic_check_out_gets_its_exit(db, venue, attendee_badge):
    registration_id, code = attendee_badge(venue)
    now = utcnow()
    door = db.get(CheckinList, venue.door_id)
    door.auto_checkout_at = now - timedelta(hours=1)
    db.commit()
    assert run_due_auto_checkouts(db) == [venue.door_id]
    [answer] = sync(
        db,
        db.merge(venue.staff),
        [scan_request(code, venue.door_id, scanned_at=now - timedelta(hours=3), offline_result="ok")],
    )["results"]
    assert answer["result"] == "ok" and answer["conflict"] is False, answer
    assert answer["auto_checked_out_at"] is not None
    assert _directions(db, venue.door_id, registration_id) == [("in", False), ("out", True)]
    checkin = db.scalars(select(Checkin).where(Checkin.registration_id == registration_id)).one()
    db.refresh(checkin)
    assert checkin.inside is False
    assert list_stats(db, db.get(CheckinList, venue.door_id))["inside_now"] == 0
    assert _inside_count(db, venue.door_id) == 0
    assert hooks.on_site_count(db, db.get(ProgrammeSession, venue.session_id)) == 0


def test_a_session_door_stops_admitting_when_its_session_ends_unless_allowed(db, venue, attendee_badge):
    registration_id, code = attendee_badge(venue)
    now = utcnow()
    session = db.get(ProgrammeSession, venue.session_id)
    session.starts_at, session.ends_at = now - timedelta(hours=2), now - timedelta(minutes=10)
    db.commit()
    during = _scan(db, venue, code, venue.door_id, scanned_at=now - timedelta(minutes=30))
    assert during["result"] == "ok"  # scanned (offline) while it ran: admitted
    assert _scan(db, venue, code, venue.door_id, direction="out")["result"] == "ok"  # leaving is fine
    late = _scan(db, venue, code, venue.door_id)
    assert (late["result"], late["reason"]) == ("not_admitted", "session_ended")
    door = db.get(CheckinList, venue.door_id)
    door.admits_after_end = True
    db.commit()
    assert _scan(db, venue, code, venue.door_id)["result"] == "ok"
    assert _directions(db, venue.door_id, registration_id) == [("in", False), ("out", False), ("in", False)]
