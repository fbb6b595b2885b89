"""The join's own costs (issue #13): the person's rights asked in one statement and remembered per
person (conference.rooms.hot), dropped when a grant or a registration changes; the presence rows
written by group commit and committed before the ack; a storm of joins waits its turn
(ROOMS_JOIN_CONCURRENCY) instead of dying on the pool's timeout."""

from __future__ import annotations

import threading
import time
from datetime import timedelta

from rooms.support import call
from sqlalchemy import select, update
from sqlalchemy.orm import Session
from statements_support import statements

from conference import group_commit
from conference.accounts.models import ApiToken, User
from conference.db_types import utcnow
from conference.extensions import db
from conference.grants import services as grants
from conference.programme.models import Event, ProgrammeSession
from conference.realtime import still_connected
from conference.registrations.models import Registration
from conference.registrations.services import cancel_registration
from conference.rooms import sockets as room_sockets
from conference.rooms.models import RoomPresence, RoomVisit
from conference.rooms.polls.models import Poll
from conference.rooms.sockets import join_turn


def _rights_reads(seen: list[str]) -> list[str]:
    return [s for s in seen if "event_grants" in s or "FROM registrations" in s]


def test_a_second_join_of_the_same_person_asks_no_rights_query(app, cast, live_client, joined):
    joined(cast.bob, cast.plenary)  # the room's first join (its row, its timers)
    with app.app_context():
        engine = db.engine
    with statements(engine, this_thread_only=True) as first:
        assert call(live_client(cast.alice), "join", {"session_id": cast.plenary})["ok"]
    assert len(_rights_reads(first)) == 1, first  # registration, grants and moderation: one statement
    with statements(engine, this_thread_only=True) as again:  # another tab
        ack = call(live_client(cast.alice), "join", {"session_id": cast.plenary})
    assert ack["ok"] and ack["state"]["is_moderator"] is False
    assert _rights_reads(again) == [], again


def test_a_grant_given_or_withdrawn_counts_at_the_next_join(app, cast, live_client, joined):
    assert (
        call(live_client(cast.alice), "join", {"session_id": cast.plenary})["state"]["is_moderator"] is False
    )
    with app.app_context():
        event = db.session.get_one(Event, cast.event.id)
        alice = db.session.merge(cast.alice)
        session = db.session.get_one(ProgrammeSession, cast.plenary)
        row = grants.grant(db.session, event, alice, "moderator", session=session)
        grant_id = row.id
    promoted = call(live_client(cast.alice), "join", {"session_id": cast.plenary})
    assert promoted["ok"] and promoted["state"]["is_moderator"] is True
    with app.app_context():
        grants.revoke(db.session, db.session.get_one(Event, cast.event.id), grant_id)
    demoted = call(live_client(cast.alice), "join", {"session_id": cast.plenary})
    assert demoted["ok"] and demoted["state"]["is_moderator"] is False


def test_a_cancelled_registration_is_refused_at_the_next_join(app, cast, live_client):
    assert call(live_client(cast.alice), "join", {"session_id": cast.thematic})["ok"]
    with app.app_context():
        registration = db.session.scalar(
            select(Registration).where(
                Registration.user_id == cast.alice.id, Registration.event_id == cast.event.id
            )
        )
        cancel_registration(db.session, registration)
    refused = call(live_client(cast.alice), "join", {"session_id": cast.thematic})
    assert refused["ok"] is False and refused["error"]["code"] == "not_registered"


def test_an_outsider_is_refused_every_time(app, cast, live_client):
    for _ in range(2):  # a refusal is never remembered as a right
        refused = call(live_client(cast.outsider), "join", {"session_id": cast.plenary})
        assert refused["ok"] is False and refused["error"]["code"] == "not_registered"


def test_the_presence_is_committed_by_group_commit_before_the_ack(app, cast, live_client):
    writer = group_commit.writer(app)
    items = writer.items
    client = live_client(cast.alice)
    ack = call(client, "join", {"session_id": cast.thematic})
    assert ack["ok"]
    assert writer.items == items + 1
    with app.app_context(), Session(db.engine) as fresh:  # another connection sees it at once
        rows = fresh.execute(
            select(RoomPresence.user_id, RoomPresence.session_id).where(RoomPresence.user_id == cast.alice.id)
        ).all()
        visits = fresh.scalars(select(RoomVisit.session_id).where(RoomVisit.user_id == cast.alice.id)).all()
    assert rows == [(cast.alice.id, cast.thematic)] and visits == [cast.thematic]
    assert ack["state"]["presence"]["online"] == 1


