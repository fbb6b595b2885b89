"""A storm of disconnects (issue #13): the clean-up needs no pooled connection per socket (who the
socket was is known from its connect; the presence rows go by group commit, one DELETE per batch),
so thousands of sockets leaving at once never die on the pool's timeout and leave no presence row;
a disconnect from inside a join neither deadlocks nor touches the join's work; a clean-up that fails
is tried again until the rows are gone."""

from __future__ import annotations

import logging
import sqlite3
import threading
import time

import pytest
from rooms.support import call
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from conference import group_commit, hooks
from conference.extensions import db as _db
from conference.realtime import close_local_sockets_by_sid, disconnect_cleanup
from conference.rooms.models import RoomPresence, RoomVisit

SMALL_POOL = {"pool_size": 2, "max_overflow": 0, "pool_timeout": 0.3}


@pytest.fixture()
def app(make_app):
    """The tests' app on a pool of two connections that gives up after 0.3 s, and the production's
    coalescing (the testing config refreshes presence inline, at every change)."""
    return make_app(
        # a writer that waits for SQLite's lock gives up quickly (the retry test holds the lock)
        SQLALCHEMY_ENGINE_OPTIONS={**SMALL_POOL, "connect_args": {"timeout": 0.2}},
        ROOMS_PRESENCE_COALESCE_SECONDS=0.5,
        ATTENDANCE_BROADCAST_SECONDS=5.0,
    )


def _rows(app, session_id: int) -> tuple[int, int]:
    """(presence rows in the room, visits of the room still open), read in a session of their own."""
    with app.app_context(), Session(_db.engine) as fresh:
        present = fresh.scalar(
            select(func.count()).select_from(RoomPresence).where(RoomPresence.session_id == session_id)
        )
        open_visits = fresh.scalar(
            select(func.count())
            .select_from(RoomVisit)
            .where(RoomVisit.session_id == session_id, RoomVisit.left_at.is_(None))
        )
    return present, open_visits


def _problems(caplog) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]


def test_sockets_disconnecting_at_once_leave_no_presence_and_no_handler_fails(
    app, cast, live_client, make_user, make_registration, caplog
):
    people = [make_user(name=f"Storm {i}") for i in range(40)]
    for person in people:
        make_registration(person, cast.event, "online")
    clients = [live_client(person, token=True) for person in people for _tab in range(3)]  # 3 tabs each
    for client in clients:
        assert call(client, "join", {"session_id": cast.plenary})["ok"]
    assert _rows(app, cast.plenary) == (len(clients), len(clients))
    writer = group_commit.writer(app)
    commits = writer.commits

    caplog.clear()
    caplog.set_level(logging.WARNING)
    start = threading.Barrier(len(clients))

    def leave(client) -> None:
        start.wait()
        client.disconnect(namespace="/live")

    threads = [threading.Thread(target=leave, args=(client,)) for client in clients]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert not any(thread.is_alive() for thread in threads)

    assert _rows(app, cast.plenary) == (0, 0)
    assert _problems(caplog) == []  # no handler raised, nothing waits for another attempt
    assert (disconnect_cleanup(app).retrying, disconnect_cleanup(app).abandoned) == (0, 0)
    assert writer.commits - commits < len(clients)  # batched: fewer transactions than sockets
    # The server goes on: a new socket joins and counts alone.
    assert (
        call(live_client(cast.alice), "join", {"session_id": cast.plenary})["state"]["presence"]["online"]
        == 1
    )


def test_a_socket_closed_from_inside_a_join_is_cleaned_up_without_deadlock(app, cast, live_client, caplog):
    """One join turn, and the join closes another socket of the room while it holds it: the nested
    disconnect takes no turn (a shared, non-reentrant one would wait for itself), writes through
    group commit, and leaves the join's own session alone."""
    app.config["ROOMS_JOIN_CONCURRENCY"] = 1
    bob = live_client(cast.bob)
    assert call(bob, "join", {"session_id": cast.plenary})["ok"]
    bob_sid = _live_sid(app, cast.bob.id)
    closed: list[int] = []

    def close_bob(db, user, _session) -> None:
        if user.id == cast.alice.id and not closed:
            db.get(type(user), user.id)  # the join's session holds a read of its own meanwhile
            closed.append(close_local_sockets_by_sid([bob_sid]))

    hooks.add_before_join_state(close_bob, app=app)
    alice = live_client(cast.alice)
    caplog.set_level(logging.WARNING)
    acks: list[dict] = []
    joining = threading.Thread(target=lambda: acks.append(call(alice, "join", {"session_id": cast.plenary})))
    joining.start()
    joining.join(20)
    assert not joining.is_alive(), "the join never finished"
    assert closed == [1]
    assert acks[0]["ok"], acks
    assert acks[0]["state"]["presence"]["online"] == 1  # Alice; Bob's row went before the state was read
    assert not bob.is_connected("/live")
    with app.app_context(), Session(_db.engine) as fresh:
        present = fresh.scalars(
            select(RoomPresence.user_id).where(RoomPresence.session_id == cast.plenary)
        ).all()
    assert present == [cast.alice.id]
    assert _problems(caplog) == []


def _live_sid(app, user_id: int) -> str:
    with app.app_context(), Session(_db.engine) as fresh:
        return fresh.scalars(select(RoomPresence.sid).where(RoomPresence.user_id == user_id)).one()


def test_a_failed_clean_up_is_tried_again_until_the_rows_are_gone(app, cast, live_client, tmp_path):
    alice = live_client(cast.alice)
    assert call(alice, "join", {"session_id": cast.plenary})["ok"]
    locker = sqlite3.connect(tmp_path / "test.db", isolation_level=None)
    try:
        locker.execute("BEGIN IMMEDIATE")  # another process writing: the clean-up's batch fails
        alice.disconnect(namespace="/live")
        assert _rows(app, cast.plenary) == (1, 1)
        assert disconnect_cleanup(app).retrying == 1
    finally:
        locker.execute("ROLLBACK")
        locker.close()
    deadline = time.monotonic() + 10
    while _rows(app, cast.plenary) != (0, 0) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert _rows(app, cast.plenary) == (0, 0)
    while disconnect_cleanup(app).retrying and time.monotonic() < deadline:
        time.sleep(0.05)
    assert (disconnect_cleanup(app).retrying, disconnect_cleanup(app).abandoned) == (0, 0)


def test_a_submit_from_inside_a_batch_is_refused_at_once(app):
    """A batch item that closed a socket would have its disconnect clean-up wait for the batch
    that waits for it: refused at once, so that the clean-up is tried again later."""
    seen: list[BaseException] = []

    def nested(_batch) -> None:
        try:
            group_commit.writer(app).submit(lambda _inner: None)
        except group_commit.SubmitFromWriter as exc:
            seen.append(exc)

    with app.app_context():
        started = time.monotonic()
        group_commit.submit(nested)
    assert len(seen) == 1 and time.monotonic() - started < 5
