"""The breakout protocol on /live with several clients: what each person receives, and what is refused."""

from __future__ import annotations

import time

import pytest
from rooms.support import LIVE, call
from sqlalchemy import func, select

from conference.extensions import db
from conference.rooms.breakouts.models import BreakoutAssignment, BreakoutRound

ROOMS = [
    {"name": "Asia-Pacific — English", "language": "en", "capacity": 1},
    {"name": "Western Asia — Arabic", "language": "ar"},
]


def events(client) -> list[tuple[str, dict]]:
    """The breakout broadcasts this client received since the last look (presence updates aside)."""
    return [
        (e["name"], e["args"][0] if e["args"] else None)
        for e in client.get_received(LIVE)
        if e["name"].startswith("breakout:")
    ]


def named(received: list[tuple[str, dict]], name: str) -> list[dict]:
    return [payload for event, payload in received if event == name]


@pytest.fixture()
def hall(app, cast, joined):
    """Alice, Bob and the moderator in the plenary; a draft round with two rooms.

    Room counts are announced at once here, so that "nothing was broadcast" means what it says.
    """
    app.config["BREAKOUT_COUNTS_INTERVAL_S"] = 0
    clients = {
        "mod": joined(cast.moderator, cast.plenary),
        "alice": joined(cast.alice, cast.plenary),
        "bob": joined(cast.bob, cast.plenary),
    }
    ack = call(
        clients["mod"], "breakout:create", {"session_id": cast.plenary, "rooms": ROOMS, "mode": "mixed"}
    )
    assert ack["ok"], ack
    for client in clients.values():
        client.get_received(LIVE)
    return {**clients, "round": ack["round"], "rooms": ack["rooms"]}


def count_rows(app, model) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model))


def test_create_answers_the_round_and_tells_only_moderators(cast, joined, live_client):
    mod, alice = joined(cast.moderator, cast.plenary), joined(cast.alice, cast.plenary)
    other_mod = joined(cast.moderator, cast.plenary, token=True)
    ack = call(mod, "breakout:create", {"session_id": cast.plenary, "rooms": ROOMS})
    assert ack["ok"] and ack["round"]["status"] == "draft" and ack["round"]["mode"] == "self_select"
    assert [(r["name"], r["language"], r["capacity"], r["taken"]) for r in ack["rooms"]] == [
        ("Asia-Pacific — English", "en", 1, 0),
        ("Western Asia — Arabic", "ar", None, 0),
    ]
    assert named(events(other_mod), "breakout:created")[0]["round"]["id"] == ack["round"]["id"]
    assert events(alice) == []
    again = call(mod, "breakout:create", {"session_id": cast.plenary, "rooms": ROOMS})
    assert again["error"]["code"] == "round_already_open"


