"""Service-level rules of the live rooms: presence, Q&A, moderation, chat, room settings, rate limits."""

from __future__ import annotations

import pytest
from concurrency_support import run_together
from sqlalchemy import func, select

from conference.accounts.models import User
from conference.errors import ServiceError
from conference.extensions import db as _db
from conference.rooms import services
from conference.rooms.models import ChatMessage, Question, QuestionVote, RateCounter


@pytest.fixture()
def people(db, cast):
    """The cast's users attached to this test's database session."""
    return {name: db.get(User, getattr(cast, name).id) for name in ("alice", "bob", "moderator", "outsider")}


def error_code(call, *args, **kwargs) -> str:
    with pytest.raises(ServiceError) as caught:
        call(*args, **kwargs)
    return caught.value.code


def count(db, model, *where) -> int:
    return db.scalar(select(func.count()).select_from(model).where(*where))


# --- presence --------------------------------------------------------------------------------


def test_presence_counts_distinct_people_and_one_room_per_socket(db, cast, people):
    services.join_room(db, people["alice"], cast.plenary, "sid-a1")
    services.join_room(db, people["alice"], cast.plenary, "sid-a2")
    services.join_room(db, people["bob"], cast.plenary, "sid-b1")
    assert services.online_count(db, cast.plenary) == 2
    services.join_room(db, people["alice"], cast.thematic, "sid-a1")
    assert services.current_room_of(db, "sid-a1") == cast.thematic
    assert services.online_count(db, cast.plenary) == 2  # a2 is still there
    assert services.leave_room(db, "sid-a2") == cast.plenary
    assert services.online_count(db, cast.plenary) == 1
    assert services.leave_room(db, "sid-a2") is None
    assert services.leave_room(db, "sid-b1", session_id=cast.thematic) is None  # not in that room
    assert services.current_room_of(db, "sid-b1") == cast.plenary


def test_join_is_for_registered_people_and_organisers(db, cast, people):
    assert error_code(services.join_room, db, people["outsider"], cast.plenary, "s") == "not_registered"
    assert error_code(services.join_room, db, people["alice"], 424242, "s") == "session_not_found"
    assert services.join_room(db, people["moderator"], cast.workshop, "m")["is_moderator"] is True


# --- questions -------------------------------------------------------------------------------


def test_moderated_rooms_queue_questions_and_open_rooms_publish_them(db, cast, people):
    queued = services.ask_question(db, people["alice"], cast.plenary, "  Why?  ")
    assert queued.status == "pending" and queued.text == "Why?"
    published = services.ask_question(db, people["alice"], cast.thematic, "How?")
    assert published.status == "approved"


def test_question_text_rules(db, cast, people):
    alice = people["alice"]
    assert error_code(services.ask_question, db, alice, cast.plenary, "   ") == "empty_text"
    assert error_code(services.ask_question, db, alice, cast.plenary, "x" * 501) == "text_too_long"
    assert error_code(services.ask_question, db, alice, cast.plenary, "a\x00b") == "invalid_text"
    assert services.ask_question(db, alice, cast.plenary, "é" * 500).text == "é" * 500
    assert count(db, Question) == 1


def test_script_is_stored_as_typed(db, cast, people):
    text = '<script>alert("x")</script> & <b>bold</b>'
    question = services.ask_question(db, people["alice"], cast.thematic, text)
    db.expire_all()
    assert db.get(Question, question.id).text == text


def test_outsiders_cannot_ask(db, cast, people):
    assert error_code(services.ask_question, db, people["outsider"], cast.plenary, "Hi") == "not_registered"
    assert count(db, Question) == 0


def test_participants_see_public_questions_and_only_their_own_pending(db, cast, people):
    alice, bob, mod = people["alice"], people["bob"], people["moderator"]
    mine = services.ask_question(db, alice, cast.plenary, "Alice pending")
    services.ask_question(db, bob, cast.plenary, "Bob pending")
    public = services.ask_question(db, bob, cast.plenary, "Bob approved", anonymous=True)
    services.moderate_question(db, mod, public.id, "approve")
    room = services.get_room(db, services.get_live_session(db, cast.plenary))

    seen_by_alice = {q["text"]: q for q in services.visible_questions(db, alice, cast.plenary, room)}
    assert set(seen_by_alice) == {"Alice pending", "Bob approved"}
    assert (
        seen_by_alice["Alice pending"]["status"] == "pending"
        and seen_by_alice["Alice pending"]["author"]["id"] == alice.id
    )
    assert "author" not in seen_by_alice["Bob approved"]  # anonymous

    seen_by_mod = {q["text"]: q for q in services.visible_questions(db, mod, cast.plenary, room)}
    assert set(seen_by_mod) == {"Alice pending", "Bob pending", "Bob approved"}
    assert seen_by_mod["Bob approved"]["author"] == {"id": bob.id, "name": "Bob Voter"}
    assert mine.id in {q["id"] for q in seen_by_mod.values()}


