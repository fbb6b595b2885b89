"""Scan rules at the service level: every result, idempotency, re-entry, exits, undo, auto-checkout,
offline sync, stats, the on-site hook and who may scan."""

from __future__ import annotations

from datetime import timedelta

import pytest
from checkin_support import new_scan_id, scan_request
from sqlalchemy import func, select

from conference import hooks
from conference.checkin import scanning
from conference.checkin.auto_checkout import run_due_auto_checkouts
from conference.checkin.badges import BadgeClaims, badge_token, reissue_badge, sign_claims, signing_key_row
from conference.checkin.lists import ensure_default_lists, ensure_list
from conference.checkin.models import Checkin, CheckinList, CheckinMovement, ScanRecord
from conference.checkin.stats import list_stats
from conference.checkin.sync import conflicts_of, offline_snapshot, sync
from conference.checkin.undo import undo
from conference.db_types import utcnow
from conference.errors import Forbidden, NotFound, ServiceError
from conference.grants.services import grant
from conference.programme.models import Event, ProgrammeSession
from conference.registrations.models import Registration
from conference.registrations.services import cancel_registration


def _count(db, model, *where):
    return db.scalar(select(func.count()).select_from(model).where(*where))


def _scan(db, venue, code, list_id=None, **fields):
    return scanning.scan(
        db, db.merge(venue.staff), scan_request(code, list_id or venue.entrance_id, **fields)
    )


def test_first_scan_is_ok_and_shows_who_it_is(db, venue, attendee_badge):
    registration_id, code = attendee_badge(venue, name="Noor Haddad", country="JO", organisation="UN ESCWA")
    answer = _scan(db, venue, code, gate="North")
    assert answer["result"] == "ok"
    assert answer["attendee"] == {
        "registration_id": registration_id,
        "name": "Noor Haddad",
        "organisation": "UN ESCWA",
        "country": "JO",
        "country_name": "Jordan",
        "mode": "in_person",
    }
    assert _count(db, Checkin, Checkin.registration_id == registration_id) == 1
    movement = db.scalars(select(CheckinMovement)).one()
    assert (movement.direction, movement.gate, movement.staff_user_id) == ("in", "North", venue.staff.id)


def test_second_scan_is_already_checked_in_with_when_where_and_by_whom(db, venue, attendee_badge):
    _registration_id, code = attendee_badge(venue)
    first = _scan(db, venue, code, gate="North")
    second = _scan(db, venue, code, gate="South")
    assert second["result"] == "already_checked_in"
    assert second["first_checked_in_at"] == first["scanned_at"]
    assert second["first_checked_in_gate"] == "North"
    assert second["first_checked_in_by"] == venue.staff.name
    assert _count(db, Checkin) == 1 and _count(db, CheckinMovement) == 1 and _count(db, ScanRecord) == 2


def test_the_same_scan_id_returns_the_first_answer_and_writes_nothing(db, venue, attendee_badge):
    _registration_id, code = attendee_badge(venue)
    scan_id = new_scan_id()
    first = _scan(db, venue, code, scan_id=scan_id)
    again = _scan(db, venue, code, scan_id=scan_id)
    assert again == first and first["result"] == "ok"
    assert _count(db, ScanRecord) == 1 and _count(db, CheckinMovement) == 1


def test_invalid_badges_are_refused_and_only_audited(db, venue, attendee_badge):
    _registration_id, code = attendee_badge(venue)
    for bad in ("hello", code[:-4] + "AAAA", code + "x" * 300, "ünïcode", code[:30]):
        answer = _scan(db, venue, bad)
        assert answer["result"] == "invalid_badge", bad
        assert answer["reason"] in ("malformed", "bad_signature", "oversized")
        assert "attendee" not in answer
    assert _count(db, Checkin) == 0 and _count(db, CheckinMovement) == 0
    assert _count(db, ScanRecord, ScanRecord.result == "invalid_badge") == 5


def test_a_badge_for_a_missing_registration_is_not_registered(db, venue):
    key = signing_key_row(db, venue.event_id)
    code = sign_claims(key.private_key, BadgeClaims(venue.event_id, 987654, 1))
    assert _scan(db, venue, code)["result"] == "not_registered"


def test_a_cancelled_registration_is_refused_as_cancelled(db, venue, attendee_badge):
    registration_id, code = attendee_badge(venue)
    cancel_registration(db, db.get(Registration, registration_id))
    answer = _scan(db, venue, code)
    assert answer["result"] == "cancelled" and answer["attendee"]["registration_id"] == registration_id
    assert _count(db, Checkin) == 0


