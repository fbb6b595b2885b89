"""The room-wide Q&A fan-out in batches: the questions of a window leave as one `questions:new`, the
upvote totals of a window as one `questions:updated`; nothing about a question overtakes it, and a
socket that joins while a batch waits ends up with every question once (docs/protocol.md)."""

from __future__ import annotations

import time

import pytest
from rooms.support import LIVE, batched, call, drain, received

WINDOW = 2.0  # long enough for a few acks on a loaded machine, short enough to wait for


def packets(client, name: str = "questions:new", timeout: float = 10.0, settle: float = 0.3) -> list[dict]:
    """The `name` packets this client receives until none came for `settle` seconds after the first
    (or `timeout`)."""
    got: list[dict] = []
    deadline = time.monotonic() + timeout
    quiet_since = None
    while time.monotonic() < deadline:
        fresh = received(client, name)
        got += fresh
        if fresh:
            quiet_since = time.monotonic()
        elif got and quiet_since is not None and time.monotonic() - quiet_since > settle:
            break
        time.sleep(0.02)
    return got


def qa_events(client) -> list[tuple[str, dict]]:
    """The Q&A broadcasts this client received since the last call, in order (presence left out)."""
    return [(e["name"], e["args"][0]) for e in client.get_received(LIVE) if e["name"].startswith("question")]


def ask(client, session_id: int, text: str) -> int:
    ack = call(client, "question:ask", {"session_id": session_id, "text": text})
    assert ack["ok"], ack
    return ack["question"]["id"]


def attendee(make_user, make_registration, cast, name: str):
    person = make_user(name=name)
    make_registration(person, cast.event)
    return person


def test_the_questions_of_a_window_reach_the_room_as_one_packet_in_order_each_once(app, cast, joined):
    app.config["ROOMS_QUESTION_FANOUT_SECONDS"] = WINDOW
    alice, bob = joined(cast.alice, cast.thematic), joined(cast.bob, cast.thematic)
    started = time.monotonic()
    asked = [ask(alice, cast.thematic, f"Question {n}") for n in range(3)]
    # The acks came back at once (each with its question); the room has heard nothing yet.
    assert time.monotonic() - started < WINDOW
    assert received(bob, "questions:new") == [] and received(bob, "question:new") == []

    [packet] = packets(bob)
    assert packet["session_id"] == cast.thematic
    assert [q["id"] for q in packet["questions"]] == asked
    assert [q["text"] for q in packet["questions"]] == ["Question 0", "Question 1", "Question 2"]
    assert all(q["author"]["name"] == "Alice Asker" and q["votes"] == 0 for q in packet["questions"])
    # The asker's other copy (her ack had it already) comes in the same packet, and nothing else.
    assert [q["id"] for q in batched(alice)] == asked
    time.sleep(WINDOW + 0.2)
    assert received(bob, "questions:new") == [] and received(bob, "question:new") == []


def test_anonymous_questions_in_a_batch_keep_their_author_among_moderators_only(app, cast, joined):
    app.config["ROOMS_QUESTION_FANOUT_SECONDS"] = WINDOW
    alice, bob = joined(cast.alice, cast.thematic), joined(cast.bob, cast.thematic)
    mod = joined(cast.moderator, cast.thematic)
    named = ask(alice, cast.thematic, "Named")
    secret = call(alice, "question:ask", {"session_id": cast.thematic, "text": "Secret", "anonymous": True})
    secret_id = secret["question"]["id"]

    [packet] = packets(bob)
    assert [q["id"] for q in packet["questions"]] == [named, secret_id]
    assert "author" not in packet["questions"][1] and "Alice" not in str(received(bob))
    # The moderators get the room's packet and one more with the anonymous ones' authors.
    to_mod = packets(mod)
    assert [[q["id"] for q in p["questions"]] for p in to_mod] == [[named, secret_id], [secret_id]]
    assert to_mod[1]["questions"][0]["author"]["name"] == "Alice Asker"