def test_a_vote_counts_once_and_can_be_taken_back(db, cast, people):
    question = services.ask_question(db, people["alice"], cast.thematic, "Votes?")
    services.vote(db, people["bob"], question.id)
    assert error_code(services.vote, db, people["bob"], question.id) == "already_voted"
    services.vote(db, people["alice"], question.id)
    assert services.vote_count(db, question.id) == 2
    assert services.my_votes(db, people["bob"].id, cast.thematic) == [question.id]
    services.unvote(db, people["bob"], question.id)
    assert error_code(services.unvote, db, people["bob"], question.id) == "not_voted"
    assert services.vote_count(db, question.id) == 1


def test_simultaneous_votes_by_one_person_leave_one_vote(app, cast, people, db):
    question = services.ask_question(db, people["alice"], cast.thematic, "Race?")
    outcomes = run_together(
        app, lambda _n: services.vote(_db.session, _db.session.get(User, cast.bob.id), question.id), 8
    )
    assert outcomes == ["already_voted"] * 7 + ["ok"]
    assert count(db, QuestionVote, QuestionVote.question_id == question.id) == 1


def test_pending_and_dismissed_questions_cannot_be_voted(db, cast, people):
    pending = services.ask_question(db, people["alice"], cast.plenary, "Pending")
    assert error_code(services.vote, db, people["bob"], pending.id) == "question_not_found"
    services.moderate_question(db, people["moderator"], pending.id, "dismiss")
    assert error_code(services.vote, db, people["bob"], pending.id) == "question_not_found"
    assert error_code(services.vote, db, people["bob"], 987654) == "question_not_found"


def test_only_moderators_moderate(db, cast, people):
    question = services.ask_question(db, people["alice"], cast.plenary, "Queue me")
    for action in ("approve", "dismiss", "answer", "pin", "unpin", "edit"):
        assert (
            error_code(services.moderate_question, db, people["bob"], question.id, action, "x") == "forbidden"
        )
    db.expire_all()
    assert db.get(Question, question.id).status == "pending"


def test_moderation_transitions(db, cast, people):
    mod = people["moderator"]
    question = services.ask_question(db, people["alice"], cast.plenary, "Typo questoin")
    assert error_code(services.moderate_question, db, mod, question.id, "answer") == "invalid_transition"
    assert error_code(services.moderate_question, db, mod, question.id, "pin") == "invalid_transition"
    services.moderate_question(db, mod, question.id, "edit", "Typo question")
    assert question.text == "Typo question" and question.edited is True
    assert error_code(services.moderate_question, db, mod, question.id, "edit", "") == "empty_text"
    assert error_code(services.moderate_question, db, mod, question.id, "edit", "y" * 501) == "text_too_long"
    services.moderate_question(db, mod, question.id, "approve")
    assert error_code(services.moderate_question, db, mod, question.id, "approve") == "invalid_transition"
    services.moderate_question(db, mod, question.id, "answer")
    assert question.status == "answered"
    services.moderate_question(db, mod, question.id, "dismiss")
    assert question.status == "dismissed"
    assert error_code(services.moderate_question, db, mod, question.id, "approve") == "invalid_transition"
    assert error_code(services.moderate_question, db, mod, 55555, "approve") == "question_not_found"


def test_one_question_is_pinned_at_a_time(db, cast, people):
    mod = people["moderator"]
    first = services.ask_question(db, people["alice"], cast.thematic, "First")
    second = services.ask_question(db, people["bob"], cast.thematic, "Second")
    services.moderate_question(db, mod, first.id, "pin")
    _, changes = services.moderate_question(db, mod, second.id, "pin")
    assert changes["unpinned"].id == first.id
    views = {q: services.question_views(db, q)["public"]["pinned"] for q in (first, second)}
    assert views == {first: False, second: True}
    assert error_code(services.moderate_question, db, mod, first.id, "unpin") == "not_pinned"
    services.moderate_question(db, mod, second.id, "dismiss")  # a dismissed question goes off air
    assert services.get_room(db, services.get_live_session(db, cast.thematic)).pinned_question_id is None


# --- room settings ---------------------------------------------------------------------------


def test_moderation_switch_and_closing_are_for_moderators(db, cast, people):
    assert error_code(services.set_moderated, db, people["alice"], cast.plenary, False) == "forbidden"
    assert error_code(services.close_room, db, people["alice"], cast.plenary) == "forbidden"
    room = services.set_moderated(db, people["moderator"], cast.plenary, False)
    assert room.moderated is False
    assert services.ask_question(db, people["alice"], cast.plenary, "Now direct").status == "approved"


def test_a_closed_room_accepts_no_question_vote_or_chat(db, cast, people):
    question = services.ask_question(db, people["alice"], cast.thematic, "Before closing")
    room = services.close_room(db, people["moderator"], cast.thematic)
    assert room.is_closed
    alice = people["alice"]
    assert error_code(services.ask_question, db, alice, cast.thematic, "After") == "room_closed"
    assert error_code(services.vote, db, people["bob"], question.id) == "room_closed"
    assert error_code(services.send_chat, db, alice, cast.thematic, "hello?") == "room_closed"
    state = services.join_room(db, alice, cast.thematic, "late-sid")  # still readable
    assert state["session"]["closed"] is True and [q["id"] for q in state["questions"]] == [question.id]
    services.reopen_room(db, people["moderator"], cast.thematic)
    assert services.send_chat(db, alice, cast.thematic, "back").text == "back"


