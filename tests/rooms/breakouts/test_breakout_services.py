"""Breakout rules at the service level: rounds, rooms, assignments, capacity, timer, record."""

from __future__ import annotations

from datetime import timedelta

import pytest
from concurrency_support import run_together
from sqlalchemy import func, select

from conference.accounts.models import User
from conference.errors import ServiceError
from conference.extensions import db as _db
from conference.programme.models import ProgrammeSession
from conference.rooms.breakouts import services
from conference.rooms.breakouts.models import (
    BreakoutAssignment,
    BreakoutRoom,
    BreakoutRound,
)
from conference.rooms.breakouts.services import RoomSpec

ROOMS = [RoomSpec("Asia-Pacific — English", "en", 3), RoomSpec("Western Asia — Arabic", "ar", 3)]


@pytest.fixture()
def setup(app, db, make_user, make_event, make_registration):
    """An event, its plenary as the main session, a moderator and six registered attendees."""
    event = make_event()
    main = db.scalar(
        select(ProgrammeSession).where(
            ProgrammeSession.event_id == event.id, ProgrammeSession.kind == "plenary"
        )
    )
    moderator = make_user("moderator")
    attendees = []
    for country in ("KR", "JP", "EG", "JO", "IN", "KR"):
        person = make_user(country=country)
        make_registration(person, event)
        attendees.append(person)
    outsider = make_user(country="FR")
    return {
        "event": event,
        "main": main,
        "moderator": db.get(User, moderator.id),
        "attendees": [db.get(User, a.id) for a in attendees],
        "outsider": db.get(User, outsider.id),
    }


def error_of(call, *args, **kwargs) -> str:
    with pytest.raises(ServiceError) as caught:
        call(*args, **kwargs)
    return caught.value.code


def count(db, model) -> int:
    return db.scalar(select(func.count()).select_from(model))


def new_round(db, s, rooms=ROOMS, **kwargs) -> BreakoutRound:
    return services.create_round(db, s["moderator"], s["main"].id, rooms, **kwargs)


def running_round(db, s, rooms=ROOMS, **kwargs) -> BreakoutRound:
    round_ = new_round(db, s, rooms, **kwargs)
    return services.start_round(db, s["moderator"], round_.id, 600)


def places(db, round_) -> dict[str, int]:
    return {r["name"]: r["taken"] for r in services.rooms_json(db, round_)}


# --- creating rooms ------------------------------------------------------------------------------


def test_rooms_from_a_list_become_child_breakout_sessions(db, setup):
    round_ = new_round(db, setup)
    assert round_.status == "draft" and round_.mode == "self_select"
    children = db.scalars(
        select(ProgrammeSession).where(ProgrammeSession.parent_id == setup["main"].id)
    ).all()
    assert [(c.title, c.kind, c.language, c.capacity) for c in children] == [
        ("Asia-Pacific — English", "breakout", "en", 3),
        ("Western Asia — Arabic", "breakout", "ar", 3),
    ]
    assert [r.session_id for r in round_.rooms] == [c.id for c in children]


def test_a_second_round_reuses_the_breakouts_by_name_or_all_of_them(db, setup):
    first = new_round(db, setup)
    services.recall_round(db, setup["moderator"], first.id)
    second = new_round(db, setup, [RoomSpec("Western Asia — Arabic", "ar", 10)])
    assert [r.session_id for r in second.rooms] == [first.rooms[1].session_id]
    assert second.rooms[0].capacity == 10
    services.recall_round(db, setup["moderator"], second.id)
    third = new_round(db, setup, [])
    assert {r.session_id for r in third.rooms} == {r.session_id for r in first.rooms}
    assert count(db, ProgrammeSession) == 5  # three from the fixture, two breakouts


def test_one_open_round_per_session(db, setup):
    new_round(db, setup)
    assert error_of(new_round, db, setup) == "round_already_open"
    assert count(db, BreakoutRound) == 1


