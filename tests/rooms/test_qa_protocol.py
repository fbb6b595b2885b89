"""Q&A, chat and room settings over /live, with several clients watching what each one receives."""

from __future__ import annotations

import json
import time

from rooms.support import LIVE, batched, call, drain, received
from sqlalchemy import func, select

from conference.extensions import db
from conference.rooms.models import ChatMessage, LiveRoom, Question, QuestionVote


def everything(client) -> str:
    """All that reached a client, as one string, to prove a name never arrived."""
    return json.dumps(client.get_received(LIVE))


def rows(app, model, *where) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model).where(*where))


def test_a_question_asked_by_one_reaches_the_other(cast, joined):
    alice, bob = joined(cast.alice, cast.thematic), joined(cast.bob, cast.thematic)
    ack = call(alice, "question:ask", {"session_id": cast.thematic, "text": "What about SDG 16?"})
    assert ack["ok"] and ack["question"]["status"] == "approved" and ack["question"]["votes"] == 0
    assert ack["question"]["author"] == {"id": cast.alice.id, "name": "Alice Asker"}
    [new] = batched(bob, "questions:new")
    assert new["text"] == "What about SDG 16?" and new["id"] == ack["question"]["id"]
    assert new["author"]["name"] == "Alice Asker"
    assert set(new) >= {
        "id",
        "session_id",
        "text",
        "votes",
        "status",
        "pinned",
        "anonymous",
        "created_at",
    }


def test_the_anonymous_authors_name_never_reaches_a_participant(cast, joined):
    alice = joined(cast.alice, cast.thematic)
    bob = joined(cast.bob, cast.thematic)
    mod = joined(cast.moderator, cast.thematic)
    ack = call(alice, "question:ask", {"session_id": cast.thematic, "text": "Sensitive?", "anonymous": True})
    qid = ack["question"]["id"]
    call(bob, "question:vote", {"question_id": qid})
    call(mod, "question:moderate", {"question_id": qid, "action": "pin"})
    bob_saw = everything(bob)
    assert (
        "Sensitive?" in bob_saw and "Alice" not in bob_saw and f'"id": {cast.alice.id}, "name"' not in bob_saw
    )
    # Nor through a fresh join state.
    state = call(joined(cast.bob, cast.thematic), "join", {"session_id": cast.thematic})["state"]
    assert "Alice" not in json.dumps(state)
    # Moderators do see who asked.
    mod_new = [q for q in batched(mod, "questions:new") if "author" in q]
    assert mod_new and mod_new[-1]["author"]["name"] == "Alice Asker"
    mod_state = call(mod, "join", {"session_id": cast.thematic})["state"]
    assert mod_state["questions"][0]["author"]["name"] == "Alice Asker"


def test_pending_questions_reach_only_moderators_and_the_asker(app, cast, joined, live_client):
    alice = joined(cast.alice, cast.plenary)
    alice_other_tab = joined(cast.alice, cast.plenary)
    bob = joined(cast.bob, cast.plenary)
    mod = joined(cast.moderator, cast.plenary)
    drain(alice, alice_other_tab, bob)
    ack = call(alice, "question:ask", {"session_id": cast.plenary, "text": "Queued?"})
    assert ack["question"]["status"] == "pending"
    qid = ack["question"]["id"]
    assert received(bob) == []
    assert received(mod, "question:new")[0]["question"]["status"] == "pending"
    assert received(alice_other_tab, "question:new")[0]["question"]["id"] == qid
    # A fresh participant does not get it in the state either; the asker does, marked pending.
    assert call(bob, "join", {"session_id": cast.plenary})["state"]["questions"] == []
    mine = call(alice, "join", {"session_id": cast.plenary})["state"]["questions"]
    assert [(q["id"], q["status"]) for q in mine] == [(qid, "pending")]
    # Approval publishes it to the room.
    received(bob)
    assert call(mod, "question:moderate", {"question_id": qid, "action": "approve"})["ok"]
    [published] = batched(bob, "questions:new")
    assert published["status"] == "approved" and published["text"] == "Queued?"


def test_editing_a_pending_question_stays_among_moderators(cast, joined):
    alice, bob, mod = (
        joined(cast.alice, cast.plenary),
        joined(cast.bob, cast.plenary),
        joined(cast.moderator, cast.plenary),
    )
    drain(alice, bob)
    qid = call(alice, "question:ask", {"session_id": cast.plenary, "text": "Teh question"})["question"]["id"]
    ack = call(mod, "question:moderate", {"question_id": qid, "action": "edit", "text": "The question"})
    assert ack["ok"] and ack["question"]["text"] == "The question" and ack["question"]["edited"] is True
    assert received(bob) == []
    assert received(alice, "question:updated")[-1]["question"]["text"] == "The question"
    call(mod, "question:moderate", {"question_id": qid, "action": "dismiss"})
    assert received(bob) == []
    assert received(alice, "question:removed") == [{"question_id": qid, "session_id": cast.plenary}]


