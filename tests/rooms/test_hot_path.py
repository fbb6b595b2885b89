"""The hot live events (poll:vote, question:vote/unvote, question:ask, chat:send) run no read query
once the room is known (conference.rooms.hot), and see every change that matters at their next event:
a closed or reopened room, a moderation switch, a closed or deleted poll, a cancelled registration
(whose sockets are closed), a token that expired (its socket closed at expiry)."""

from __future__ import annotations

import time
from datetime import timedelta

from rooms.support import LIVE, call
from sqlalchemy import select
from statements_support import selects, statements

from conference.accounts.services import create_api_token
from conference.db_types import utcnow
from conference.extensions import db, socketio
from conference.registrations.models import Registration
from conference.registrations.services import cancel_registration


def _open_poll(mod, session_id: int) -> dict:
    created = call(
        mod,
        "poll:create",
        {"session_id": session_id, "title": "Lunch?", "kind": "single", "options": ["Yes", "No"]},
    )
    assert created["ok"], created
    opened = call(mod, "poll:open", {"poll_id": created["poll"]["id"]})
    assert opened["ok"], opened
    return opened["poll"]


def test_hot_events_read_nothing_once_the_room_is_known(app, cast, joined):
    mod = joined(cast.moderator, cast.thematic)
    alice = joined(cast.alice, cast.thematic)
    bob = joined(cast.bob, cast.thematic)
    poll = _open_poll(mod, cast.thematic)
    # The first hot event of a room in this process reads the room's settings once, for everyone.
    asked = call(alice, "question:ask", {"session_id": cast.thematic, "text": "Why?", "anonymous": False})
    assert asked["ok"], asked
    question_id = asked["question"]["id"]

    with app.app_context():
        engine = db.engine
    measured = {}
    for name, event, payload in [
        ("chat", "chat:send", {"session_id": cast.thematic, "text": "Hello"}),
        ("question", "question:ask", {"session_id": cast.thematic, "text": "How?", "anonymous": True}),
        ("upvote", "question:vote", {"question_id": question_id}),
        ("unvote", "question:unvote", {"question_id": question_id}),
        ("poll vote", "poll:vote", {"poll_id": poll["id"], "choices": [poll["options"][0]["id"]]}),
    ]:
        with statements(engine) as seen:
            ack = call(bob, event, payload)
        assert ack["ok"], (name, ack)
        measured[name] = seen

    for name in ("chat", "question", "poll vote"):
        assert selects(measured[name]) == [], (name, measured[name])
    # An upvote reads one thing: the question's new total, which its ack and broadcast carry.
    for name in ("upvote", "unvote"):
        reads = selects(measured[name])
        assert len(reads) == 1 and "count(*)" in reads[0].lower() and "question_votes" in reads[0], reads
    # Each is one transaction: a savepoint per item inside one COMMIT (SQLite: an explicit BEGIN).
    assert all(
        any(s.upper() == "COMMIT" or s.upper().startswith("RELEASE") for s in m) for m in measured.values()
    )
    assert bob.get_received(LIVE)  # the broadcasts still went out


def test_room_settings_reach_the_next_hot_event(cast, joined):
    mod = joined(cast.moderator, cast.thematic)
    alice = joined(cast.alice, cast.thematic)
    ask = {"session_id": cast.thematic, "text": "First?", "anonymous": False}
    first = call(alice, "question:ask", ask)
    assert first["ok"] and first["question"]["status"] == "approved"

    assert call(mod, "room:settings", {"session_id": cast.thematic, "moderated": True})["ok"]
    assert call(alice, "question:ask", {**ask, "text": "Queued?"})["question"]["status"] == "pending"

    assert call(mod, "room:close", {"session_id": cast.thematic})["ok"]
    for event, payload in [
        ("question:ask", {**ask, "text": "Closed?"}),
        ("chat:send", {"session_id": cast.thematic, "text": "Anyone?"}),
        ("question:vote", {"question_id": first["question"]["id"]}),
    ]:
        refused = call(alice, event, payload)
        assert refused["ok"] is False and refused["error"]["code"] == "room_closed", (event, refused)

    assert call(mod, "room:reopen", {"session_id": cast.thematic})["ok"]
    assert call(alice, "chat:send", {"session_id": cast.thematic, "text": "Back"})["ok"]


def test_poll_changes_reach_the_next_vote(cast, joined):
    mod = joined(cast.moderator, cast.thematic)
    alice = joined(cast.alice, cast.thematic)
    bob = joined(cast.bob, cast.thematic)
    poll = _open_poll(mod, cast.thematic)
    yes = poll["options"][0]["id"]
    assert call(alice, "poll:vote", {"poll_id": poll["id"], "choices": [yes]})["ok"]
    assert call(mod, "poll:close", {"poll_id": poll["id"]})["ok"]
    refused = call(bob, "poll:vote", {"poll_id": poll["id"], "choices": [yes]})
    assert refused["ok"] is False and refused["error"]["code"] == "poll_closed"
    assert call(mod, "poll:delete", {"poll_id": poll["id"]})["ok"]
    gone = call(bob, "poll:vote", {"poll_id": poll["id"], "choices": [yes]})
    assert gone["ok"] is False and gone["error"]["code"] == "poll_not_found"


def test_a_cancelled_registration_is_refused_and_its_sockets_closed(app, cast, joined):
    alice = joined(cast.alice, cast.thematic)
    assert call(alice, "chat:send", {"session_id": cast.thematic, "text": "Hi"})["ok"]
    with app.app_context():
        registration = db.session.scalar(
            select(Registration).where(
                Registration.user_id == cast.alice.id, Registration.event_id == cast.event.id
            )
        )
        cancel_registration(db.session, registration)
    assert not alice.is_connected(LIVE)


def test_a_cancelled_registration_refuses_a_new_sockets_hot_event(app, cast, live_client, joined):
    joined(cast.alice, cast.thematic)
    with app.app_context():
        registration = db.session.scalar(
            select(Registration).where(
                Registration.user_id == cast.alice.id, Registration.event_id == cast.event.id
            )
        )
        cancel_registration(db.session, registration)
    fresh = live_client(cast.alice)
    refused = call(fresh, "chat:send", {"session_id": cast.thematic, "text": "Still here?"})
    assert refused["ok"] is False and refused["error"]["code"] == "not_registered"


def test_an_expired_token_is_refused_and_its_socket_closed_at_expiry(app, cast):
    with app.app_context():
        token = create_api_token(
            db.session,
            db.session.merge(cast.alice),
            "short",
            scopes=["live"],
            expires_at=utcnow() + timedelta(seconds=1.5),
        )
    client = socketio.test_client(app, namespace=LIVE, auth={"token": token})
    try:
        assert call(client, "join", {"session_id": cast.thematic})["ok"]
        assert call(client, "chat:send", {"session_id": cast.thematic, "text": "Before"})["ok"]
        deadline = time.monotonic() + 10
        while client.is_connected(LIVE) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not client.is_connected(LIVE)
    finally:
        if client.is_connected(LIVE):
            client.disconnect(namespace=LIVE)


def test_an_expired_tokens_socket_is_refused_without_a_query():
    from conference import realtime

    sid = "hot-path-expired"
    realtime._identities[sid] = realtime.SocketIdentity(7, None, "h", frozenset({"live"}), utcnow())
    try:
        assert realtime.identity_alive(sid) is False
        realtime._identities[sid] = realtime.SocketIdentity(
            7, None, "h", frozenset({"live"}), utcnow() + timedelta(minutes=1)
        )
        assert realtime.identity_alive(sid) is True
    finally:
        realtime._identities.pop(sid, None)