def test_bad_room_lists_are_refused_and_nothing_is_stored(db, setup):
    assert error_of(new_round, db, setup, []) == "no_rooms"
    assert error_of(new_round, db, setup, [RoomSpec("A"), RoomSpec("a")]) == "duplicate_room_name"
    assert error_of(new_round, db, setup, [RoomSpec("   ")]) == "invalid_room"
    assert error_of(new_round, db, setup, mode="random") == "invalid_mode"
    assert error_of(new_round, db, setup, duration_s=0) == "invalid_duration"
    assert error_of(services.create_round, db, setup["moderator"], 999_999, ROOMS) == "session_not_found"
    assert count(db, BreakoutRound) == 0 and count(db, ProgrammeSession) == 3


def test_a_breakout_cannot_be_split_again(db, setup):
    round_ = new_round(db, setup)
    code = error_of(services.create_round, db, setup["moderator"], round_.rooms[0].session_id, ROOMS)
    assert code == "nested_breakout"


def test_participants_cannot_run_moderator_actions(db, setup):
    participant = setup["attendees"][0]
    assert error_of(services.create_round, db, participant, setup["main"].id, ROOMS) == "forbidden"
    round_ = new_round(db, setup)
    room = round_.rooms[0].id
    assert error_of(services.assign, db, participant, round_.id, [(participant.id, room)]) == "forbidden"
    assert error_of(services.auto_assign, db, participant, round_.id, [participant.id]) == "forbidden"
    assert error_of(services.start_round, db, participant, round_.id, 60) == "forbidden"
    services.start_round(db, setup["moderator"], round_.id, 600)
    assert error_of(services.extend_round, db, participant, round_.id, 60) == "forbidden"
    assert error_of(services.post_message, db, participant, round_.id, "hi") == "forbidden"
    assert error_of(services.recall_round, db, participant, round_.id) == "forbidden"
    assert count(db, BreakoutAssignment) == 0
    assert services.get_round(db, round_.id).status == "running"


def test_unknown_rounds_and_rooms(db, setup):
    moderator = setup["moderator"]
    for call, args in (
        (services.start_round, (moderator, 404, 60)),
        (services.extend_round, (moderator, 404, 60)),
        (services.recall_round, (moderator, 404)),
        (services.post_message, (moderator, 404, "x")),
        (services.assign, (moderator, 404, [])),
        (services.enter_breakout, (moderator, 404, 1)),
    ):
        assert error_of(call, db, *args) == "round_not_found"
    round_ = running_round(db, setup)
    attendee = setup["attendees"][0]
    assert error_of(services.assign, db, moderator, round_.id, [(attendee.id, 999)]) == "room_not_found"
    assert error_of(services.enter_breakout, db, attendee, round_.id, 999) == "room_not_found"


# --- assigning -----------------------------------------------------------------------------------


def test_manual_assignment_moves_and_removes_people_and_keeps_counts(db, setup):
    round_ = new_round(db, setup)
    ap, wa = round_.rooms
    a, b = setup["attendees"][:2]
    changes = services.assign(db, setup["moderator"], round_.id, [(a.id, ap.id), (b.id, ap.id)])
    assert [(c.user_id, c.room.id) for c in changes] == [(a.id, ap.id), (b.id, ap.id)]
    assert places(db, round_) == {"Asia-Pacific — English": 2, "Western Asia — Arabic": 0}
    services.assign(db, setup["moderator"], round_.id, [(a.id, wa.id)])
    assert places(db, round_) == {"Asia-Pacific — English": 1, "Western Asia — Arabic": 1}
    services.assign(db, setup["moderator"], round_.id, [(b.id, None)])
    assert places(db, round_) == {"Asia-Pacific — English": 0, "Western Asia — Arabic": 1}
    assert services.assignment_of(db, round_.id, b.id) is None
    assert services.assignment_of(db, round_.id, a.id).source == "assigned"


