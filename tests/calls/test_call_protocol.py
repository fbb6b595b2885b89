"""Calls on /live with several clients: who may join, who receives which signal, what moderators do."""

from __future__ import annotations

import pytest
from rooms.support import LIVE, call, drain, received
from sqlalchemy import func, select

from conference.calls.models import CallMember
from conference.extensions import db

OFFER = "v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n"


def members_in_db(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(CallMember))


def in_call(joined, user, session_id: int, *, video: bool = False):
    client = joined(user, session_id)
    ack = call(client, "call:join", {"session_id": session_id, "video": video})
    assert ack["ok"], ack
    return client, ack["call"]


def test_only_rooms_with_a_call_can_be_joined(cast, joined):
    alice = joined(cast.alice, cast.plenary)
    ack = call(alice, "call:join", {"session_id": cast.plenary})
    assert ack["error"]["code"] == "no_call"
    assert call(alice, "join", {"session_id": cast.plenary})["state"]["call"]["available"] is False


def test_joining_answers_the_call_and_tells_the_others(app, cast, joined, workshop_call):
    alice, alice_call = in_call(joined, cast.alice, workshop_call)
    assert alice_call["mode"] == "mesh" and alice_call["me"]["name"] == "Alice Asker"
    assert alice_call["members"] == [alice_call["me"]] and alice_call["ice_servers"] == []
    assert alice_call["me"]["audio"] is False and alice_call["me"]["video"] is False  # off by default
    bob, bob_call = in_call(joined, cast.bob, workshop_call)
    assert [m["name"] for m in bob_call["members"]] == ["Alice Asker", "Bob Voter"]
    assert [p["member"]["name"] for p in received(alice, "call:member-joined")] == ["Bob Voter"]
    assert received(bob, "call:member-joined") == []  # not told of oneself
    again = call(bob, "call:join", {"session_id": workshop_call})
    assert again["ok"] and again["call"]["me"]["id"] == bob_call["me"]["id"]  # a repeated join is harmless
    assert received(alice, "call:member-joined") == []
    assert members_in_db(app) == 2
    state = call(joined(cast.moderator, workshop_call), "join", {"session_id": workshop_call})["state"]
    assert [m["name"] for m in state["call"]["members"]] == ["Alice Asker", "Bob Voter"]


def test_a_call_needs_its_room(cast, joined, workshop_call):
    alice = joined(cast.alice, cast.thematic)
    assert call(alice, "call:join", {"session_id": workshop_call})["error"]["code"] == "not_in_room"


def test_signals_reach_only_the_member_they_are_for(app, cast, joined, workshop_call):
    alice, alice_call = in_call(joined, cast.alice, workshop_call)
    bob, bob_call = in_call(joined, cast.bob, workshop_call)
    listener = joined(cast.moderator, workshop_call)  # in the room, not in the call
    drain(alice, bob, listener)
    sent = call(
        alice,
        "call:signal",
        {"session_id": workshop_call, "to": bob_call["me"]["id"], "kind": "offer", "sdp": OFFER},
    )
    assert sent == {"ok": True}
    assert received(bob, "call:signal") == [
        {"session_id": workshop_call, "from": alice_call["me"]["id"], "kind": "offer", "sdp": OFFER}
    ]
    candidate = {
        "candidate": "candidate:1 1 udp 2122260223 10.0.0.2 50000 typ host",
        "sdpMid": "0",
        "sdpMLineIndex": 0,
    }
    assert call(
        bob,
        "call:signal",
        {
            "session_id": workshop_call,
            "to": alice_call["me"]["id"],
            "kind": "candidate",
            "candidate": candidate,
        },
    )["ok"]
    assert received(alice, "call:signal")[0]["candidate"]["candidate"] == candidate["candidate"]
    assert received(listener) == [] and received(bob) == []
    # Someone outside the call can neither send nor be reached.
    refused = call(
        listener,
        "call:signal",
        {"session_id": workshop_call, "to": bob_call["me"]["id"], "kind": "offer", "sdp": OFFER},
    )
    assert refused["error"]["code"] == "not_in_call"
    assert received(bob) == []


def test_a_member_of_another_call_cannot_be_reached(app, cast, joined, workshop_call):
    from conference.programme.models import ProgrammeSession

    with app.app_context():
        db.session.get(ProgrammeSession, cast.thematic).interactive = True
        db.session.commit()
    alice, _ = in_call(joined, cast.alice, workshop_call)
    bob, bob_call = in_call(joined, cast.bob, cast.thematic)
    drain(alice, bob)
    ack = call(
        alice,
        "call:signal",
        {"session_id": workshop_call, "to": bob_call["me"]["id"], "kind": "offer", "sdp": OFFER},
    )
    assert ack["error"]["code"] == "member_not_found"
    assert received(bob) == []