def test_an_old_badge_after_a_reissue_is_refused_with_its_reason(db, venue, attendee_badge):
    registration_id, old_code = attendee_badge(venue)
    registration = db.get(Registration, registration_id)
    reissue_badge(db, registration)
    answer = _scan(db, venue, old_code)
    assert (answer["result"], answer["reason"]) == ("invalid_badge", "reissued")
    assert _scan(db, venue, badge_token(db, registration))["result"] == "ok"


def test_online_participants_are_admitted_only_where_the_list_says_so(db, venue, attendee_badge):
    _registration_id, code = attendee_badge(venue, mode="online")
    answer = _scan(db, venue, code)
    assert (answer["result"], answer["reason"]) == ("not_admitted", "online_registration")
    assert _scan(db, venue, code, list_id=venue.online_list_id)["result"] == "ok"


def test_a_day_list_admits_only_on_its_day(db, venue, attendee_badge):
    event = db.get(Event, venue.event_id)
    right_day = utcnow()
    wrong_day = right_day - timedelta(days=1)  # e.g. an offline scan uploaded a day late
    day_list = ensure_list(db, event, "Day one", scope="day", day=right_day.astimezone(event.tz).date())
    _registration_id, code = attendee_badge(venue)
    answer = _scan(db, venue, code, list_id=day_list.id, scanned_at=wrong_day)
    assert (answer["result"], answer["reason"]) == ("not_admitted", "wrong_day")
    assert _scan(db, venue, code, list_id=day_list.id, scanned_at=right_day)["result"] == "ok"


def test_a_full_room_refuses_until_someone_leaves(db, venue, attendee_badge):
    codes = [attendee_badge(venue)[1] for _ in range(3)]
    assert [_scan(db, venue, c, list_id=venue.door_id)["result"] for c in codes] == ["ok", "ok", "full"]
    assert _scan(db, venue, codes[0], list_id=venue.door_id, direction="out")["result"] == "ok"
    assert _scan(db, venue, codes[2], list_id=venue.door_id)["result"] == "ok"
    assert _scan(db, venue, codes[0], list_id=venue.door_id)["result"] == "full"
    stats = list_stats(db, db.get(CheckinList, venue.door_id))
    assert (stats["checked_in"], stats["inside_now"], stats["capacity"]) == (3, 2, 2)


def test_exit_then_reentry_where_allowed_and_refused_where_not(db, venue, attendee_badge):
    _registration_id, code = attendee_badge(venue, mode="online")
    assert _scan(db, venue, code, direction="out", list_id=venue.online_list_id)["result"] == "not_inside"
    assert _scan(db, venue, code, list_id=venue.online_list_id)["result"] == "ok"
    assert _scan(db, venue, code, direction="out", list_id=venue.online_list_id)["result"] == "ok"
    refused = _scan(db, venue, code, list_id=venue.online_list_id)
    assert (refused["result"], refused["reason"]) == ("already_checked_in", "no_reentry")

    _registration_id, code = attendee_badge(venue)
    assert _scan(db, venue, code)["result"] == "ok"
    assert _scan(db, venue, code)["reason"] == "already_inside"
    assert _scan(db, venue, code, direction="out")["result"] == "ok"
    back = _scan(db, venue, code)
    assert (back["result"], back.get("reentry")) == ("ok", True)
    directions = db.scalars(
        select(CheckinMovement.direction)
        .where(CheckinMovement.list_id == venue.entrance_id)
        .order_by(CheckinMovement.id)
    ).all()
    assert directions == ["in", "out", "in"]


def test_undo_removes_a_mistaken_check_in_and_is_logged(db, venue, attendee_badge):
    _registration_id, code = attendee_badge(venue)
    first = _scan(db, venue, code)
    staff = db.merge(venue.staff)
    undone = undo(db, staff, first["scan_id"])
    assert undone["result"] == "undone"
    assert _count(db, Checkin) == 0
    assert db.scalars(select(CheckinMovement)).one().undone_at is not None
    assert _count(db, ScanRecord, ScanRecord.action == "undo") == 1
    assert undo(db, staff, first["scan_id"]) == undone  # idempotent by its undo id
    with pytest.raises(ServiceError) as caught:
        undo(db, staff, first["scan_id"], undo_id=new_scan_id())
    assert caught.value.code == "already_undone"
    with pytest.raises(NotFound):
        undo(db, staff, new_scan_id())
    assert _scan(db, venue, code)["result"] == "ok"
    assert list_stats(db, db.get(CheckinList, venue.entrance_id))["inside_now"] == 1