def test_only_registered_people_can_be_assigned(db, setup):
    round_ = new_round(db, setup)
    room = round_.rooms[0].id
    assert (
        error_of(services.assign, db, setup["moderator"], round_.id, [(setup["outsider"].id, room)])
        == "not_registered"
    )
    assert error_of(services.assign, db, setup["moderator"], round_.id, [(987_654, room)]) == "user_not_found"
    a = setup["attendees"][0]
    assert (
        error_of(services.assign, db, setup["moderator"], round_.id, [(a.id, room), (a.id, None)])
        == "duplicate_user"
    )
    assert count(db, BreakoutAssignment) == 0


def test_auto_balance_fills_rooms_evenly_within_capacity(db, setup):
    round_ = new_round(db, setup, [RoomSpec("One", "en", 2), RoomSpec("Two", "en", 2)])
    ids = [a.id for a in setup["attendees"]]
    result = services.auto_assign(db, setup["moderator"], round_.id, ids)
    assert len(result.changes) == 4 and len(result.unplaced) == 2
    assert places(db, round_) == {"One": 2, "Two": 2}
    again = services.auto_assign(db, setup["moderator"], round_.id, ids)  # people placed keep their room
    assert again.changes == [] and sorted(again.unplaced) == sorted(result.unplaced)


def test_auto_balance_by_language_follows_the_country(db, setup):
    round_ = new_round(db, setup, [RoomSpec("English", "en", 10), RoomSpec("Arabic", "ar", 10)])
    services.auto_assign(db, setup["moderator"], round_.id, [a.id for a in setup["attendees"]], by="language")
    record = {
        room["name"]: sorted(m["country"] for m in room["members"])
        for room in services.round_record(db, round_)
    }
    assert record == {"English": ["IN", "JP", "KR", "KR"], "Arabic": ["EG", "JO"]}


def test_auto_balance_by_country_spreads_delegations(db, setup, make_user, make_registration):
    round_ = new_round(db, setup, [RoomSpec("One"), RoomSpec("Two")])
    people = []
    for country in ["KR"] * 4 + ["JP"] * 4:
        person = make_user(country=country)
        make_registration(person, setup["event"])
        people.append(person.id)
    services.auto_assign(db, setup["moderator"], round_.id, people, by="country")
    for room in services.round_record(db, round_):
        assert sorted(m["country"] for m in room["members"]) == ["JP", "JP", "KR", "KR"]


def test_balance_candidates_are_the_registered_attendees(db, setup):
    round_ = new_round(db, setup)
    assert sorted(services.balance_candidates(db, round_)) == sorted(a.id for a in setup["attendees"])
    assert (
        error_of(services.auto_assign, db, setup["moderator"], round_.id, [], by="age") == "invalid_balance"
    )


# --- self-select and entering ----------------------------------------------------------------------


def test_self_select_takes_a_place_and_records_the_join(db, setup):
    round_ = running_round(db, setup)
    a = setup["attendees"][0]
    _, room = services.enter_breakout(db, a, round_.id, round_.rooms[1].id)
    assignment = services.assignment_of(db, round_.id, a.id)
    assert room.id == round_.rooms[1].id and assignment.source == "self" and assignment.joined_at is not None
    services.enter_breakout(db, a, round_.id, round_.rooms[0].id)  # changing one's mind moves the place
    assert places(db, round_) == {"Asia-Pacific — English": 1, "Western Asia — Arabic": 0}


def test_self_select_into_a_full_room_is_refused_and_changes_nothing(db, setup):
    round_ = running_round(db, setup, [RoomSpec("Tiny", "en", 1), RoomSpec("Big")])
    first, second = setup["attendees"][:2]
    services.enter_breakout(db, first, round_.id, round_.rooms[0].id)
    assert error_of(services.enter_breakout, db, second, round_.id, round_.rooms[0].id) == "room_full"
    assert services.assignment_of(db, round_.id, second.id) is None
    services.enter_breakout(db, second, round_.id, round_.rooms[1].id)
    assert error_of(services.enter_breakout, db, second, round_.id, round_.rooms[0].id) == "room_full"
    assert services.assignment_of(db, round_.id, second.id).room_id == round_.rooms[1].id
    assert places(db, round_) == {"Tiny": 1, "Big": 1}