def test_recall_moves_everyone_back(app, cast, hall, joined):
    mod, alice, bob = hall["mod"], hall["alice"], hall["bob"]
    round_id, (room_a, room_b) = hall["round"]["id"], hall["rooms"]
    assert call(
        mod,
        "breakout:assign",
        {"round_id": round_id, "assignments": [{"user_id": cast.alice.id, "room_id": room_a["id"]}]},
    )["ok"]
    assert named(events(alice), "breakout:assigned") == [
        {"round_id": round_id, "room": {**room_a, "taken": 1, "full": True}}
    ]
    assert named(events(bob), "breakout:assigned") == []

    started = call(mod, "breakout:start", {"round_id": round_id, "duration_s": 600})
    assert started["ok"] and started["round"]["status"] == "running"
    for client in (alice, bob):
        opened = named(events(client), "breakout:opened")
        assert opened and opened[0]["round"]["id"] == round_id and opened[0]["round"]["remaining_s"] <= 600

    # Alice follows her assignment, Bob chooses; each then joins the breakout as a room of its own.
    into_a = call(alice, "breakout:join", {"round_id": round_id})
    assert into_a["ok"] and into_a["session_id"] == room_a["session_id"]
    into_b = call(bob, "breakout:join", {"round_id": round_id, "room_id": room_b["id"]})
    assert into_b["ok"] and into_b["session_id"] == room_b["session_id"]
    assert (
        call(alice, "join", {"session_id": room_a["session_id"]})["state"]["breakouts"]["in_breakout"]
        == room_a["session_id"]
    )
    assert call(bob, "join", {"session_id": room_b["session_id"]})["ok"]
    dropping_in = joined(
        cast.moderator, room_b["session_id"], token=True
    )  # a moderator drops into a breakout
    for client in (mod, alice, bob):
        events(client)

    recalled = call(mod, "breakout:recall", {"round_id": round_id})
    assert recalled["ok"] and recalled["round"]["status"] == "recalled"
    for client in (alice, bob, mod, dropping_in):
        back = named(events(client), "breakout:recalled")
        assert len(back) == 1 and back[0]["session_id"] == cast.plenary and back[0]["by"] == "moderator"
    for client in (alice, bob):
        state = call(client, "join", {"session_id": cast.plenary})["state"]
        assert (
            state["breakouts"]["round"]["status"] == "recalled" and state["breakouts"]["in_breakout"] is None
        )
    state = call(mod, "join", {"session_id": cast.plenary})["state"]
    assert state["presence"]["online"] == 3
    record = {
        room["name"]: [(m["name"], m["source"], m["joined_at"] is not None) for m in room["members"]]
        for room in state["breakouts"]["record"]
    }
    assert record == {
        "Asia-Pacific — English": [("Alice Asker", "assigned", True)],
        "Western Asia — Arabic": [("Bob Voter", "self", True)],
    }


def test_a_participants_moderator_events_are_refused_and_nothing_is_broadcast(app, cast, hall):
    alice, bob, mod = hall["alice"], hall["bob"], hall["mod"]
    round_id, room_a = hall["round"]["id"], hall["rooms"][0]
    attempts = [
        (
            "breakout:assign",
            {"round_id": round_id, "assignments": [{"user_id": cast.alice.id, "room_id": room_a["id"]}]},
        ),
        ("breakout:assign", {"round_id": round_id, "auto": True}),
        ("breakout:create", {"session_id": cast.thematic, "rooms": ROOMS}),
        ("breakout:start", {"round_id": round_id, "duration_s": 60}),
        ("breakout:extend", {"round_id": round_id, "seconds": 60}),
        ("breakout:message", {"round_id": round_id, "text": "Everyone out"}),
        ("breakout:recall", {"round_id": round_id}),
    ]
    for event, payload in attempts:
        ack = call(alice, event, payload)
        assert ack["ok"] is False and ack["error"]["code"] == "forbidden", (event, ack)
    for client in (alice, bob, mod):
        assert events(client) == []
    assert count_rows(app, BreakoutAssignment) == 0 and count_rows(app, BreakoutRound) == 1
    with app.app_context():
        assert db.session.scalar(select(BreakoutRound.status)) == "draft"


def test_self_select_into_a_full_room_is_refused(app, cast, hall):
    mod, alice, bob = hall["mod"], hall["alice"], hall["bob"]
    round_id, small = hall["round"]["id"], hall["rooms"][0]
    call(mod, "breakout:start", {"round_id": round_id, "duration_s": 600})
    assert call(alice, "breakout:join", {"round_id": round_id, "room_id": small["id"]})["ok"]
    for client in (mod, alice, bob):
        events(client)
    full = call(bob, "breakout:join", {"round_id": round_id, "room_id": small["id"]})
    assert full["ok"] is False and full["error"]["code"] == "room_full"
    for client in (mod, alice, bob):
        assert named(events(client), "breakout:rooms") == []
    with app.app_context():
        rows = db.session.execute(select(BreakoutAssignment.user_id, BreakoutAssignment.room_id)).all()
    assert rows == [(cast.alice.id, small["id"])]


