"""Large audio-only calls through a real Janus audiobridge (Debian's package on a loopback port): the
server creates the bridge with a secret only it knows, only the tokens it handed out may join,
leaving takes a token back, a removal kicks, a moderator's mute is applied by Janus itself, and the
last one out closes the bridge."""

from __future__ import annotations

import json
import time
import urllib.request

import pytest
from browser_support import free_port
from janus_support import running_janus
from rooms.support import call, received

from conference.calls.janus import AUDIOBRIDGE, JanusClient, SfuUnavailable
from conference.calls.models import CallRoom
from conference.extensions import db


@pytest.fixture(scope="module")
def janus_server(tmp_path_factory):
    """One Janus for this module's tests (their rooms are random numbers: they never meet)."""
    with running_janus(tmp_path_factory.mktemp("janus"), free_port()) as server:
        yield server


@pytest.fixture()
def bridge(app, janus_server):
    """Janus, with every call audio only (a room of one person is already "large")."""
    app.config.update(
        JANUS_URL=janus_server.url, JANUS_ADMIN_KEY=janus_server.admin_key, CALLS_AUDIOBRIDGE_FROM=1
    )
    return janus_server


def _post(url: str, body: dict) -> dict:
    request = urllib.request.Request(
        url,
        data=json.dumps({**body, "transaction": "t"}).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=5) as answer:
        return json.loads(answer.read())


def bridge_join(url: str, room: int, token: str, participant_id: int) -> dict:
    """What Janus answers a browser that joins the audiobridge `room` with `token` (as janus.js does)."""
    session = _post(url, {"janus": "create"})["data"]["id"]
    handle = _post(f"{url}/{session}", {"janus": "attach", "plugin": "janus.plugin.audiobridge"})["data"][
        "id"
    ]
    body = {"request": "join", "room": room, "token": token, "id": participant_id, "muted": False}
    _post(f"{url}/{session}/{handle}", {"janus": "message", "body": body})
    with urllib.request.urlopen(f"{url}/{session}?maxev=1", timeout=10) as answer:
        events = json.loads(answer.read())
    event = events[0] if isinstance(events, list) else events
    return event["plugindata"]["data"]


def participants(url: str, room: int) -> dict[int, dict]:
    return {p["id"]: p for p in JanusClient(url).list_participants(room, AUDIOBRIDGE)}


def test_a_large_call_is_an_audiobridge_only_the_people_let_in_can_join(
    app, cast, joined, workshop_call, bridge
):
    alice = joined(cast.alice, workshop_call)
    bob = joined(cast.bob, workshop_call)
    alice_call = call(alice, "call:join", {"session_id": workshop_call, "video": True})["call"]
    bob_call = call(bob, "call:join", {"session_id": workshop_call})["call"]
    assert alice_call["mode"] == "janus" and alice_call["janus"]["plugin"] == "audiobridge"
    assert alice_call["audio_only"] is True and alice_call["max_video"] == 0
    assert alice_call["me"]["may_publish_video"] is False  # asked for a camera: audio only here
    assert bob_call["janus"]["room"] == alice_call["janus"]["room"]
    assert alice_call["janus"]["token"] != bob_call["janus"]["token"]
    room = alice_call["janus"]["room"]

    # A camera is refused in an audio-only call.
    ack = call(alice, "call:media", {"session_id": workshop_call, "audio": True, "video": True})
    assert ack["ok"] is False and ack["error"]["code"] == "audio_only"

    joined_as_alice = bridge_join(bridge.url, room, alice_call["janus"]["token"], alice_call["me"]["id"])
    assert joined_as_alice["audiobridge"] == "joined" and joined_as_alice["id"] == alice_call["me"]["id"]
    forged = bridge_join(bridge.url, room, "a-token-we-never-handed-out", 999_999)
    assert forged["error_code"] == 489  # unauthorized: not in the allowed list

    # Without the room's secret, nobody else can change the bridge (here: open it to everyone).
    with pytest.raises(SfuUnavailable) as refused:
        JanusClient(bridge.url)._request(
            AUDIOBRIDGE, {"request": "allowed", "room": room, "secret": "guess", "action": "disable"}
        )
    assert refused.value.janus_code == 489

    # Bob leaves: his token no longer opens the bridge.
    assert call(bob, "call:leave", {"session_id": workshop_call})["left"] is True
    after_leaving = bridge_join(bridge.url, room, bob_call["janus"]["token"], bob_call["me"]["id"])
    assert after_leaving["error_code"] == 489

    # The last one out closes the bridge.
    assert call(alice, "call:leave", {"session_id": workshop_call})["left"] is True
    with pytest.raises(SfuUnavailable) as gone:
        participants(bridge.url, room)
    assert gone.value.janus_code == 485  # no such room