def test_the_last_place_goes_to_one_of_many_simultaneous_choosers(
    app, db, setup, make_user, make_registration
):
    round_ = running_round(db, setup, [RoomSpec("Tiny", "en", 1), RoomSpec("Big")])
    people = []
    for _ in range(8):
        person = make_user()
        make_registration(person, setup["event"])
        people.append(person.id)
    outcomes = run_together(
        app,
        lambda n: services.enter_breakout(
            _db.session, _db.session.get(User, people[n]), round_.id, round_.rooms[0].id
        ),
        len(people),
    )
    assert outcomes == ["ok"] + ["room_full"] * 7
    assert places(db, round_)["Tiny"] == 1 and count(db, BreakoutAssignment) == 1


def test_rooms_open_only_while_the_round_runs(db, setup):
    round_ = new_round(db, setup)
    a = setup["attendees"][0]
    assert error_of(services.enter_breakout, db, a, round_.id, round_.rooms[0].id) == "round_not_running"
    services.start_round(db, setup["moderator"], round_.id, 60)
    services.recall_round(db, setup["moderator"], round_.id)
    assert error_of(services.enter_breakout, db, a, round_.id, round_.rooms[0].id) == "round_not_running"


def test_assigned_mode_holds_people_to_their_room(db, setup):
    round_ = new_round(db, setup, mode="assigned")
    a, b = setup["attendees"][:2]
    services.assign(db, setup["moderator"], round_.id, [(a.id, round_.rooms[0].id)])
    services.start_round(db, setup["moderator"], round_.id, 600)
    assert error_of(services.enter_breakout, db, a, round_.id, round_.rooms[1].id) == "assigned_elsewhere"
    assert error_of(services.enter_breakout, db, b, round_.id, round_.rooms[1].id) == "not_assigned"
    assert error_of(services.enter_breakout, db, b, round_.id) == "not_assigned"
    _, room = services.enter_breakout(db, a, round_.id)  # no room named: one's own
    assert room.id == round_.rooms[0].id
    assert services.assignment_of(db, round_.id, a.id).joined_at is not None
    assert services.assignment_of(db, round_.id, b.id) is None


def test_mixed_mode_holds_the_assigned_and_lets_the_others_choose(db, setup):
    round_ = new_round(db, setup, mode="mixed")
    a, b = setup["attendees"][:2]
    services.assign(db, setup["moderator"], round_.id, [(a.id, round_.rooms[0].id)])
    services.start_round(db, setup["moderator"], round_.id, 600)
    assert error_of(services.enter_breakout, db, a, round_.id, round_.rooms[1].id) == "assigned_elsewhere"
    services.enter_breakout(db, b, round_.id, round_.rooms[1].id)
    assert services.assignment_of(db, round_.id, b.id).source == "self"


def test_in_self_select_an_assignment_is_only_a_suggestion(db, setup):
    round_ = new_round(db, setup)
    a = setup["attendees"][0]
    services.assign(db, setup["moderator"], round_.id, [(a.id, round_.rooms[0].id)])
    services.start_round(db, setup["moderator"], round_.id, 600)
    services.enter_breakout(db, a, round_.id, round_.rooms[1].id)
    assert services.assignment_of(db, round_.id, a.id).room_id == round_.rooms[1].id