def test_undoing_an_exit_puts_the_person_back_inside(db, venue, attendee_badge):
    _registration_id, code = attendee_badge(venue)
    _scan(db, venue, code, list_id=venue.door_id)
    out = _scan(db, venue, code, list_id=venue.door_id, direction="out")
    assert list_stats(db, db.get(CheckinList, venue.door_id))["inside_now"] == 0
    undo(db, db.merge(venue.staff), out["scan_id"])
    assert list_stats(db, db.get(CheckinList, venue.door_id))["inside_now"] == 1
    door = db.get(CheckinList, venue.door_id)
    db.refresh(door)
    assert door.inside_count == 1


def test_automatic_check_out_records_out_movements_once(db, venue, attendee_badge):
    codes = [attendee_badge(venue)[1] for _ in range(2)]
    for code in codes:
        _scan(db, venue, code, list_id=venue.door_id)
    checkout_at = utcnow() - timedelta(minutes=1)
    door = db.get(CheckinList, venue.door_id)
    door.auto_checkout_at = checkout_at
    db.commit()
    assert run_due_auto_checkouts(db) == [venue.door_id]
    assert run_due_auto_checkouts(db) == []
    outs = db.scalars(select(CheckinMovement).where(CheckinMovement.direction == "out")).all()
    assert len(outs) == 2 and all(m.automatic and m.scanned_at == checkout_at for m in outs)
    assert list_stats(db, db.get(CheckinList, venue.door_id))["inside_now"] == 0
    door = db.get(CheckinList, venue.door_id)
    db.refresh(door)
    assert door.inside_count == 0


def test_offline_sync_applies_in_scan_order_first_scan_wins_and_reports_conflicts(db, venue, attendee_badge):
    registration_id, code = attendee_badge(venue)
    _other_id, other_code = attendee_badge(venue)
    now = utcnow()
    early, later = now - timedelta(minutes=20), now - timedelta(minutes=10)
    staff = db.merge(venue.staff)
    # gate B's device uploads first, but gate A scanned the same badge earlier: both admitted offline
    gate_b = sync(
        db,
        staff,
        [
            scan_request(code, venue.entrance_id, gate="B", scanned_at=later, offline_result="ok"),
            scan_request(
                other_code,
                venue.entrance_id,
                gate="B",
                scanned_at=now - timedelta(seconds=30),
                offline_result="ok",
            ),
        ],
    )
    assert [r["result"] for r in gate_b["results"]] == ["ok", "ok"]
    assert [r["late"] for r in gate_b["results"]] == [True, False]
    assert gate_b["conflicts"] == []
    gate_a = sync(
        db, staff, [scan_request(code, venue.entrance_id, gate="A", scanned_at=early, offline_result="ok")]
    )
    [answer] = gate_a["results"]
    assert answer["result"] == "already_checked_in" and answer["conflict"] is True
    assert gate_a["conflicts"] == [answer]
    checkin = db.scalars(select(Checkin).where(Checkin.registration_id == registration_id)).one()
    db.refresh(checkin)
    assert (checkin.checked_in_at, checkin.gate) == (early, "A")  # the first scan wins
    record = db.scalars(select(ScanRecord).where(ScanRecord.scan_id == answer["scan_id"])).one()
    assert record.offline and record.late and record.conflict
    assert record.scanned_at == early and record.uploaded_at > early
    assert conflicts_of(db, venue.event_id) == [answer]
    # sending the same batch again changes nothing
    assert sync(
        db,
        staff,
        [
            scan_request(
                code,
                venue.entrance_id,
                scan_id=answer["scan_id"],
                gate="A",
                scanned_at=early,
                offline_result="ok",
            )
        ],
    )["results"] == [answer]
    assert _count(db, ScanRecord) == 3


def test_a_sync_batch_in_one_upload_is_ordered_by_scan_time(db, venue, attendee_badge):
    _registration_id, code = attendee_badge(venue)
    now = utcnow()
    batch = [
        scan_request(
            code,
            venue.entrance_id,
            gate="late-gate",
            scanned_at=now - timedelta(minutes=1),
            offline_result="ok",
        ),
        scan_request(
            code,
            venue.entrance_id,
            gate="early-gate",
            scanned_at=now - timedelta(minutes=2),
            offline_result="ok",
        ),
    ]
    results = sync(db, db.merge(venue.staff), batch)["results"]
    assert [(r["gate"], r["result"]) for r in results] == [
        ("early-gate", "ok"),
        ("late-gate", "already_checked_in"),
    ]


def test_scans_from_the_future_and_unknown_lists_are_refused(db, venue, attendee_badge):
    _registration_id, code = attendee_badge(venue)
    with pytest.raises(ServiceError) as caught:
        _scan(db, venue, code, scanned_at=utcnow() + timedelta(hours=1))
    assert caught.value.code == "invalid_scanned_at"
    with pytest.raises(NotFound):
        _scan(db, venue, code, list_id=424242)
    assert _count(db, ScanRecord) == 0


