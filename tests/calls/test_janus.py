"""Calls through a real Janus SFU (Debian's package on a loopback port): the server creates the room,
only the tokens it handed out may join, leaving takes a token back, and the last one out closes it."""

from __future__ import annotations

import json
import urllib.request

import pytest
from browser_support import free_port
from janus_support import running_janus
from rooms.support import call

from conference.calls.janus import JanusClient, SfuUnavailable


@pytest.fixture()
def janus(app, tmp_path):
    with running_janus(tmp_path, free_port()) as server:
        app.config.update(JANUS_URL=server.url, JANUS_ADMIN_KEY=server.admin_key)
        yield server


def janus_join(url: str, room: int, token: str, publisher_id: int) -> dict:
    """What Janus answers a browser that joins `room` as a publisher with `token` (like janus.js)."""

    def post(path, body):
        request = urllib.request.Request(
            url + path,
            data=json.dumps({**body, "transaction": "t"}).encode(),
            headers={"Content-Type": "application/json"},
            method="POST",
        )
        with urllib.request.urlopen(request, timeout=5) as answer:
            return json.loads(answer.read())

    session = post("", {"janus": "create"})["data"]["id"]
    handle = post(f"/{session}", {"janus": "attach", "plugin": "janus.plugin.videoroom"})["data"]["id"]
    body = {"request": "join", "room": room, "ptype": "publisher", "token": token, "id": publisher_id}
    post(f"/{session}/{handle}", {"janus": "message", "body": body})
    with urllib.request.urlopen(f"{url}/{session}?maxev=1", timeout=10) as answer:
        events = json.loads(answer.read())
    event = events[0] if isinstance(events, list) else events
    return event["plugindata"]["data"]


def test_only_the_people_let_in_can_join_the_janus_room(app, cast, joined, workshop_call, janus):
    alice = joined(cast.alice, workshop_call)
    bob = joined(cast.bob, workshop_call)
    alice_call = call(alice, "call:join", {"session_id": workshop_call})["call"]
    bob_call = call(bob, "call:join", {"session_id": workshop_call})["call"]
    assert alice_call["mode"] == "janus" and bob_call["janus"]["room"] == alice_call["janus"]["room"]
    assert alice_call["janus"]["token"] != bob_call["janus"]["token"]
    room = alice_call["janus"]["room"]

    joined_as_alice = janus_join(janus.url, room, alice_call["janus"]["token"], alice_call["me"]["id"])
    assert joined_as_alice["videoroom"] == "joined" and joined_as_alice["id"] == alice_call["me"]["id"]
    forged = janus_join(janus.url, room, "a-token-we-never-handed-out", 999_999)
    assert forged["error_code"] == 433  # not in the allowed list

    # Bob leaves: his token no longer opens the room.
    assert call(bob, "call:leave", {"session_id": workshop_call})["left"] is True
    after_leaving = janus_join(janus.url, room, bob_call["janus"]["token"], bob_call["me"]["id"])
    assert after_leaving["error_code"] == 433

    # The last one out closes the Janus room.
    assert call(alice, "call:leave", {"session_id": workshop_call})["left"] is True
    with pytest.raises(SfuUnavailable, match="426"):
        JanusClient(janus.url).list_participants(room)


def test_an_unreachable_janus_gives_a_clear_error_and_keeps_nobody(app, cast, joined, workshop_call):
    app.config["JANUS_URL"] = f"http://127.0.0.1:{free_port()}/janus"
    alice = joined(cast.alice, workshop_call)
    ack = call(alice, "call:join", {"session_id": workshop_call})
    assert ack["ok"] is False and ack["error"]["code"] == "sfu_unavailable"
    from conference.calls.models import CallMember
    from conference.extensions import db

    with app.app_context():
        assert db.session.query(CallMember).count() == 0