def test_moderators_drop_into_any_room_without_a_record(db, setup):
    round_ = running_round(db, setup, [RoomSpec("Tiny", "en", 1), RoomSpec("Big")])
    services.enter_breakout(db, setup["attendees"][0], round_.id, round_.rooms[0].id)
    _, room = services.enter_breakout(
        db, setup["moderator"], round_.id, round_.rooms[0].id
    )  # full: still fine
    assert room.id == round_.rooms[0].id
    assert services.assignment_of(db, round_.id, setup["moderator"].id) is None
    assert error_of(services.enter_breakout, db, setup["moderator"], round_.id) == "room_required"


def test_people_not_registered_cannot_choose(db, setup):
    round_ = running_round(db, setup)
    assert (
        error_of(services.enter_breakout, db, setup["outsider"], round_.id, round_.rooms[0].id)
        == "not_registered"
    )


# --- running the round -------------------------------------------------------------------------------


def test_start_sets_the_end_and_refuses_a_second_start(db, setup):
    round_ = new_round(db, setup)
    started = services.start_round(db, setup["moderator"], round_.id, 900)
    assert started.status == "running" and started.ends_at - started.started_at == timedelta(seconds=900)
    assert error_of(services.start_round, db, setup["moderator"], round_.id, 900) == "already_running"
    services.recall_round(db, setup["moderator"], round_.id)
    assert error_of(services.start_round, db, setup["moderator"], round_.id, 900) == "round_closed"
    assert error_of(services.start_round, db, setup["moderator"], round_.id, 10**6) == "invalid_duration"


def test_extend_only_while_running(db, setup):
    round_ = new_round(db, setup)
    assert error_of(services.extend_round, db, setup["moderator"], round_.id, 60) == "round_not_running"
    first_end = services.start_round(db, setup["moderator"], round_.id, 600).ends_at
    extended = services.extend_round(db, setup["moderator"], round_.id, 300)
    assert extended.ends_at - first_end == timedelta(seconds=300)
    assert error_of(services.extend_round, db, setup["moderator"], round_.id, 0) == "invalid_duration"
    services.recall_round(db, setup["moderator"], round_.id)
    assert error_of(services.extend_round, db, setup["moderator"], round_.id, 60) == "round_not_running"


def test_messages_go_out_only_while_running(db, setup):
    round_ = new_round(db, setup)
    assert (
        error_of(services.post_message, db, setup["moderator"], round_.id, "Five minutes left")
        == "round_not_running"
    )
    services.start_round(db, setup["moderator"], round_.id, 600)
    assert (
        services.post_message(db, setup["moderator"], round_.id, " Five minutes left ").last_message
        == "Five minutes left"
    )
    assert error_of(services.post_message, db, setup["moderator"], round_.id, "   ") == "empty_message"
    assert error_of(services.post_message, db, setup["moderator"], round_.id, "x" * 501) == "message_too_long"


def test_recall_keeps_the_record_and_frees_the_session(db, setup):
    round_ = running_round(db, setup)
    a, b = setup["attendees"][:2]
    services.assign(db, setup["moderator"], round_.id, [(a.id, round_.rooms[0].id)])
    services.enter_breakout(db, b, round_.id, round_.rooms[1].id)
    recalled = services.recall_round(db, setup["moderator"], round_.id)
    assert (
        recalled.status == "recalled"
        and recalled.recalled_by == "moderator"
        and recalled.open_session_id is None
    )
    assert error_of(services.recall_round, db, setup["moderator"], round_.id) == "round_closed"
    record = {
        room["name"]: [(m["user_id"], m["source"], m["joined_at"] is not None) for m in room["members"]]
        for room in services.round_record(db, recalled)
    }
    assert record == {
        "Asia-Pacific — English": [(a.id, "assigned", False)],
        "Western Asia — Arabic": [(b.id, "self", True)],
    }
    assert error_of(services.assign, db, setup["moderator"], round_.id, [(a.id, None)]) == "round_closed"
    new_round(db, setup)  # the session may split again