@pytest.mark.parametrize(
    "payload",
    [
        {"kind": "offer"},  # no sdp
        {"kind": "offer", "sdp": "x" * 64_001},  # oversized
        {"kind": "candidate", "sdp": OFFER},  # a candidate without its candidate
        {"kind": "offer", "sdp": OFFER, "candidate": {"candidate": "c"}},  # both bodies
        {"kind": "bye", "sdp": OFFER},
        {"kind": "offer", "sdp": OFFER, "to": "5"},  # ids are numbers
        {"kind": "offer", "sdp": OFFER, "to": True},
        {"kind": "candidate", "candidate": {"candidate": "c" * 2_001}},
        {"kind": "offer", "sdp": OFFER, "extra": 1},
    ],
)
def test_bad_signals_are_refused_and_relay_nothing(cast, joined, workshop_call, payload):
    alice, _ = in_call(joined, cast.alice, workshop_call)
    bob, bob_call = in_call(joined, cast.bob, workshop_call)
    drain(alice, bob)
    ack = call(alice, "call:signal", {"session_id": workshop_call, "to": bob_call["me"]["id"], **payload})
    assert ack["ok"] is False and ack["error"]["code"] == "invalid_payload", ack
    assert received(bob) == []


def test_signals_are_rate_limited_per_socket(app, cast, joined, workshop_call):
    app.config.update(CALLS_SIGNAL_BURST=3, CALLS_SIGNAL_PER_S=1)
    alice, _ = in_call(joined, cast.alice, workshop_call)
    bob, bob_call = in_call(joined, cast.bob, workshop_call)
    drain(alice, bob)
    body = {"session_id": workshop_call, "to": bob_call["me"]["id"], "kind": "offer", "sdp": OFFER}
    answers = [call(alice, "call:signal", body) for _ in range(5)]
    assert [a["ok"] for a in answers[:3]] == [True, True, True]
    assert answers[3]["error"]["code"] == "rate_limited"
    assert len(received(bob, "call:signal")) == 3


def test_cameras_beyond_the_limit_join_with_audio_only(app, cast, joined, workshop_call):
    app.config["CALLS_MAX_VIDEO"] = 1
    alice, alice_call = in_call(joined, cast.alice, workshop_call, video=True)
    bob, bob_call = in_call(joined, cast.bob, workshop_call, video=True)
    assert alice_call["me"]["may_publish_video"] is True
    assert bob_call["me"]["may_publish_video"] is False
    media = {"session_id": workshop_call, "audio": True, "screen": False}
    assert call(bob, "call:media", {**media, "video": True})["error"]["code"] == "video_full"
    assert call(bob, "call:media", {**media, "video": False})["member"]["audio"] is True
    assert call(alice, "call:media", {**media, "video": True})["member"]["video"] is True
    drain(alice, bob)
    assert call(alice, "call:media", {**media, "video": False})["member"]["may_publish_video"] is False
    assert received(bob, "call:member-updated")[0]["member"]["video"] is False
    turned_on = call(bob, "call:media", {**media, "video": True})
    assert turned_on["ok"] and turned_on["member"]["may_publish_video"] is True


def test_two_cameras_at_once_for_the_last_slot_give_one(app, cast, workshop_call):
    from concurrency_support import run_together

    from conference.accounts.models import User
    from conference.calls import services
    from conference.rooms.models import RoomPresence

    app.config["CALLS_MAX_VIDEO"] = 1
    limits = services.CallLimits(max_video=1, max_members=50)
    with app.app_context():
        for n, user in enumerate((cast.alice, cast.bob)):
            db.session.add(RoomPresence(sid=f"sid-{n}", session_id=workshop_call, user_id=user.id))
            db.session.commit()
            services.join_call(
                db.session,
                db.session.get(User, user.id),
                workshop_call,
                f"sid-{n}",
                limits=limits,
                with_video=False,
            )

    def camera_on(n):
        services.set_media(db.session, f"sid-{n}", audio=False, video=True, screen=False, limits=limits)

    assert run_together(app, camera_on, 2) == ["ok", "video_full"]
    with app.app_context():
        assert db.session.scalar(select(func.count()).where(CallMember.video_slot.is_not(None))) == 1


