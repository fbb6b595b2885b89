"""The join snapshot: a few queries whatever the room's size, shared by the people who join a room
within ROOMS_JOIN_SNAPSHOT_SECONDS, never stale after a broadcast change, private where it must be."""

from __future__ import annotations

import threading
import time
from datetime import timedelta

import pytest
from rooms.support import call, received
from statements_support import statements as recorded_statements

from conference import hooks
from conference.accounts.models import User
from conference.db_types import utcnow
from conference.extensions import db as _db
from conference.programme.models import Event
from conference.registrations.models import Registration
from conference.rooms import snapshots
from conference.rooms.breakouts import services as breakouts
from conference.rooms.models import ChatMessage, Question, QuestionVote, RoomPresence
from conference.rooms.polls import services as polls


def fill_room(app, cast, session_id: int, size: int) -> None:
    """`size` registered people in the room (connected elsewhere), `size` questions of every kind
    with votes, `size` chat lines, size // 50 + 2 polls of every kind with ballots, and a breakout
    round of size // 50 + 2 rooms with everyone placed."""
    with app.app_context():
        db = _db.session
        event = db.get_one(Event, cast.event.id)
        moderator = db.get_one(User, cast.moderator.id)
        people = [
            User(email=f"crowd{size}-{i}@example.org", name=f"Crowd {i}", country="KR", organisation="Org")
            for i in range(size)
        ]
        db.add_all(people)
        db.flush()
        db.add_all(Registration(user_id=p.id, event_id=event.id, mode="online") for p in people)
        db.add_all(
            RoomPresence(sid=f"crowd-{size}-{p.id}", session_id=session_id, user_id=p.id) for p in people
        )
        statuses = ["approved", "answered", "pending", "dismissed"]
        start = utcnow() - timedelta(hours=1)
        questions = [
            Question(
                session_id=session_id,
                user_id=people[i].id,
                text=f"Question {i}",
                anonymous=i % 3 == 0,
                status=statuses[i % 4],
                created_at=start + timedelta(seconds=i),
            )
            for i in range(size)
        ]
        db.add_all(questions)
        db.flush()
        db.add_all(
            QuestionVote(question_id=q.id, user_id=people[(i + k) % size].id)
            for i, q in enumerate(questions)
            for k in range(1, 4)
            if q.status in ("approved", "answered")
        )
        db.add_all(
            ChatMessage(session_id=session_id, user_id=people[i].id, text=f"Line {i}") for i in range(size)
        )
        db.commit()
        kinds = [
            polls.PollSpec("Pick one", "single", options=["a", "b", "c"]),
            polls.PollSpec("Pick some", "multiple", options=["a", "b", "c"], results="after_close"),
            polls.PollSpec("Rate", "rating", scale=5),
            polls.PollSpec("Words", "word_cloud"),
            polls.PollSpec("Say", "open_text"),
            polls.PollSpec("Tell us", "open_text", results="hidden"),
        ]
        for n in range(size // 50 + len(kinds)):
            spec = kinds[n % len(kinds)]
            poll = polls.create_poll(db, moderator, session_id, spec)
            polls.open_poll(db, moderator, poll.id)
            for i, person in enumerate(people[:20]):
                polls.cast_vote(db, person, poll.id, _vote(spec.kind, poll, i))
        specs = [breakouts.RoomSpec(f"Room {n}") for n in range(size // 50 + 2)]
        round_ = breakouts.create_round(db, moderator, session_id, specs)
        rooms = [r.id for r in round_.rooms]
        breakouts.assign(
            db, moderator, round_.id, [(p.id, rooms[i % len(rooms)]) for i, p in enumerate(people)]
        )


def _vote(kind: str, poll, i: int) -> polls.Vote:
    if kind == "single":
        return polls.Vote(choices=[poll.options[i % 3].id])
    if kind == "multiple":
        return polls.Vote(choices=[poll.options[0].id, poll.options[1 + i % 2].id])
    if kind == "rating":
        return polls.Vote(rating=1 + i % 5)
    if kind == "word_cloud":
        return polls.Vote(words=[f"w{i % 4}"])
    return polls.Vote(text=f"answer {i}")


def join_queries(app, client, session_id: int) -> tuple[dict, int]:
    with app.app_context():
        engine = _db.engine
    with recorded_statements(engine, this_thread_only=True) as statements:
        ack = call(client, "join", {"session_id": session_id})
    assert ack["ok"], ack
    return ack["state"], len(statements)


def test_a_join_costs_the_same_queries_in_a_room_of_10_and_of_500(app, cast, live_client, joined):
    """Counted on a cold cache (every join builds the shared part) and on a warm one, for an attendee
    and a moderator: the same number of statements in both rooms."""
    fill_room(app, cast, cast.plenary, 10)
    fill_room(app, cast, cast.thematic, 500)
    for room in (cast.plenary, cast.thematic):  # what a room's first join does once (its row, timers)
        joined(cast.bob, room)
    for who in (cast.alice, cast.moderator):  # and a person's first (their rate-limit counter)
        joined(who, cast.workshop)
    counts, states = {}, {}
    for window in (0, 60):
        app.config["ROOMS_JOIN_SNAPSHOT_SECONDS"] = window
        for who in ("moderator", "alice"):  # with a window, the moderator builds and Alice reuses
            for room in (cast.plenary, cast.thematic):
                states[who, room], counts[window, who, room] = join_queries(
                    app, live_client(getattr(cast, who)), room
                )
    for window in (0, 60):
        for who in ("alice", "moderator"):
            # The same count, give or take one statement: a full CI run once counted 46 against 45 for
            # Alice's cold joins (a time-dependent statement, not yet pinned down). A query per item
            # would differ by hundreds between these rooms.
            assert abs(counts[window, who, cast.plenary] - counts[window, who, cast.thematic]) <= 1, counts
    assert counts[60, "alice", cast.thematic] < counts[0, "alice", cast.thematic]
    large = states["moderator", cast.thematic]
    assert len(large["questions"]) == 375 and len(large["chat"]) == 50 and len(large["polls"]) == 16
    with app.app_context():  # the batched tallies are each poll's own tally, exactly
        for entry in large["polls"]:
            assert entry["tally"] == polls.tally(_db.session, polls.get_poll(_db.session, entry["id"]))
    assert len(states["alice", cast.thematic]["questions"]) == 250  # approved and answered ones


# --- the shared part: once per room and window, out of date at the first broadcast change -----------


@pytest.fixture()
def shared_window(app):
    """A long snapshot window, so that only the changes under test make a room's shared part out of
    date (presence broadcasts, sent at once for every join in the tests' config, do not)."""
    app.config["ROOMS_JOIN_SNAPSHOT_SECONDS"] = 60
    return snapshots.of(app).cache


@pytest.fixture()
def crowd(app, cast, make_user, make_registration):
    def factory(n: int) -> list:
        people = [make_user(name=f"Joiner {i}") for i in range(n)]
        for person in people:
            make_registration(person, cast.event, "online")
        return people

    return factory


@pytest.fixture()
def slow_part(app):
    """A join state part that takes `delay` seconds to build and counts its builds (a real part,
    registered like the features' own)."""
    calls = {"n": 0, "delay": 0.3}

    def shared(_db, session):
        calls["n"] += 1
        time.sleep(calls["delay"])
        return {"slow": {"session_id": session.id}}

    part = hooks.add_join_state_part(shared, app=app)
    yield calls
    hooks.remove_join_state_part(part, app)


def test_the_shared_part_is_built_once_for_people_joining_together(
    app, cast, live_client, joined, crowd, shared_window, slow_part
):
    people = crowd(8)
    clients = [live_client(person) for person in people]
    start = threading.Barrier(len(clients))
    acks: dict[int, dict] = {}
    builds_before, parts_before = shared_window.builds, slow_part["n"]

    def join(i: int) -> None:
        start.wait()
        acks[i] = call(clients[i], "join", {"session_id": cast.plenary})

    threads = [threading.Thread(target=join, args=(i,)) for i in range(len(clients))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert all(ack["ok"] for ack in acks.values()), acks
    assert slow_part["n"] - parts_before == 1  # one build; the others waited for it or reused it
    assert shared_window.builds - builds_before == 1
    assert all(ack["state"]["slow"] == {"session_id": cast.plenary} for ack in acks.values())
    # each joiner's own numbers: everyone counts at least themselves; the last one everybody
    assert all(ack["state"]["presence"]["online"] >= 1 for ack in acks.values())
    assert max(ack["state"]["presence"]["online"] for ack in acks.values()) == len(clients)


def test_a_broadcast_change_makes_the_shared_part_out_of_date(
    app, cast, live_client, joined, crowd, shared_window
):
    carol, dave = crowd(2)
    moderator = joined(cast.moderator, cast.plenary)
    alice = joined(cast.alice, cast.plenary)
    asked = call(alice, "question:ask", {"session_id": cast.plenary, "text": "Pending first?"})
    assert asked["ok"] and asked["question"]["status"] == "pending"
    builds = shared_window.builds
    before = call(live_client(dave), "join", {"session_id": cast.plenary})["state"]
    before_again = call(live_client(cast.bob), "join", {"session_id": cast.plenary})["state"]
    assert shared_window.builds == builds + 1  # the pending question was broadcast: one new build
    assert before["questions"] == before_again["questions"] == []  # and reused by Bob
    approved = call(
        moderator, "question:moderate", {"question_id": asked["question"]["id"], "action": "approve"}
    )
    assert approved["ok"]
    after = call(live_client(carol), "join", {"session_id": cast.plenary})["state"]
    assert shared_window.builds == builds + 2
    assert [q["id"] for q in after["questions"]] == [asked["question"]["id"]]


def test_a_change_broadcast_while_the_snapshot_is_built_reaches_the_joiner(
    app, cast, live_client, joined, crowd, shared_window, slow_part
):
    """The joiner is in the room before the snapshot is read: a change committed meanwhile is either
    in the snapshot or arrives as a broadcast, and a later joiner's snapshot has it."""
    late, later = crowd(2)
    moderator = joined(cast.moderator, cast.thematic)
    joiner = live_client(late)
    acks = {}
    slow_part["delay"] = 1.0
    thread = threading.Thread(
        target=lambda: acks.update(j=call(joiner, "join", {"session_id": cast.thematic}))
    )
    thread.start()
    time.sleep(0.5)  # the joiner's shared part is being built
    slow_part["delay"] = 0
    chat = call(moderator, "chat:send", {"session_id": cast.thematic, "text": "Said while you arrived"})
    assert chat["ok"]
    thread.join()
    assert acks["j"]["ok"]
    in_snapshot = chat["message"]["id"] in [m["id"] for m in acks["j"]["state"]["chat"]]
    broadcast = [m["message"]["id"] for m in received(joiner, "chat:message")]
    assert in_snapshot or chat["message"]["id"] in broadcast
    after = call(live_client(later), "join", {"session_id": cast.thematic})["state"]
    assert chat["message"]["id"] in [m["id"] for m in after["chat"]]


# --- the personal part stays personal -------------------------------------------------------------


def test_an_anonymous_askers_name_and_a_pending_question_stay_private(
    app, cast, live_client, joined, crowd, shared_window
):
    (carol,) = crowd(1)
    alice = joined(cast.alice, cast.thematic)  # not moderated: questions are public at once
    secret = call(
        alice, "question:ask", {"session_id": cast.thematic, "text": "Who am I?", "anonymous": True}
    )
    assert secret["ok"] and secret["question"]["status"] == "approved"
    call(live_client(cast.moderator), "room:settings", {"session_id": cast.thematic, "moderated": True})
    pending = call(alice, "question:ask", {"session_id": cast.thematic, "text": "Only mine for now"})
    assert pending["ok"] and pending["question"]["status"] == "pending"

    builds = shared_window.builds
    own = call(live_client(cast.alice), "join", {"session_id": cast.thematic})["state"]  # builds it
    other = call(live_client(cast.bob), "join", {"session_id": cast.thematic})["state"]  # reuses it
    mod = call(live_client(cast.moderator), "join", {"session_id": cast.thematic})["state"]
    again = call(live_client(carol), "join", {"session_id": cast.thematic})["state"]
    assert shared_window.builds == builds + 1

    def by_id(state):
        return {q["id"]: q for q in state["questions"]}

    for state in (other, again):  # the same shared part Alice's and the moderator's joins read
        assert list(by_id(state)) == [secret["question"]["id"]]
        assert "author" not in by_id(state)[secret["question"]["id"]]
        assert "Alice" not in repr(state["questions"])
    assert by_id(own)[secret["question"]["id"]]["author"]["name"] == "Alice Asker"
    assert by_id(own)[pending["question"]["id"]]["status"] == "pending"
    assert by_id(mod)[secret["question"]["id"]]["author"]["name"] == "Alice Asker"
    assert by_id(mod)[pending["question"]["id"]]["author"]["name"] == "Alice Asker"
    assert mod["is_moderator"] is True and other["is_moderator"] is False


def test_ballots_drafts_and_hidden_results_go_to_whom_they_belong(
    app, cast, live_client, joined, crowd, shared_window
):
    (carol,) = crowd(1)
    moderator = joined(cast.moderator, cast.thematic)
    shown = call(
        moderator,
        "poll:create",
        {"session_id": cast.thematic, "title": "Shown", "kind": "single", "options": ["a", "b"]},
    )
    hidden = call(
        moderator,
        "poll:create",
        {
            "session_id": cast.thematic,
            "title": "Hidden",
            "kind": "single",
            "options": ["a", "b"],
            "results": "hidden",
        },
    )
    draft = call(moderator, "poll:create", {"session_id": cast.thematic, "title": "Draft", "kind": "rating"})
    for poll in (shown, hidden):
        assert call(moderator, "poll:open", {"poll_id": poll["poll"]["id"]})["ok"]
    alice = joined(cast.alice, cast.thematic)
    choice = shown["poll"]["options"][0]["id"]
    assert call(alice, "poll:vote", {"poll_id": shown["poll"]["id"], "choices": [choice]})["ok"]
    hidden_choice = hidden["poll"]["options"][1]["id"]
    assert call(alice, "poll:vote", {"poll_id": hidden["poll"]["id"], "choices": [hidden_choice]})["ok"]
    time.sleep(0.4)  # the coalesced tallies leave (a broadcast: the shared part is rebuilt after)

    builds = shared_window.builds
    own = call(live_client(cast.alice), "join", {"session_id": cast.thematic})["state"]
    other = call(live_client(carol), "join", {"session_id": cast.thematic})["state"]
    mod = call(live_client(cast.moderator), "join", {"session_id": cast.thematic})["state"]
    assert shared_window.builds == builds + 1

    def polls(state):
        return {p["title"]: p for p in state["polls"]}

    assert set(polls(other)) == set(polls(own)) == {"Shown", "Hidden"}
    assert set(polls(mod)) == {"Shown", "Hidden", "Draft"} and draft["ok"]
    assert polls(own)["Shown"]["my_ballot"]["choices"] == [choice]
    assert polls(own)["Hidden"]["my_ballot"]["choices"] == [hidden_choice]
    assert polls(other)["Shown"]["my_ballot"] is None and polls(other)["Hidden"]["my_ballot"] is None
    assert polls(other)["Shown"]["tally"]["counts"][str(choice)] == 1
    assert polls(other)["Hidden"]["tally"] is None and polls(own)["Hidden"]["tally"] is None
    assert polls(mod)["Hidden"]["tally"]["counts"][str(hidden_choice)] == 1
    assert all("_closes_at" not in p for state in (own, other, mod) for p in state["polls"])


# --- PostgreSQL: the batched queries (correlated counts, a window per poll) run there as well ------


def test_the_join_state_reads_the_same_on_postgresql():
    from datetime import UTC, datetime

    from pg_support import postgres_app

    from conference.accounts.services import create_user
    from conference.programme.models import ProgrammeSession
    from conference.registrations.services import register
    from conference.rooms import services

    with postgres_app("snapshot") as app, app.app_context():
        db = _db.session
        start = datetime(2030, 5, 6, tzinfo=UTC)
        event = Event(
            slug="pg", title="PG", timezone="Asia/Seoul", starts_at=start, ends_at=start + timedelta(days=1)
        )
        db.add(event)
        db.flush()
        session = ProgrammeSession(
            event_id=event.id,
            title="Thematic",
            kind="thematic",
            starts_at=start,
            ends_at=start + timedelta(hours=1),
        )
        db.add(session)
        db.commit()
        admin = create_user(db, email="admin@example.org", name="Ada Admin", role="admin", password="x" * 12)
        people = []
        for i in range(3):
            person = create_user(
                db, email=f"p{i}@example.org", name=f"Person {i}", role="attendee", password="x" * 12
            )
            register(db, person, event, "online")
            people.append(person)
        asked = services.ask_question(db, people[0], session.id, "Anonymous?", anonymous=True)
        services.vote(db, people[1], asked.id)
        specs = {
            "single": polls.PollSpec("One", "single", options=["a", "b", "c"]),
            "rating": polls.PollSpec("Rate", "rating", scale=5),
            "word_cloud": polls.PollSpec("Words", "word_cloud"),
            "open_text": polls.PollSpec("Say", "open_text"),
        }
        for kind, spec in specs.items():
            poll = polls.create_poll(db, admin, session.id, spec)
            polls.open_poll(db, admin, poll.id)
            for i, person in enumerate(people):
                polls.cast_vote(db, person, poll.id, _vote(kind, poll, i))

        state = services.room_state(db, people[2], session, cached=True)
        assert [q["votes"] for q in state["questions"]] == [1] and "author" not in state["questions"][0]
        tallies = {p["kind"]: p["tally"] for p in state["polls"]}
        assert tallies["single"]["total"] == 3 and sum(tallies["single"]["counts"].values()) == 3
        assert tallies["rating"]["mean"] == 2.0 and tallies["rating"]["counts"]["1"] == 1
        assert tallies["word_cloud"]["words"] == {"w0": 1, "w1": 1, "w2": 1}
        assert tallies["open_text"]["texts"] == ["answer 2", "answer 1", "answer 0"]
        for entry in state["polls"]:  # the batched tallies are the one-poll tally, exactly
            assert entry["tally"] == polls.tally(db, polls.get_poll(db, entry["id"]))
        mine = services.room_state(db, people[0], session)
        assert mine["questions"][0]["author"]["name"] == "Person 0"
        assert all(p["my_ballot"] is not None for p in mine["polls"])