def test_a_moderators_mute_and_removal_are_applied_by_janus(
    app, cast, joined, workshop_call, bridge, make_user, make_registration
):
    app.config.update(CALLS_MAX_MEMBERS=2, CALLS_AUDIOBRIDGE_MAX_MEMBERS=3)  # a bridge carries more
    alice = joined(cast.alice, workshop_call)
    bob = joined(cast.bob, workshop_call)
    mod = joined(cast.moderator, workshop_call)
    alice_call = call(alice, "call:join", {"session_id": workshop_call})["call"]
    bob_call = call(bob, "call:join", {"session_id": workshop_call})["call"]
    assert call(mod, "call:join", {"session_id": workshop_call})["ok"] is True  # the third of 3
    carol = make_user(name="Carol Fourth")
    make_registration(carol, cast.event, "online")
    full = call(joined(carol, workshop_call), "call:join", {"session_id": workshop_call})
    assert full["ok"] is False and full["error"]["code"] == "call_full"
    room = alice_call["janus"]["room"]
    alice_id, bob_id = alice_call["me"]["id"], bob_call["me"]["id"]
    bridge_join(bridge.url, room, alice_call["janus"]["token"], alice_id)
    bridge_join(bridge.url, room, bob_call["janus"]["token"], bob_id)
    assert call(alice, "call:media", {"session_id": workshop_call, "audio": True, "video": False})["ok"]
    assert participants(bridge.url, room)[alice_id]["muted"] is False

    # An attendee cannot mute anyone; Janus is not asked.
    refused = call(
        bob, "call:moderate", {"session_id": workshop_call, "action": "mute", "member_id": alice_id}
    )
    assert refused["ok"] is False and refused["error"]["code"] == "forbidden"
    assert participants(bridge.url, room)[alice_id]["muted"] is False

    # The moderator's mute: Janus mutes her in the mix, not (only) her browser.
    ack = call(mod, "call:moderate", {"session_id": workshop_call, "action": "mute", "member_id": alice_id})
    assert ack["ok"] is True and ack["member"]["audio"] is False
    assert participants(bridge.url, room)[alice_id]["muted"] is True
    assert received(alice, "call:muted")[0]["by"] == "Mona Moderator"

    # Someone who has not reached the bridge yet: nothing to mute there, and no error.
    with app.app_context():
        secret = db.session.get(CallRoom, workshop_call).janus_secret
    assert secret and secret not in json.dumps([alice_call, bob_call])  # only the server holds it
    assert JanusClient(bridge.url).mute(room, secret, 999_999) is False

    # A removal kicks Bob out of the bridge, and his token no longer lets him back in.
    assert call(mod, "call:moderate", {"session_id": workshop_call, "action": "remove", "member_id": bob_id})[
        "ok"
    ]
    # (Janus hangs the kicked handle up in its own time.)
    deadline = time.monotonic() + 10
    while bob_id in participants(bridge.url, room) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert bob_id not in participants(bridge.url, room)
    assert bridge_join(bridge.url, room, bob_call["janus"]["token"], bob_id)["error_code"] == 489


def test_a_small_room_still_gets_a_videoroom(app, cast, joined, workshop_call, bridge):
    app.config["CALLS_AUDIOBRIDGE_FROM"] = 3  # alice and bob are two
    alice = joined(cast.alice, workshop_call)
    joined(cast.bob, workshop_call)
    answer = call(alice, "call:join", {"session_id": workshop_call, "video": True})["call"]
    assert answer["janus"]["plugin"] == "videoroom" and answer["audio_only"] is False
    assert answer["me"]["may_publish_video"] is True