def test_joins_beyond_the_turns_wait_and_all_get_in(app, cast, live_client, make_user, make_registration):
    app.config["ROOMS_JOIN_CONCURRENCY"] = 1
    people = [make_user(name=f"Queued {i}") for i in range(6)]
    for person in people:
        make_registration(person, cast.event, "online")
    clients = [live_client(person) for person in people]
    start = threading.Barrier(len(clients))
    acks: dict[int, dict] = {}

    def join(i: int) -> None:
        start.wait()
        acks[i] = call(clients[i], "join", {"session_id": cast.plenary})

    threads = [threading.Thread(target=join, args=(i,)) for i in range(len(clients))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert all(ack["ok"] for ack in acks.values()), acks
    with app.app_context():
        assert db.session.scalar(
            select(db.func.count()).select_from(RoomPresence).where(RoomPresence.session_id == cast.plenary)
        ) == len(people)


def test_a_join_that_waited_too_long_for_its_turn_is_refused_and_writes_nothing(app, cast, live_client):
    app.config.update(ROOMS_JOIN_CONCURRENCY=1, ROOMS_JOIN_WAIT_SECONDS=0.2)
    client = live_client(cast.alice)
    with app.app_context(), join_turn():  # the only turn is taken
        refused = call(client, "join", {"session_id": cast.plenary})
    assert refused["ok"] is False and refused["error"]["code"] == "server_busy"
    with app.app_context():
        assert db.session.scalar(select(RoomPresence.id).where(RoomPresence.user_id == cast.alice.id)) is None
    assert call(client, "join", {"session_id": cast.plenary})["ok"]  # the turn is free again


def test_a_socket_connect_records_its_tokens_use_through_group_commit(app, cast, live_client):
    writer = group_commit.writer(app)
    items = writer.items
    client = live_client(cast.alice, token=True)
    assert client.is_connected("/live")
    assert writer.items == items + 1  # the touch, committed before the connect was accepted
    with app.app_context(), Session(db.engine) as fresh:
        used = fresh.scalars(select(ApiToken.last_used_at).where(ApiToken.user_id == cast.alice.id)).all()
    assert len(used) == 1 and used[0] is not None
    live_client(cast.alice, token=False)  # a cookie login writes nothing
    assert writer.items == items + 1


def _presence_of(app, user_id: int) -> list:
    with app.app_context(), Session(db.engine) as fresh:
        return fresh.scalars(select(RoomPresence.session_id).where(RoomPresence.user_id == user_id)).all()


def test_a_socket_gone_while_its_join_waited_for_a_turn_leaves_no_presence(app, cast, live_client):
    app.config["ROOMS_JOIN_CONCURRENCY"] = 1
    client = live_client(cast.alice)
    acks: list = []
    with app.app_context(), join_turn():  # the only turn is taken: the join waits
        joining = threading.Thread(
            target=lambda: acks.append(call(client, "join", {"session_id": cast.plenary}))
        )
        joining.start()
        time.sleep(0.3)
        client.disconnect(namespace="/live")
    joining.join(10)
    assert _presence_of(app, cast.alice.id) == []


def test_a_socket_gone_while_its_join_committed_leaves_no_presence(app, cast, live_client, monkeypatch):
    """The socket leaves just after the join's last check before its entry: the disconnect's clean-up
    runs (and commits) before the join's rows exist, so it finds nothing. The join notices the socket
    is gone once its rows are committed and takes them out."""
    client = live_client(cast.alice)
    checks: list[str] = []

    def connected_then_gone(sid: str) -> bool:
        answer = still_connected(sid)
        checks.append(sid)
        if len(checks) == 1:  # the check before the entry is written: the socket leaves right after it
            client.disconnect(namespace="/live")  # its clean-up runs now, before the entry
        return answer

    monkeypatch.setattr(room_sockets, "still_connected", connected_then_gone)
    call(client, "join", {"session_id": cast.plenary})
    assert len(checks) == 2  # the second check, after the commit, saw the socket gone
    assert _presence_of(app, cast.alice.id) == []


# --- the person and the session read as Core rows; the login still checked against the database ---


def test_a_token_join_checks_the_login_and_reads_the_person_with_one_statement(
    app, cast, live_client, joined
):
    joined(cast.bob, cast.plenary)  # the room's first join (its row, its timers)
    assert call(live_client(cast.alice, token=True), "join", {"session_id": cast.plenary})["ok"]
    with app.app_context():
        engine = db.engine
    client = live_client(cast.alice, token=True)  # another device: her rights are remembered
    with statements(engine, this_thread_only=True) as seen:
        ack = call(client, "join", {"session_id": cast.plenary})
    assert ack["ok"] and ack["state"]["is_moderator"] is False
    login = [s for s in seen if "FROM users" in s or "FROM api_tokens" in s]
    assert len(login) == 1 and "api_tokens" in login[0], seen  # the person and the live token at once


def test_a_token_revoked_behind_the_sockets_back_is_refused_at_the_next_join(app, cast, live_client):
    """No close order reached the socket (the row changed in the database only): the join's own
    login check refuses it."""
    client = live_client(cast.alice, token=True)
    assert call(client, "join", {"session_id": cast.plenary})["ok"]
    with app.app_context():
        db.session.execute(
            update(ApiToken).where(ApiToken.user_id == cast.alice.id).values(revoked_at=utcnow())
        )
        db.session.commit()
    refused = call(client, "join", {"session_id": cast.thematic})
    assert refused["ok"] is False and refused["error"]["code"] == "unauthenticated"
    assert _presence_of(app, cast.alice.id) == [cast.plenary]


def test_a_cookie_socket_whose_sign_in_ended_is_refused_at_the_next_join(app, cast, live_client):
    client = live_client(cast.alice)
    assert call(client, "join", {"session_id": cast.plenary})["ok"]
    with app.app_context():  # "sign out everywhere", without the close order
        db.session.execute(
            update(User).where(User.id == cast.alice.id).values(session_version=User.session_version + 1)
        )
        db.session.commit()
    refused = call(client, "join", {"session_id": cast.thematic})
    assert refused["ok"] is False and refused["error"]["code"] == "unauthenticated"


def _due_poll_reads(seen: list[str]) -> list[str]:
    return [s for s in seen if s.startswith("SELECT polls.id") and "polls.closes_at" in s.split("WHERE")[-1]]


def test_joins_ask_for_due_polls_only_once_a_deadline_may_have_passed(app, cast, live_client, joined):
    moderator = joined(cast.moderator, cast.plenary)  # asks, and remembers: no timed poll
    with app.app_context():
        engine = db.engine
    with statements(engine, this_thread_only=True) as seen:
        for _ in range(3):
            assert call(live_client(cast.alice), "join", {"session_id": cast.plenary})["ok"]
    assert _due_poll_reads(seen) == []
    created = call(
        moderator,
        "poll:create",
        {
            "session_id": cast.plenary,
            "title": "Timed",
            "kind": "single",
            "options": ["a", "b"],
            "duration_s": 600,
        },
    )
    assert call(moderator, "poll:open", {"poll_id": created["poll"]["id"]})["ok"]
    with statements(engine, this_thread_only=True) as seen:
        for _ in range(3):
            assert call(live_client(cast.alice), "join", {"session_id": cast.plenary})["ok"]
    assert len(_due_poll_reads(seen)) == 1  # the opening made the deadline unknown: asked once
    with app.app_context():  # the deadline passes while no timer runs (its process died)
        db.session.execute(
            update(Poll)
            .where(Poll.id == created["poll"]["id"])
            .values(closes_at=utcnow() + timedelta(seconds=1))
        )
        db.session.commit()
    time.sleep(1.2)
    state = call(live_client(cast.bob), "join", {"session_id": cast.plenary})["state"]
    assert [p["status"] for p in state["polls"]] == ["open"]  # a deadline moved behind its back: 600 s ahead
    app.config["LIVE_CONTEXT_TTL_SECONDS"] = 0  # what is remembered is checked again after its time
    state = call(live_client(cast.bob), "join", {"session_id": cast.plenary})["state"]
    assert [p["status"] for p in state["polls"]] == ["closed"]