def test_a_plain_join_cannot_get_around_a_running_rounds_rooms(app, cast, hall):
    mod, alice, bob = hall["mod"], hall["alice"], hall["bob"]
    round_id, small = hall["round"]["id"], hall["rooms"][0]
    # Before the round starts, the breakout's session is an ordinary room.
    assert call(bob, "join", {"session_id": small["session_id"]})["ok"]
    assert call(bob, "join", {"session_id": cast.plenary})["ok"]
    call(mod, "breakout:start", {"round_id": round_id, "duration_s": 600})
    assert call(alice, "breakout:join", {"round_id": round_id, "room_id": small["id"]})["ok"]
    assert call(alice, "join", {"session_id": small["session_id"]})["ok"]

    sneak = call(bob, "join", {"session_id": small["session_id"]})
    assert sneak["ok"] is False and sneak["error"]["code"] == "not_in_this_breakout"
    asked = call(
        bob, "question:ask", {"session_id": small["session_id"], "text": "Let me in?", "anonymous": False}
    )
    assert asked["ok"] is False and asked["error"]["code"] == "not_in_this_breakout"
    assert call(mod, "join", {"session_id": small["session_id"]})["ok"]  # moderators drop in anywhere

    call(mod, "breakout:recall", {"round_id": round_id})
    assert call(bob, "join", {"session_id": small["session_id"]})["ok"]


def test_auto_balance_by_language_tells_each_person_their_room(cast, hall):
    mod, alice, bob = hall["mod"], hall["alice"], hall["bob"]
    ack = call(mod, "breakout:assign", {"round_id": hall["round"]["id"], "auto": True, "among": "present"})
    assert ack["ok"] and ack["assigned"] == 2 and ack["unplaced"] == []
    rooms = {r["id"]: r for r in ack["rooms"]}
    got = [named(events(c), "breakout:assigned")[0]["room"]["id"] for c in (alice, bob)]
    assert sorted(got) == sorted(rooms) and sum(r["taken"] for r in ack["rooms"]) == 2


def test_messages_reach_every_room_and_alerts_reach_only_moderators(cast, hall, joined):
    mod, alice, bob = hall["mod"], hall["alice"], hall["bob"]
    round_id, room_a, room_b = hall["round"]["id"], *hall["rooms"]
    call(mod, "breakout:start", {"round_id": round_id, "duration_s": 600})
    for client, room in ((alice, room_a), (bob, room_b)):
        assert call(client, "breakout:join", {"round_id": round_id, "room_id": room["id"]})["ok"]
        assert call(client, "join", {"session_id": room["session_id"]})["ok"]
    for client in (mod, alice, bob):
        events(client)
    sent = call(mod, "breakout:message", {"round_id": round_id, "text": "Five minutes left <b>now</b>"})
    assert sent["ok"]
    for client in (mod, alice, bob):
        assert [m["text"] for m in named(events(client), "breakout:message")] == [
            "Five minutes left <b>now</b>"
        ]

    in_b = joined(cast.moderator, room_b["session_id"], token=True)  # a moderator dropped into the other room
    help_ack = call(
        alice, "breakout:call_moderator", {"session_id": room_a["session_id"], "message": "Mic is off"}
    )
    assert help_ack == {"ok": True}
    for moderator in (mod, in_b):
        alerts = named(events(moderator), "breakout:alert")
        assert (
            len(alerts) == 1
            and alerts[0]["user"]["name"] == "Alice Asker"
            and alerts[0]["message"] == "Mic is off"
        )
        assert alerts[0]["room"]["session_id"] == room_a["session_id"]
    assert events(bob) == [] and events(alice) == []
    assert (
        call(bob, "breakout:call_moderator", {"session_id": room_a["session_id"]})["error"]["code"]
        == "not_in_breakout"
    )

    extended = call(mod, "breakout:extend", {"round_id": round_id, "seconds": 120})
    assert extended["ok"]
    timers = named(events(alice), "breakout:timer")
    assert timers[-1]["kind"] == "extended" and timers[-1]["ends_at"] == extended["round"]["ends_at"]