def test_only_assigned_staff_and_admins_may_scan(db, venue, attendee_badge, make_user, make_event):
    _registration_id, code = attendee_badge(venue)
    attendee, outsider, admin = make_user(), make_user(), make_user("admin")
    other_event = db.get(Event, make_event().id)
    grant(db, other_event, db.merge(outsider), "staff")
    for user, reason in ((attendee, "forbidden"), (outsider, "forbidden")):
        with pytest.raises(Forbidden) as caught:
            scanning.scan(db, db.merge(user), scan_request(code, venue.entrance_id))
        assert caught.value.code == reason
    assert _count(db, ScanRecord) == 0
    assert scanning.scan(db, db.merge(admin), scan_request(code, venue.entrance_id))["result"] == "ok"


def test_the_on_site_hook_and_the_change_signal(db, venue, attendee_badge):
    received = []

    def listener(sender, **kwargs):
        received.append((sender, kwargs["session_ids"]))

    hooks.checkin_changed.connect(listener)
    try:
        session = db.get(ProgrammeSession, venue.session_id)
        plenary = db.scalars(
            select(ProgrammeSession).where(
                ProgrammeSession.event_id == venue.event_id, ProgrammeSession.kind == "plenary"
            )
        ).one()
        codes = [attendee_badge(venue)[1] for _ in range(2)]
        _scan(db, venue, codes[0], list_id=venue.door_id)
        _scan(db, venue, codes[0])
        _scan(db, venue, codes[1])
        _scan(db, venue, codes[1])  # refused: no signal
        assert hooks.on_site_count(db, session) == 1  # the door list
        assert hooks.on_site_count(db, plenary) == 2  # no door list: the entrance
        assert received == [(venue.event_id, [venue.session_id]), (venue.event_id, []), (venue.event_id, [])]
    finally:
        hooks.checkin_changed.disconnect(listener)


def test_default_lists_are_created_once(db, venue):
    event = db.get(Event, venue.event_id)
    first = ensure_default_lists(db, event)
    second = ensure_default_lists(db, event)
    assert [c.id for c in first] == [c.id for c in second]
    scopes = [c.scope for c in first]
    assert scopes.count("day") == 3  # the test event spans three local days
    assert scopes.count("session") == len(event.sessions) + 1  # + the fixture's door list


def test_offline_snapshot_lists_cancelled_checked_in_and_reissued(db, venue, attendee_badge):
    cancelled_id, _ = attendee_badge(venue)
    inside_id, inside_code = attendee_badge(venue)
    reissued_id, _ = attendee_badge(venue)
    cancel_registration(db, db.get(Registration, cancelled_id))
    reissue_badge(db, db.get(Registration, reissued_id))
    _scan(db, venue, inside_code)
    snapshot = offline_snapshot(db, db.get(CheckinList, venue.entrance_id))
    assert snapshot["cancelled"] == [cancelled_id]
    assert snapshot["checked_in"] == [inside_id] and snapshot["inside"] == [inside_id]
    assert snapshot["versions"] == {str(reissued_id): 2}
    assert len(bytes.fromhex(snapshot["public_key"])) == 32
    assert snapshot["people"][str(inside_id)][3] == "in_person"


def test_a_scan_id_reused_on_another_list_is_refused_not_answered(db, venue, attendee_badge):
    _registration_id, code = attendee_badge(venue)
    scan_id = new_scan_id()
    _scan(db, venue, code, scan_id=scan_id)
    with pytest.raises(ServiceError) as caught:
        _scan(db, venue, code, list_id=venue.door_id, scan_id=scan_id)
    assert caught.value.code == "scan_id_reused"
    assert _count(db, ScanRecord) == 1


def test_an_offline_refusal_is_recorded_but_never_becomes_an_entry(db, venue, attendee_badge):
    registration_id, code = attendee_badge(venue)
    staff = db.merge(venue.staff)
    # stale offline data made the device say "already checked in": the person was turned away
    result = sync(
        db,
        staff,
        [scan_request(code, venue.entrance_id, scanned_at=utcnow(), offline_result="already_checked_in")],
    )
    [answer] = result["results"]
    assert (answer["result"], answer["reason"], answer["conflict"]) == (
        "already_checked_in",
        "refused_offline",
        False,
    )
    assert _count(db, Checkin) == 0 and _count(db, CheckinMovement) == 0
    assert db.scalars(select(ScanRecord)).one().registration_id == registration_id
    # a forged code stays invalid whatever the device said
    forged = sync(
        db,
        staff,
        [scan_request(code[:-6] + "AAAAAA", venue.entrance_id, scanned_at=utcnow(), offline_result="ok")],
    )
    assert forged["results"][0]["result"] == "invalid_badge" and forged["conflicts"]