def test_a_vote_twice_counts_once(app, cast, joined):
    alice, bob = joined(cast.alice, cast.thematic), joined(cast.bob, cast.thematic)
    qid = call(alice, "question:ask", {"session_id": cast.thematic, "text": "Vote me"})["question"]["id"]
    first = call(bob, "question:vote", {"question_id": qid})
    assert first["ok"] and first["question"]["votes"] == 1 and first["voted"] is True
    second = call(bob, "question:vote", {"question_id": qid})
    assert second["ok"] is False and second["error"]["code"] == "already_voted"
    assert [u["votes"] for u in batched(alice, "questions:updated")] == [1]
    assert rows(app, QuestionVote) == 1
    assert call(bob, "join", {"session_id": cast.thematic})["state"]["my_votes"] == [qid]
    back = call(bob, "question:unvote", {"question_id": qid})
    assert back["ok"] and back["question"]["votes"] == 0 and back["voted"] is False
    assert batched(alice, "questions:updated")[-1]["votes"] == 0


def _updates_until(client, done, timeout: float = 10.0) -> list[dict]:
    """The questions of the `questions:updated` received until `done(all of them so far)` holds."""
    seen: list[dict] = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        seen += batched(client, "questions:updated")
        if done(seen):
            return seen
        time.sleep(0.02)
    raise AssertionError(f"the updates never settled: {seen}")


def test_a_burst_of_upvotes_leaves_as_few_updates_per_question_the_last_one_current(
    app, cast, make_user, make_registration, joined
):
    interval = 1.0
    app.config["ROOMS_UPVOTE_COALESCE_SECONDS"] = interval
    alice = joined(cast.alice, cast.thematic)
    first = call(alice, "question:ask", {"session_id": cast.thematic, "text": "First"})["question"]["id"]
    second = call(alice, "question:ask", {"session_id": cast.thematic, "text": "Second"})["question"]["id"]
    voters = []
    for n in range(6):
        person = make_user(name=f"Upvoter {n}")
        make_registration(person, cast.event)
        voters.append(joined(person, cast.thematic))
    drain(alice, *voters)

    started = time.monotonic()
    for n, voter in enumerate(voters):
        ack = call(voter, "question:vote", {"question_id": first})
        assert ack["ok"] and ack["question"]["votes"] == n + 1  # each ack is current at once
    assert call(voters[0], "question:vote", {"question_id": second})["ok"]
    windows = int((time.monotonic() - started) / interval) + 1

    def settled(seen):
        last = {u["id"]: u["votes"] for u in seen}
        return last.get(first) == 6 and last.get(second) == 1

    updates = _updates_until(alice, settled)
    of_first = [u["votes"] for u in updates if u["id"] == first]
    assert len(of_first) <= windows < 6, (of_first, windows)  # one per window, not one per upvote
    assert of_first[-1] == 6 and [u["votes"] for u in updates if u["id"] == second] == [1]

    # A later change after the flush leaves too, with the total then.
    assert call(voters[1], "question:unvote", {"question_id": first})["ok"]
    later = _updates_until(alice, bool)
    assert [u["votes"] for u in later] == [5] and later[0]["id"] == first


def test_a_participants_moderate_is_refused_and_nothing_is_broadcast(app, cast, joined):
    alice, bob = joined(cast.alice, cast.plenary), joined(cast.bob, cast.plenary)
    mod = joined(cast.moderator, cast.plenary)
    qid = call(alice, "question:ask", {"session_id": cast.plenary, "text": "Mine"})["question"]["id"]
    drain(alice, bob, mod)
    for action in ("approve", "dismiss", "answer", "pin", "unpin", "edit"):
        ack = call(bob, "question:moderate", {"question_id": qid, "action": action, "text": "hacked"})
        assert ack["ok"] is False and ack["error"]["code"] == "forbidden", action
    for other in (alice, bob, mod):
        assert received(other) == []
    with app.app_context():
        question = db.session.get(Question, qid)
        assert (question.status, question.text) == ("pending", "Mine")
    for event, payload in (
        ("room:settings", {"session_id": cast.plenary, "moderated": False}),
        ("room:close", {"session_id": cast.plenary}),
        ("room:who", {"session_id": cast.plenary}),
    ):
        assert call(bob, event, payload)["error"]["code"] == "forbidden"
    with app.app_context():
        room = db.session.get(LiveRoom, cast.plenary)
        assert room.moderated is True and room.closed_at is None