# --- chat ------------------------------------------------------------------------------------


def test_chat_is_stored_as_typed_and_deleted_by_moderators_only(db, cast, people):
    message = services.send_chat(db, people["alice"], cast.plenary, "<img src=x onerror=alert(1)>")
    assert services.chat_tail(db, cast.plenary)[0]["text"] == "<img src=x onerror=alert(1)>"
    assert error_code(services.delete_chat, db, people["bob"], message.id) == "forbidden"
    services.delete_chat(db, people["moderator"], message.id)
    assert error_code(services.delete_chat, db, people["moderator"], message.id) == "already_deleted"
    assert error_code(services.delete_chat, db, people["moderator"], 31337) == "message_not_found"
    assert services.chat_tail(db, cast.plenary) == []
    assert count(db, ChatMessage) == 1  # kept for the record


def test_chat_rules(db, cast, people):
    assert error_code(services.send_chat, db, people["alice"], cast.plenary, "z" * 1001) == "text_too_long"
    assert error_code(services.send_chat, db, people["alice"], cast.plenary, " \n ") == "empty_text"
    assert error_code(services.send_chat, db, people["outsider"], cast.plenary, "hi") == "not_registered"
    assert services.send_chat(db, people["alice"], cast.plenary, "z" * 1000)


def test_the_chat_tail_keeps_the_last_fifty_in_order(app, db, cast, people):
    app.config["ROOMS_RATE_LIMITS"] = {"chat": (1000, 60)}
    for n in range(55):
        services.send_chat(db, people["alice"], cast.plenary, f"line {n}")
    tail = services.chat_tail(db, cast.plenary)
    assert [m["text"] for m in tail] == [f"line {n}" for n in range(5, 55)]


# --- flood control ---------------------------------------------------------------------------


def test_a_flood_of_questions_is_slowed_down_with_an_error(app, db, cast, people):
    app.config["ROOMS_RATE_LIMITS"] = {"question": (3, 3600)}
    for n in range(3):
        services.ask_question(db, people["alice"], cast.thematic, f"q{n}")
    assert error_code(services.ask_question, db, people["alice"], cast.thematic, "q3") == "rate_limited"
    assert count(db, Question) == 3
    # Another person is not slowed down by Alice's flood.
    assert services.ask_question(db, people["bob"], cast.thematic, "mine").status == "approved"


def test_a_flood_of_chat_lines_is_slowed_down(app, db, cast, people):
    app.config["ROOMS_RATE_LIMITS"] = {"chat": (2, 3600)}
    services.send_chat(db, people["alice"], cast.plenary, "1")
    services.send_chat(db, people["alice"], cast.plenary, "2")
    assert error_code(services.send_chat, db, people["alice"], cast.plenary, "3") == "rate_limited"
    assert count(db, ChatMessage) == 2


def test_refused_actions_do_not_use_up_the_allowance(app, db, cast, people):
    app.config["ROOMS_RATE_LIMITS"] = {"question": (1, 3600)}
    assert error_code(services.ask_question, db, people["alice"], cast.thematic, "x" * 600) == "text_too_long"
    assert services.ask_question(db, people["alice"], cast.thematic, "fine").id


def test_simultaneous_requests_share_one_counter(app, db, cast, people):
    app.config["ROOMS_RATE_LIMITS"] = {"chat": (3, 3600)}
    outcomes = run_together(
        app,
        lambda n: services.send_chat(
            _db.session, _db.session.get(User, cast.alice.id), cast.plenary, f"m{n}"
        ),
        10,
    )
    assert outcomes == ["ok"] * 3 + ["rate_limited"] * 7
    assert count(db, ChatMessage) == 3
    assert db.scalar(select(func.sum(RateCounter.hits))) == 3


def test_toggling_a_vote_is_slowed_down_too(app, db, cast, people):
    app.config["ROOMS_RATE_LIMITS"] = {"vote": (4, 3600)}
    question = services.ask_question(db, people["alice"], cast.thematic, "Toggle?")
    bob = people["bob"]
    for _ in range(2):
        services.vote(db, bob, question.id)
        services.unvote(db, bob, question.id)
    assert error_code(services.vote, db, bob, question.id) == "rate_limited"
    assert services.vote_count(db, question.id) == 0
    # A refused duplicate vote does not use up the allowance.
    app.config["ROOMS_RATE_LIMITS"] = {"vote": (2, 7200)}
    other = services.ask_question(db, bob, cast.thematic, "Another")
    services.vote(db, people["alice"], question.id)
    assert error_code(services.vote, db, people["alice"], question.id) == "already_voted"
    services.vote(db, people["alice"], other.id)
    assert error_code(services.unvote, db, people["alice"], other.id) == "rate_limited"
