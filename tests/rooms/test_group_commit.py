"""Group commit (conference.group_commit): hot writes that arrive together share one transaction, each
sender is acknowledged once its row is committed, a refused item gets its own error without failing
its neighbours, and a database outage fails the batch's senders with `database_unavailable`."""

from __future__ import annotations

import threading

import pytest
from rooms.polls.test_polls_postgres import open_poll, people, pg_app  # noqa: F401 - fixtures
from rooms.support import call
from sqlalchemy import func, select, text
from sqlalchemy.exc import OperationalError

from conference import group_commit
from conference.errors import Conflict
from conference.extensions import db
from conference.rooms import hot
from conference.rooms import services as room_services
from conference.rooms.models import ChatMessage
from conference.rooms.polls import services as poll_services
from conference.rooms.polls.models import PollBallot


@pytest.fixture()
def wide_window(app, monkeypatch):
    """Batches collect for half a second (no early leave), so items released together share one."""
    app.config["LIVE_WRITE_WINDOW_SECONDS"] = 0.5
    monkeypatch.setattr(group_commit, "QUIET_S", 0.5)


def _together(actions) -> list:
    """Run the callables in threads released at once; their results in order."""
    barrier = threading.Barrier(len(actions))
    results: list = [None] * len(actions)

    def run(n):
        barrier.wait()
        results[n] = actions[n]()

    threads = [threading.Thread(target=run, args=(n,)) for n in range(len(actions))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def _ballots(app, poll_id) -> int:
    with app.app_context():
        count = db.session.scalar(
            select(func.count()).select_from(PollBallot).where(PollBallot.poll_id == poll_id)
        )
        db.session.remove()
        return count


def test_votes_sent_together_share_a_commit_and_each_ack_follows_it(
    app, cast, joined, make_user, make_registration, wide_window
):
    mod = joined(cast.moderator, cast.thematic)
    people = [cast.alice, cast.bob]
    for n in range(4):
        person = make_user(name=f"Voter {n}")
        make_registration(person, cast.event)
        people.append(person)
    clients = [joined(person, cast.thematic) for person in people]
    created = call(
        mod,
        "poll:create",
        {"session_id": cast.thematic, "title": "Q", "kind": "single", "options": ["A", "B"]},
    )
    poll = call(mod, "poll:open", {"poll_id": created["poll"]["id"]})["poll"]
    choice = poll["options"][0]["id"]
    writer = group_commit.writer(app)
    commits_before = writer.commits
    with app.app_context():
        engine = db.engine

    def vote(client):
        def action():
            ack = call(client, "poll:vote", {"poll_id": poll["id"], "choices": [choice]})
            # An ack means committed: another connection sees the ballot at once.
            with engine.connect() as other:
                stored = other.execute(
                    text("SELECT count(*) FROM poll_ballots WHERE poll_id = :p"), {"p": poll["id"]}
                ).scalar_one()
            return ack, stored

        return action

    results = _together([vote(client) for client in clients])
    assert all(ack["ok"] for ack, _ in results), results
    assert all(stored == len(clients) for _, stored in results)  # each ack came after the batch's commit
    assert _ballots(app, poll["id"]) == len(clients)
    commits = writer.commits - commits_before
    assert 1 <= commits < len(clients), commits  # several ballots in one commit


def test_a_refused_item_gets_its_own_error_and_its_neighbours_are_stored(
    app, cast, joined, live_client, wide_window
):
    mod = joined(cast.moderator, cast.thematic)
    alice_one = joined(cast.alice, cast.thematic)
    alice_two = joined(cast.alice, cast.thematic)
    bob = joined(cast.bob, cast.thematic)
    created = call(
        mod,
        "poll:create",
        {"session_id": cast.thematic, "title": "Q", "kind": "single", "options": ["A", "B"]},
    )
    poll = call(mod, "poll:open", {"poll_id": created["poll"]["id"]})["poll"]
    choice = poll["options"][1]["id"]
    writer = group_commit.writer(app)
    commits_before = writer.commits

    acks = _together(
        [
            lambda c=c: call(c, "poll:vote", {"poll_id": poll["id"], "choices": [choice]})
            for c in (alice_one, alice_two, bob)
        ]
    )
    outcomes = sorted("ok" if a["ok"] else a["error"]["code"] for a in acks)
    assert outcomes == ["already_voted", "ok", "ok"], acks
    assert writer.commits - commits_before == 1  # the duplicate was in the same batch, and only it failed
    assert _ballots(app, poll["id"]) == 2


def _chat_work(session_id: int, user_id: int, words: str):
    return lambda session: room_services.store_chat(session, user_id, session_id, words)["id"]


def test_a_database_outage_fails_every_sender_of_the_batch_and_stores_nothing(app, cast, wide_window):
    def outage(_session):
        raise OperationalError("INSERT", {}, Exception("server closed the connection unexpectedly"))

    def refused(_session):
        raise Conflict("already_voted", "no")

    def submit(work):
        def action():
            with app.app_context():
                try:
                    return group_commit.submit(work)
                except Exception as exc:  # noqa: BLE001 - the outcome under test
                    return exc

        return action

    results = _together(
        [
            submit(_chat_work(cast.thematic, cast.alice.id, "one")),
            submit(outage),
            submit(refused),
            submit(_chat_work(cast.thematic, cast.bob.id, "two")),
        ]
    )
    assert all(isinstance(r, Exception) for r in results), results
    # The refusal keeps its own error when it ran before the outage; the rest share the outage's.
    assert sum(isinstance(r, OperationalError) for r in results) >= 3
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(ChatMessage)) == 0


def test_a_database_outage_gives_the_sender_database_unavailable(app, cast, joined, monkeypatch):
    alice = joined(cast.alice, cast.thematic)

    def down(*_args, **_kwargs):
        raise OperationalError("INSERT", {}, Exception("could not connect to server"))

    monkeypatch.setattr(room_services, "store_chats", down)
    ack = call(alice, "chat:send", {"session_id": cast.thematic, "text": "Anyone?"})
    assert ack["ok"] is False and ack["error"]["code"] == "database_unavailable"


def test_group_commit_on_postgresql(pg_app, people, monkeypatch):
    """The same on PostgreSQL: one batch, one ballot per person enforced in it, the rest stored."""
    session_id, moderator_id, attendees = people
    poll_id, options = open_poll(pg_app, session_id, moderator_id)
    pg_app.config["LIVE_WRITE_WINDOW_SECONDS"] = 0.5
    monkeypatch.setattr(group_commit, "QUIET_S", 0.5)
    with pg_app.app_context():
        poll = hot.poll_info(db.session, poll_id)
        db.session.remove()
    writer = group_commit.writer(pg_app)
    voters = [attendees[0], attendees[0], *attendees[1:6]]

    def vote(user_id):
        def action():
            with pg_app.app_context():
                try:
                    work = lambda session: poll_services.record_vote(  # noqa: E731
                        session, user_id, poll, [{"option_id": options[0]}], poll_services.utcnow()
                    )
                    return group_commit.submit(work)["version"]
                except Conflict as exc:
                    return exc.code

        return action

    results = _together([vote(user_id) for user_id in voters])
    assert sorted(r for r in results if isinstance(r, str)) == ["already_voted"]
    assert sorted(r for r in results if not isinstance(r, str)) == list(range(1, len(voters)))
    assert writer.commits == 1
    with pg_app.app_context():
        assert db.session.scalar(select(func.count()).select_from(PollBallot)) == len(voters) - 1