def test_pin_moves_on_air_and_everyone_sees_both_changes(cast, joined):
    alice, bob, mod = (
        joined(cast.alice, cast.thematic),
        joined(cast.bob, cast.thematic),
        joined(cast.moderator, cast.thematic),
    )
    q1 = call(alice, "question:ask", {"session_id": cast.thematic, "text": "One"})["question"]["id"]
    q2 = call(alice, "question:ask", {"session_id": cast.thematic, "text": "Two"})["question"]["id"]
    call(mod, "question:moderate", {"question_id": q1, "action": "pin"})
    received(bob)
    call(mod, "question:moderate", {"question_id": q2, "action": "pin"})
    updates = {u["question"]["id"]: u["question"]["pinned"] for u in received(bob, "question:updated")}
    assert updates == {q1: False, q2: True}
    call(mod, "question:moderate", {"question_id": q2, "action": "answer"})
    assert received(bob, "question:updated")[-1]["question"]["status"] == "answered"
    call(mod, "question:moderate", {"question_id": q2, "action": "dismiss"})
    assert received(bob, "question:removed") == [{"question_id": q2, "session_id": cast.thematic}]
    state = call(bob, "join", {"session_id": cast.thematic})["state"]
    assert [(q["id"], q["pinned"]) for q in state["questions"]] == [(q1, False)]


def test_bad_question_payloads_change_nothing(app, cast, joined):
    alice = joined(cast.alice, cast.thematic)
    bad = [
        {"session_id": cast.thematic},
        {"session_id": cast.thematic, "text": ""},
        {"session_id": cast.thematic, "text": "x" * 501},
        {"session_id": cast.thematic, "text": 42},
        {"session_id": cast.thematic, "text": "ok", "anonymous": "yes"},
        {"text": "no room"},
    ]
    for payload in bad:
        ack = call(alice, "question:ask", payload)
        assert ack["ok"] is False and ack["error"]["code"] == "invalid_payload", payload
    ack = call(alice, "question:moderate", {"question_id": 1, "action": "delete"})
    assert ack["error"]["code"] == "invalid_payload"
    assert rows(app, Question) == 0


def test_the_room_of_a_question_needs_the_right_to_enter(app, cast, joined, live_client):
    alice = joined(cast.alice, cast.thematic)
    qid = call(alice, "question:ask", {"session_id": cast.thematic, "text": "Q"})["question"]["id"]
    outsider = live_client(cast.outsider)
    assert (
        call(outsider, "question:ask", {"session_id": cast.thematic, "text": "Hi"})["error"]["code"]
        == "not_registered"
    )
    assert call(outsider, "question:vote", {"question_id": qid})["error"]["code"] == "not_registered"
    assert (
        call(outsider, "chat:send", {"session_id": cast.thematic, "text": "Hi"})["error"]["code"]
        == "not_registered"
    )
    assert rows(app, QuestionVote) == 0 and rows(app, ChatMessage) == 0


def test_script_is_stored_as_typed_and_sent_as_text(app, cast, joined):
    alice, bob = joined(cast.alice, cast.thematic), joined(cast.bob, cast.thematic)
    text = "<script>alert('pwned')</script>"
    call(alice, "question:ask", {"session_id": cast.thematic, "text": text})
    call(alice, "chat:send", {"session_id": cast.thematic, "text": text})
    assert batched(bob, "questions:new")[0]["text"] == text
    with app.app_context():
        assert db.session.scalar(select(Question.text)) == text
        assert db.session.scalar(select(ChatMessage.text)) == text


def test_chat_reaches_the_room_and_a_moderator_deletes(app, cast, joined):
    alice, bob = joined(cast.alice, cast.plenary), joined(cast.bob, cast.plenary)
    mod = joined(cast.moderator, cast.plenary)
    drain(alice, bob)
    ack = call(alice, "chat:send", {"session_id": cast.plenary, "text": "Hello room"})
    assert ack["ok"] and ack["message"]["text"] == "Hello room"
    [line] = received(bob, "chat:message")
    assert line["message"]["author"]["name"] == "Alice Asker"
    mid = ack["message"]["id"]
    drain(alice, mod)
    assert call(bob, "chat:delete", {"message_id": mid})["error"]["code"] == "forbidden"
    assert received(alice) == [] and received(mod) == []
    assert call(mod, "chat:delete", {"message_id": mid}) == {"ok": True, "message_id": mid}
    assert received(bob, "chat:deleted") == [{"message_id": mid, "session_id": cast.plenary}]
    assert call(bob, "join", {"session_id": cast.plenary})["state"]["chat"] == []
    too_long = call(alice, "chat:send", {"session_id": cast.plenary, "text": "y" * 1001})
    assert too_long["error"]["code"] == "invalid_payload"