def test_start_twice_extend_a_draft_and_bad_payloads(cast, hall):
    mod = hall["mod"]
    round_id = hall["round"]["id"]
    assert (
        call(mod, "breakout:extend", {"round_id": round_id, "seconds": 60})["error"]["code"]
        == "round_not_running"
    )
    assert call(mod, "breakout:start", {"round_id": round_id, "duration_s": 600})["ok"]
    assert call(mod, "breakout:start", {"round_id": round_id})["error"]["code"] == "already_running"
    assert call(mod, "breakout:start", {"round_id": 424242})["error"]["code"] == "round_not_found"
    for event, payload in (
        ("breakout:start", {"round_id": "x"}),
        ("breakout:create", {"session_id": cast.plenary, "rooms": [{"name": "", "language": "en"}]}),
        ("breakout:message", {"round_id": round_id, "text": "x" * 501}),
        ("breakout:join", []),
        ("breakout:extend", {"round_id": round_id, "seconds": -5}),
        ("breakout:create", {"session_id": cast.plenary, "rooms": [{"name": "A", "capacity": 0}]}),
    ):
        ack = call(mod, event, payload)
        assert ack["ok"] is False and ack["error"]["code"] == "invalid_payload", (event, ack)


def test_a_round_ends_by_itself_and_sends_everyone_back(app, cast, hall):
    app.config["BREAKOUT_TIMER_INTERVAL_S"] = 0.2
    mod, alice = hall["mod"], hall["alice"]
    round_id, room_b = hall["round"]["id"], hall["rooms"][1]
    call(mod, "breakout:start", {"round_id": round_id, "duration_s": 1})
    call(alice, "breakout:join", {"round_id": round_id, "room_id": room_b["id"]})
    call(alice, "join", {"session_id": room_b["session_id"]})
    seen: list[tuple[str, dict]] = []
    deadline = time.monotonic() + 15  # a generous bound so a slow machine does not fail the test
    while not named(seen, "breakout:recalled") and time.monotonic() < deadline:
        seen += events(alice)
        time.sleep(0.05)
    recalled = named(seen, "breakout:recalled")
    assert recalled and recalled[0]["session_id"] == cast.plenary and recalled[0]["by"] == "timer"


def test_room_counts_are_coalesced_and_the_last_update_is_exact(
    app, cast, hall, joined, make_user, make_registration
):
    app.config["BREAKOUT_COUNTS_INTERVAL_S"] = 2.0  # far longer than the joins below take
    mod, round_id, big = hall["mod"], hall["round"]["id"], hall["rooms"][1]
    call(mod, "breakout:start", {"round_id": round_id, "duration_s": 600})
    people = []
    for _ in range(8):
        person = make_user()
        make_registration(person, cast.event)
        people.append(joined(person, cast.plenary))
    events(mod)
    for client in people:
        assert call(client, "breakout:join", {"round_id": round_id, "room_id": big["id"]})["ok"]
    updates: list[dict] = []
    deadline = time.monotonic() + 15
    while (not updates or updates[-1]["rooms"][1]["taken"] < 8) and time.monotonic() < deadline:
        updates += named(events(mod), "breakout:rooms")
        time.sleep(0.05)
    assert updates and updates[-1]["rooms"][1]["taken"] == 8 and updates[-1]["rooms"][1]["joined"] == 8
    assert len(updates) < len(people)


def test_a_running_round_without_a_countdown_gets_one_when_someone_joins(app, cast, joined):
    """After a restart no process counts down: the first join into the session resumes it."""
    from conference.accounts.models import User
    from conference.rooms.breakouts import services
    from conference.rooms.breakouts.services import RoomSpec

    app.config["BREAKOUT_TIMER_INTERVAL_S"] = 0.2
    with app.app_context():  # started by the services alone, as if by a process that has since died
        moderator = db.session.get(User, cast.moderator.id)
        round_ = services.create_round(db.session, moderator, cast.plenary, [RoomSpec("Only")])
        services.start_round(db.session, moderator, round_.id, 3)  # long enough for the join to finish first
    alice = joined(cast.alice, cast.plenary)
    seen: list[tuple[str, dict]] = []
    deadline = time.monotonic() + 15
    while not named(seen, "breakout:recalled") and time.monotonic() < deadline:
        seen += events(alice)
        time.sleep(0.05)
    assert named(seen, "breakout:recalled")[0]["by"] == "timer"