def test_the_timer_warns_once_a_minute_before_the_end_then_recalls(db, setup):
    round_ = running_round(db, setup)
    ends = round_.ends_at
    assert services.timer_tick(db, round_.id, ends - timedelta(seconds=300)).action == "countdown"
    warning = services.timer_tick(db, round_.id, ends - timedelta(seconds=59))
    assert warning.action == "warning" and warning.remaining_s == 59
    assert services.timer_tick(db, round_.id, ends - timedelta(seconds=30)).action == "countdown"
    ended = services.timer_tick(db, round_.id, ends + timedelta(seconds=1))
    assert ended.action == "recalled" and ended.round.recalled_by == "timer"
    assert services.timer_tick(db, round_.id, ends + timedelta(seconds=2)).action == "stop"


def test_extending_after_the_warning_warns_again(db, setup):
    round_ = running_round(db, setup)
    assert services.timer_tick(db, round_.id, round_.ends_at - timedelta(seconds=30)).action == "warning"
    extended = services.extend_round(db, setup["moderator"], round_.id, 600)
    assert extended.warned is False
    assert services.timer_tick(db, round_.id, extended.ends_at - timedelta(seconds=10)).action == "warning"


def test_call_a_moderator_from_inside_a_breakout(db, setup):
    round_ = running_round(db, setup)
    a, b = setup["attendees"][:2]
    breakout = round_.rooms[0].session_id
    services.enter_breakout(db, a, round_.id, round_.rooms[0].id)
    alert = services.call_moderator(db, a, breakout, "We need the slides")
    assert alert["room"]["session_id"] == breakout and alert["user"]["id"] == a.id
    assert alert["main_session_id"] == setup["main"].id and alert["message"] == "We need the slides"
    assert error_of(services.call_moderator, db, a, breakout) == "too_soon"
    assert error_of(services.call_moderator, db, b, breakout) == "not_in_breakout"
    assert error_of(services.call_moderator, db, a, setup["main"].id) == "not_a_breakout"
    assert error_of(services.call_moderator, db, a, 987_654) == "session_not_found"
    services.recall_round(db, setup["moderator"], round_.id)
    assert error_of(services.call_moderator, db, a, breakout) == "round_not_running"


# --- what clients see ----------------------------------------------------------------------------------


def test_join_state_for_participants_and_moderators(db, setup):
    a = setup["attendees"][0]
    main = setup["main"]
    empty = services.join_state(db, a, main)["breakouts"]
    assert empty["round"] is None and empty["main_session_id"] == main.id
    round_ = new_round(db, setup)
    assert services.join_state(db, setup["moderator"], main)["breakouts"]["round"]["status"] == "draft"
    services.assign(db, setup["moderator"], round_.id, [(a.id, round_.rooms[1].id)])
    draft = services.join_state(db, a, main)["breakouts"]  # known before the start, to move in at once
    assert draft["round"]["status"] == "draft" and draft["my_assignment"]["room_id"] == round_.rooms[1].id
    services.start_round(db, setup["moderator"], round_.id, 600)
    state = services.join_state(db, a, main)["breakouts"]
    assert (
        state["round"]["status"] == "running"
        and state["ends_at"]
        and 0 < state["round"]["remaining_s"] <= 600
    )
    assert [r["taken"] for r in state["rooms"]] == [0, 1]
    assert state["my_assignment"]["session_id"] == round_.rooms[1].session_id and "record" not in state
    inside = services.join_state(db, a, db.get(ProgrammeSession, round_.rooms[1].session_id))["breakouts"]
    assert inside["in_breakout"] == round_.rooms[1].session_id and inside["main_session_id"] == main.id
    services.recall_round(db, setup["moderator"], round_.id)
    after = services.join_state(db, setup["moderator"], main)["breakouts"]
    assert after["round"]["status"] == "recalled"
    assert [m["user_id"] for m in after["record"][1]["members"]] == [a.id]
    assert db.scalar(select(func.sum(BreakoutRoom.taken))) == 1