def test_hands_and_what_only_moderators_may_do(app, cast, joined, workshop_call):
    mod, _ = in_call(joined, cast.moderator, workshop_call)
    alice, alice_call = in_call(joined, cast.alice, workshop_call)
    bob, bob_call = in_call(joined, cast.bob, workshop_call)
    assert call(bob, "call:media", {"session_id": workshop_call, "audio": True, "video": False})["ok"]
    raised = call(alice, "call:hand", {"session_id": workshop_call, "raised": True})
    assert raised["member"]["hand_raised_at"].endswith("Z")
    drain(mod, alice, bob)
    for action, target in (
        ("mute", bob_call),
        ("remove", bob_call),
        ("lower_hand", alice_call),
        ("lock", None),
    ):
        payload = {"session_id": workshop_call, "action": action}
        if target:
            payload["member_id"] = target["me"]["id"]
        assert call(alice, "call:moderate", payload)["error"]["code"] == "forbidden", action
    assert received(bob) == [] and received(mod) == [] and members_in_db(app) == 3

    bob_id = bob_call["me"]["id"]
    assert call(mod, "call:moderate", {"session_id": workshop_call, "action": "mute", "member_id": bob_id})[
        "ok"
    ]
    assert received(bob, "call:muted")[0]["by"] == "Mona Moderator"
    assert received(alice, "call:member-updated")[0]["member"]["audio"] is False
    assert call(
        mod,
        "call:moderate",
        {"session_id": workshop_call, "action": "lower_hand", "member_id": alice_call["me"]["id"]},
    )["ok"]
    assert received(alice, "call:member-updated")[0]["member"]["hand_raised_at"] is None
    drain(bob)
    assert call(mod, "call:moderate", {"session_id": workshop_call, "action": "remove", "member_id": bob_id})[
        "ok"
    ]
    assert received(bob, "call:removed")
    assert received(alice, "call:member-left") == [
        {"session_id": workshop_call, "member_id": bob_id, "reason": "removed"}
    ]
    assert call(mod, "call:moderate", {"session_id": workshop_call, "action": "lock"})["locked"] is True
    assert received(alice, "call:locked") == [{"session_id": workshop_call, "locked": True}]
    assert call(bob, "call:join", {"session_id": workshop_call})["error"]["code"] == "call_locked"
    assert received(alice, "call:member-joined") == []
    assert (
        call(
            bob,
            "call:signal",
            {"session_id": workshop_call, "to": alice_call["me"]["id"], "kind": "offer", "sdp": OFFER},
        )["error"]["code"]
        == "not_in_call"
    )


def test_leaving_the_room_or_disconnecting_leaves_the_call(app, cast, joined, workshop_call):
    alice, _ = in_call(joined, cast.alice, workshop_call)
    bob, bob_call = in_call(joined, cast.bob, workshop_call)
    mod, mod_call = in_call(joined, cast.moderator, workshop_call)
    drain(alice, bob, mod)
    assert call(bob, "join", {"session_id": cast.thematic})["ok"]  # switches rooms
    assert [p["member_id"] for p in received(alice, "call:member-left")] == [bob_call["me"]["id"]]
    mod.disconnect(namespace=LIVE)
    assert [p["member_id"] for p in received(alice, "call:member-left")] == [mod_call["me"]["id"]]
    assert members_in_db(app) == 1


def test_the_recall_ends_the_breakout_calls(app, cast, joined):
    mod = joined(cast.moderator, cast.plenary)
    alice, bob = joined(cast.alice, cast.plenary), joined(cast.bob, cast.plenary)
    rooms = [{"name": "English", "language": "en"}, {"name": "Arabic", "language": "ar"}]
    created = call(mod, "breakout:create", {"session_id": cast.plenary, "rooms": rooms, "mode": "mixed"})
    round_id, room_a, room_b = created["round"]["id"], created["rooms"][0], created["rooms"][1]
    # Before the round runs, a breakout room has no call.
    assert call(mod, "join", {"session_id": room_a["session_id"]})["state"]["call"]["available"] is False
    assert call(mod, "join", {"session_id": cast.plenary})["ok"]
    assert call(mod, "breakout:start", {"round_id": round_id, "duration_s": 600})["ok"]
    for client, room in ((alice, room_a), (bob, room_b)):
        assert call(client, "breakout:join", {"round_id": round_id, "room_id": room["id"]})["ok"]
        state = call(client, "join", {"session_id": room["session_id"]})["state"]
        assert state["call"]["available"] is True
        assert call(client, "call:join", {"session_id": room["session_id"]})["ok"]
    # Bob, in the other breakout, cannot reach Alice's call.
    alice_member = call(alice, "call:join", {"session_id": room_a["session_id"]})["call"]["me"]["id"]
    assert (
        call(
            bob,
            "call:signal",
            {"session_id": room_b["session_id"], "to": alice_member, "kind": "offer", "sdp": OFFER},
        )["error"]["code"]
        == "member_not_found"
    )
    drain(alice, bob)
    assert call(mod, "breakout:recall", {"round_id": round_id})["ok"]
    assert received(alice, "call:ended") == [{"session_id": room_a["session_id"], "reason": "recalled"}]
    assert received(bob, "call:ended") == [{"session_id": room_b["session_id"], "reason": "recalled"}]
    assert members_in_db(app) == 0


def test_a_crashed_workers_sockets_never_show_in_a_call_and_free_their_places(
    app, cast, joined, workshop_call
):
    from conference.rooms.models import RoomPresence

    app.config["CALLS_MAX_VIDEO"] = 1
    _alice, alice_call = in_call(joined, cast.alice, workshop_call, video=True)
    assert alice_call["me"]["may_publish_video"] is True
    # The worker serving Alice dies: its presence rows are cleared at start-up, its call rows stay.
    with app.app_context():
        db.session.query(RoomPresence).filter(RoomPresence.user_id == cast.alice.id).delete()
        db.session.commit()
    state = call(joined(cast.moderator, workshop_call), "join", {"session_id": workshop_call})["state"]
    assert state["call"]["members"] == []
    _bob, bob_call = in_call(joined, cast.bob, workshop_call, video=True)
    assert [m["name"] for m in bob_call["members"]] == ["Bob Voter"]
    assert bob_call["me"]["may_publish_video"] is True  # Alice's camera slot was freed
    assert members_in_db(app) == 1