def test_a_flooding_client_gets_an_error_not_a_disconnect(app, cast, joined):
    app.config["ROOMS_RATE_LIMITS"] = {"chat": (3, 3600)}
    alice = joined(cast.alice, cast.plenary)
    acks = [call(alice, "chat:send", {"session_id": cast.plenary, "text": f"spam {n}"}) for n in range(6)]
    assert [a["ok"] for a in acks] == [True] * 3 + [False] * 3
    assert acks[-1]["error"]["code"] == "rate_limited"
    assert alice.is_connected(LIVE)
    assert rows(app, ChatMessage) == 3


def test_moderation_switch_and_closing_reach_the_room(app, cast, joined):
    alice, mod = joined(cast.alice, cast.plenary), joined(cast.moderator, cast.plenary)
    drain(alice)
    ack = call(mod, "room:settings", {"session_id": cast.plenary, "moderated": False})
    assert ack["room"] == {"session_id": cast.plenary, "moderated": False, "closed": False}
    assert received(alice, "room:updated") == [ack["room"]]
    assert (
        call(alice, "question:ask", {"session_id": cast.plenary, "text": "Direct"})["question"]["status"]
        == "approved"
    )
    closed = call(mod, "room:close", {"session_id": cast.plenary})
    assert closed["room"]["closed"] is True
    assert received(alice, "room:updated")[-1]["closed"] is True
    refused = call(alice, "chat:send", {"session_id": cast.plenary, "text": "late"})
    assert refused["error"]["code"] == "room_closed"
    assert call(alice, "join", {"session_id": cast.plenary})["state"]["session"]["closed"] is True
    assert call(mod, "room:reopen", {"session_id": cast.plenary})["room"]["closed"] is False


def test_moderators_see_who_is_online(cast, joined):
    joined(cast.alice, cast.plenary)
    joined(cast.alice, cast.plenary)
    mod = joined(cast.moderator, cast.plenary)
    ack = call(mod, "room:who", {"session_id": cast.plenary})
    assert [p["name"] for p in ack["people"]] == ["Alice Asker", "Mona Moderator"]


def test_reconnect_gives_the_same_state_after_activity(cast, joined, live_client):
    alice, bob = joined(cast.alice, cast.thematic), joined(cast.bob, cast.thematic)
    qid = call(alice, "question:ask", {"session_id": cast.thematic, "text": "Persisted?"})["question"]["id"]
    call(bob, "question:vote", {"question_id": qid})
    call(alice, "chat:send", {"session_id": cast.thematic, "text": "hi"})
    before = call(bob, "join", {"session_id": cast.thematic})["state"]
    bob.disconnect(namespace=LIVE)
    again = live_client(cast.bob)
    after = call(again, "join", {"session_id": cast.thematic})["state"]
    assert after == before
    assert (
        after["my_votes"] == [qid]
        and after["questions"][0]["votes"] == 1
        and after["chat"][0]["text"] == "hi"
    )


def test_an_acknowledged_vote_survives_a_restart(app, cast, joined):
    from conference import create_app
    from conference.accounts.models import User
    from conference.rooms import services

    alice, bob = joined(cast.alice, cast.thematic), joined(cast.bob, cast.thematic)
    qid = call(alice, "question:ask", {"session_id": cast.thematic, "text": "Durable?"})["question"]["id"]
    assert call(bob, "question:vote", {"question_id": qid})["ok"] is True
    restarted = create_app(
        {"ENV_NAME": "testing", "SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"]}
    )
    with restarted.app_context():
        assert services.vote_count(db.session, qid) == 1
        assert services.my_votes(db.session, cast.bob.id, cast.thematic) == [qid]
        assert db.session.get(User, cast.bob.id) is not None
        db.engine.dispose()


def test_a_failed_write_gives_an_error_ack_and_no_broadcast(app, cast, joined):
    from sqlalchemy import text

    alice, bob = joined(cast.alice, cast.thematic), joined(cast.bob, cast.thematic)
    qid = call(alice, "question:ask", {"session_id": cast.thematic, "text": "Q"})["question"]["id"]
    drain(alice, bob)
    with app.app_context():  # the disk "fails" for chat lines and votes from now on
        for table in ("chat_messages", "question_votes"):
            db.session.execute(
                text(
                    f"CREATE TRIGGER fail_{table} BEFORE INSERT ON {table} "
                    "BEGIN SELECT RAISE(ABORT, 'simulated storage failure'); END"
                )
            )
        db.session.commit()
    ack = call(alice, "chat:send", {"session_id": cast.thematic, "text": "lost?"})
    assert ack["ok"] is False and ack["error"]["code"] == "storage_failed"
    ack = call(bob, "question:vote", {"question_id": qid})
    assert ack["ok"] is False and ack["error"]["code"] == "storage_failed"
    assert received(alice) == [] and received(bob) == []
    assert rows(app, ChatMessage) == 0 and rows(app, QuestionVote) == 0
    # The connection is still usable.
    assert call(bob, "join", {"session_id": cast.thematic})["ok"] is True