@pytest.mark.parametrize("snapshot_seconds", [0, 60], ids=["fresh-snapshot", "shared-snapshot"])
def test_a_socket_joining_while_a_batch_waits_gets_each_question_once(
    app, cast, joined, live_client, make_user, make_registration, snapshot_seconds
):
    """The join state is read after the socket entered the room: a question committed before it is in
    the state or reaches the socket in the batch, sent later (with a shared snapshot built before the
    question, only in the batch). The page keeps one copy per id (rooms-store.js upserts)."""
    app.config["ROOMS_QUESTION_FANOUT_SECONDS"] = WINDOW
    app.config["ROOMS_JOIN_SNAPSHOT_SECONDS"] = snapshot_seconds
    alice = joined(cast.alice, cast.thematic)  # builds the room's shared part (kept when 60 s)
    before = [ask(alice, cast.thematic, f"Before the join {n}") for n in range(2)]

    carol = live_client(attendee(make_user, make_registration, cast, "Carol Late"))
    state = call(carol, "join", {"session_id": cast.thematic})["state"]
    after = ask(alice, cast.thematic, "After the join")
    drain(alice)

    in_state = [q["id"] for q in state["questions"]]
    if snapshot_seconds:
        assert in_state == []  # the shared part predates the questions: the batch must bring them
    else:
        assert sorted(in_state) == before
    sent = [q["id"] for p in packets(carol) for q in p["questions"]]
    assert len(sent) == len(set(sent))  # no question twice in the batches
    assert sent == [*before, after]  # the whole waiting batch reaches the socket, in order

    # What the page shows: the state, then each question of a packet it does not hold yet.
    shown = list(in_state)
    shown += [question_id for question_id in sent if question_id not in in_state]
    assert sorted(shown) == sorted([*before, after])  # every question, once
    time.sleep(0.3)
    assert batched(carol) == []


def test_nothing_about_a_question_overtakes_its_batch(app, cast, joined):
    app.config["ROOMS_QUESTION_FANOUT_SECONDS"] = 60.0  # only the moderation below sends it
    alice, bob = joined(cast.alice, cast.thematic), joined(cast.bob, cast.thematic)
    mod = joined(cast.moderator, cast.thematic)
    drain(alice, bob)  # the presence of the later joins
    first = ask(alice, cast.thematic, "Pin me")
    second = ask(alice, cast.thematic, "Dismiss me")
    drain(alice, mod)
    assert received(bob) == []

    assert call(mod, "question:moderate", {"question_id": first, "action": "pin"})["ok"]
    events = qa_events(bob)
    assert [name for name, _ in events] == ["questions:new", "question:updated"]
    assert [q["id"] for q in events[0][1]["questions"]] == [first, second]
    assert events[1][1]["question"]["id"] == first and events[1][1]["question"]["pinned"] is True

    third = ask(alice, cast.thematic, "Gone before it was sent")
    assert call(mod, "question:moderate", {"question_id": third, "action": "dismiss"})["ok"]
    events = qa_events(bob)
    assert [name for name, _ in events] == ["questions:new", "question:removed"]
    assert [q["id"] for q in events[0][1]["questions"]] == [third]


def test_an_upvote_total_never_reaches_the_room_before_its_question(app, cast, joined):
    app.config["ROOMS_QUESTION_FANOUT_SECONDS"] = 60.0
    app.config["ROOMS_JOIN_SNAPSHOT_SECONDS"] = 0
    alice = joined(cast.alice, cast.thematic)
    bob = joined(cast.bob, cast.thematic)
    asked = ask(alice, cast.thematic, "Early vote")
    drain(alice)
    # Bob knows it from a fresh join state (read after the commit), and votes before the batch left.
    state = call(bob, "join", {"session_id": cast.thematic})["state"]
    assert [q["id"] for q in state["questions"]] == [asked]
    drain(bob)
    assert call(bob, "question:vote", {"question_id": asked})["ok"]
    events = qa_events(alice)
    assert [name for name, _ in events] == ["questions:new", "questions:updated"]
    assert events[0][1]["questions"][0]["votes"] == 0 and events[1][1]["questions"][0]["votes"] == 1


def test_the_upvote_totals_of_a_window_leave_as_one_packet_current_when_it_leaves(
    app, cast, joined, make_user, make_registration
):
    alice = joined(cast.alice, cast.thematic)
    questions = [ask(alice, cast.thematic, f"Vote {n}") for n in range(3)]
    voters = [
        joined(attendee(make_user, make_registration, cast, f"Voter {n}"), cast.thematic) for n in range(2)
    ]
    drain(alice, *voters)
    app.config["ROOMS_UPVOTE_COALESCE_SECONDS"] = WINDOW
    started = time.monotonic()
    for voter in voters:
        for question_id in questions[:2]:
            assert call(voter, "question:vote", {"question_id": question_id})["ok"]
    assert call(voters[0], "question:vote", {"question_id": questions[2]})["ok"]
    assert time.monotonic() - started < WINDOW

    [packet] = packets(alice, "questions:updated")
    assert packet["session_id"] == cast.thematic
    assert sorted((q["id"], q["votes"]) for q in packet["questions"]) == [
        (questions[0], 2),
        (questions[1], 2),
        (questions[2], 1),
    ]
