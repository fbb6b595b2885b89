"""The discussion board: questions move when a session's Q&A is over, then people ask, reply, answer and
vote there until the board closes; "My questions" shows each answer wherever it was given."""

from __future__ import annotations

import time
from datetime import timedelta

from conftest import post_form
from rooms.support import call, received
from sqlalchemy import func, select

from conference.board import services
from conference.board.models import BoardQuestion, BoardReply, BoardVote
from conference.db_types import utcnow
from conference.extensions import db
from conference.programme.models import ProgrammeSession, Speaker
from conference.rooms.models import Question


def _joined(live_client, user, session_id):
    client = live_client(user)
    assert call(client, "join", {"session_id": session_id})["ok"]
    return client


def _ask(client, session_id, text, anonymous=False):
    ack = call(client, "question:ask", {"session_id": session_id, "text": text, "anonymous": anonymous})
    assert ack["ok"], ack
    return ack["question"]["id"]


def _board(app, event_id):
    with app.app_context():
        return {
            q.text: (q.user_id, q.anonymous, q.session_id, _votes(q.id))
            for q in db.session.scalars(select(BoardQuestion).where(BoardQuestion.event_id == event_id))
        }


def _votes(question_id):
    return db.session.scalar(
        select(func.count()).select_from(BoardVote).where(BoardVote.question_id == question_id)
    )


def test_closing_the_room_moves_approved_unanswered_questions_with_author_anonymity_and_votes(
    app, past, live_client
):
    alice = _joined(live_client, past.alice, past.thematic)
    bob = _joined(live_client, past.bob, past.thematic)
    mod = _joined(live_client, past.moderator, past.thematic)
    open_q = _ask(alice, past.thematic, "Open question")
    anon_q = _ask(alice, past.thematic, "Anonymous open question", anonymous=True)
    answered_q = _ask(bob, past.thematic, "Answered live")
    dismissed_q = _ask(bob, past.thematic, "Dismissed one")
    assert call(bob, "question:vote", {"question_id": open_q})["ok"]
    assert call(mod, "question:vote", {"question_id": open_q})["ok"]
    assert call(bob, "question:vote", {"question_id": anon_q})["ok"]
    assert call(mod, "question:moderate", {"question_id": answered_q, "action": "answer"})["ok"]
    assert call(mod, "question:moderate", {"question_id": dismissed_q, "action": "dismiss"})["ok"]
    received(alice)

    assert call(mod, "room:close", {"session_id": past.thematic})["ok"]

    assert [e["reason"] for e in received(alice, "session:ended")] == ["closed"]
    assert _board(app, past.event.id) == {
        "Open question": (past.alice.id, False, past.thematic, 2),
        "Anonymous open question": (past.alice.id, True, past.thematic, 1),
    }
    # Closing again (or a second process) moves nothing twice.
    assert call(mod, "room:reopen", {"session_id": past.thematic})["ok"]
    assert call(mod, "room:close", {"session_id": past.thematic})["ok"]
    assert len(_board(app, past.event.id)) == 2
    with app.app_context():
        assert services.move_unanswered(db.session, past.thematic) == 0
        # The live questions stay in their room as they were.
        assert db.session.get(Question, open_q).status == "approved"


def test_pending_questions_of_a_moderated_room_do_not_move(app, past, live_client):
    alice = _joined(live_client, past.alice, past.plenary)  # plenaries are moderated
    mod = _joined(live_client, past.moderator, past.plenary)
    _ask(alice, past.plenary, "Still waiting for the moderator")
    approved = _ask(alice, past.plenary, "Approved and open")
    assert call(mod, "question:moderate", {"question_id": approved, "action": "approve"})["ok"]
    assert call(mod, "room:close", {"session_id": past.plenary})["ok"]
    assert set(_board(app, past.event.id)) == {"Approved and open"}


def test_a_timer_at_the_sessions_end_moves_its_questions_and_tells_the_room(app, past, live_client):
    with app.app_context():
        session = db.session.get(ProgrammeSession, past.thematic)
        session.starts_at = utcnow() - timedelta(minutes=30)
        session.ends_at = utcnow() + timedelta(seconds=1.5)
        db.session.commit()
    alice = _joined(live_client, past.alice, past.thematic)  # the join arms the session's end timer
    _ask(alice, past.thematic, "Asked just before the end")
    assert _board(app, past.event.id) == {}
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and not _board(app, past.event.id):
        time.sleep(0.2)
    assert set(_board(app, past.event.id)) == {"Asked just before the end"}
    assert [e["reason"] for e in received(alice, "session:ended")] == ["ended"]


def test_participants_ask_reply_and_vote_once_on_the_board(app, past, logged_in_client):
    alice, bob = logged_in_client(past.alice), logged_in_client(past.bob)
    url = f"/events/{past.event.slug}/board"
    assert post_form(alice, url + "/questions", {"text": "New on the board?"}).status_code == 303
    with app.app_context():
        question = db.session.scalar(select(BoardQuestion))
        assert (question.user_id, question.session_id, question.anonymous) == (past.alice.id, None, False)
    assert post_form(bob, f"{url}/questions/{question.id}/vote", {}).status_code == 303
    again = post_form(bob, f"{url}/questions/{question.id}/vote", {})
    assert again.status_code == 409 and b"already voted" in again.data
    assert post_form(bob, f"{url}/questions/{question.id}/replies", {"text": "Good point"}).status_code == 303
    with app.app_context():
        assert _votes(question.id) == 1
        [reply] = db.session.scalars(select(BoardReply)).all()
        assert (reply.user_id, reply.is_answer) == (past.bob.id, False)
    page = alice.get(url)
    assert page.status_code == 200 and b"New on the board?" in page.data and b"Good point" in page.data
    # Taking the vote back.
    assert post_form(bob, f"{url}/questions/{question.id}/vote", {"undo": "1"}).status_code == 303
    with app.app_context():
        assert _votes(question.id) == 0


def test_people_not_registered_may_not_use_the_board(app, past, logged_in_client):
    outsider = logged_in_client(past.outsider)
    url = f"/events/{past.event.slug}/board"
    assert outsider.get(url).status_code == 403
    assert post_form(outsider, url + "/questions", {"text": "Let me in"}).status_code == 403
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(BoardQuestion)) == 0


def test_a_written_answer_needs_a_speaker_or_moderator(app, past, logged_in_client, make_user):
    speaker_user = make_user(name="Sam Speaker")
    with app.app_context():
        speaker = db.session.scalar(select(Speaker).where(Speaker.event_id == past.event.id))
        speaker.user_id = speaker_user.id
        db.session.commit()
        question = services.ask(
            db.session, db.session.merge(past.alice), db.session.merge(past.event), "Why?"
        )
        qid = question.id
    url = f"/events/{past.event.slug}/board/questions/{qid}/replies"
    # A participant's "answer" is refused; their reply is only a reply.
    refused = post_form(logged_in_client(past.bob), url, {"text": "I answer", "as_answer": "1"})
    assert refused.status_code == 403
    assert (
        post_form(logged_in_client(past.moderator), url, {"text": "Because.", "as_answer": "1"}).status_code
        == 303
    )
    assert post_form(logged_in_client(speaker_user), url, {"text": "Also because."}).status_code == 303
    with app.app_context():
        replies = db.session.scalars(select(BoardReply).order_by(BoardReply.id)).all()
        assert [(r.text, r.is_answer) for r in replies] == [("Because.", True), ("Also because.", True)]


def test_after_its_period_the_board_is_read_only(app, past, logged_in_client):
    with app.app_context():
        question = services.ask(
            db.session, db.session.merge(past.alice), db.session.merge(past.event), "Before"
        )
        qid = question.id
    organiser = logged_in_client(past.organiser)
    closed_at = (utcnow() - timedelta(hours=1)).astimezone(past.event.tz)
    response = post_form(
        organiser,
        f"/manage/events/{past.event.slug}/board",
        {"closes_at": closed_at.strftime("%Y-%m-%dT%H:%M")},
    )
    assert response.status_code == 303
    bob = logged_in_client(past.bob)
    url = f"/events/{past.event.slug}/board"
    page = bob.get(url)
    assert page.status_code == 200 and b"data-board-closed" in page.data and b"Before" in page.data
    for path, data in (
        ("/questions", {"text": "Too late"}),
        (f"/questions/{qid}/vote", {}),
        (f"/questions/{qid}/replies", {"text": "Too late"}),
    ):
        refused = post_form(bob, url + path, data)
        assert refused.status_code == 409 and b"closed" in refused.data, path
    moderator_answer = post_form(
        logged_in_client(past.moderator), f"{url}/questions/{qid}/replies", {"text": "Late"}
    )
    assert moderator_answer.status_code == 409
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(BoardQuestion)) == 1
        assert db.session.scalar(select(func.count()).select_from(BoardReply)) == 0
        assert db.session.scalar(select(func.count()).select_from(BoardVote)) == 0


def test_only_organisers_set_the_period_and_a_bad_date_is_a_400(app, past, logged_in_client):
    url = f"/manage/events/{past.event.slug}/board"
    assert post_form(logged_in_client(past.alice), url, {"closes_at": "2030-01-01T10:00"}).status_code == 403
    assert post_form(logged_in_client(past.organiser), url, {"closes_at": "not a date"}).status_code == 400
    assert logged_in_client(past.organiser).get(url).status_code == 200


def test_anonymous_names_and_markup_on_the_board(app, past, logged_in_client):
    alice = logged_in_client(past.alice)
    url = f"/events/{past.event.slug}/board"
    post_form(alice, url + "/questions", {"text": "<script>alert(1)</script>", "anonymous": "on"})
    bob_sees = logged_in_client(past.bob).get(url).data
    assert b"&lt;script&gt;alert(1)&lt;/script&gt;" in bob_sees and b"<script>alert(1)" not in bob_sees
    assert b"Alice Asker" not in bob_sees and b"Anonymous" in bob_sees
    assert b"Alice Asker" in logged_in_client(past.moderator).get(url).data
    assert b"Alice Asker" in alice.get(url).data  # the asker sees their own name


def test_bad_input_is_a_clear_4xx(app, past, logged_in_client):
    alice = logged_in_client(past.alice)
    url = f"/events/{past.event.slug}/board"
    assert post_form(alice, url + "/questions", {"text": ""}).status_code == 400
    assert post_form(alice, url + "/questions", {"text": "x" * 501}).status_code == 400
    assert post_form(alice, url + "/questions/999999/vote", {}).status_code == 404
    assert post_form(alice, url + "/questions/999999/replies", {"text": "hi"}).status_code == 404
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(BoardQuestion)) == 0


def test_my_questions_show_each_answer_wherever_it_was_given(app, past, live_client, logged_in_client):
    alice = _joined(live_client, past.alice, past.thematic)
    mod = _joined(live_client, past.moderator, past.thematic)
    answered_live = _ask(alice, past.thematic, "Answered in the room")
    _ask(alice, past.thematic, "Left open in the room")
    assert call(mod, "question:moderate", {"question_id": answered_live, "action": "answer"})["ok"]
    assert call(mod, "room:close", {"session_id": past.thematic})["ok"]
    with app.app_context():
        moved = db.session.scalar(select(BoardQuestion).where(BoardQuestion.text == "Left open in the room"))
        event = db.session.merge(past.event)
        services.answer(db.session, db.session.merge(past.moderator), event, moved.id, "Written on the board")
        services.ask(db.session, db.session.merge(past.alice), event, "Asked on the board")
    page = logged_in_client(past.alice).get("/me/questions").data.decode()
    assert "Answered in the room" in page and "Answered live during the session" in page
    assert "Left open in the room" in page and "Written on the board" in page
    assert "Asked on the board" in page and "On the board" in page
    with app.app_context():
        mine = services.my_questions(db.session, db.session.merge(past.alice))
        assert {q.text: q.status for q in mine} == {
            "Answered in the room": "answered live",
            "Left open in the room": "answered",
            "Asked on the board": "on the board",
        }


def test_a_session_moved_later_keeps_its_questions_until_its_new_end(app, past, live_client):
    from conference import hooks

    with app.app_context():
        session = db.session.get(ProgrammeSession, past.thematic)
        session.starts_at = utcnow() - timedelta(minutes=30)
        session.ends_at = utcnow() + timedelta(seconds=1)
        db.session.commit()
    alice = _joined(live_client, past.alice, past.thematic)  # arms a timer at the first end time
    _ask(alice, past.thematic, "Moved with its session")
    with app.app_context():  # the programme moves the session: an hour later, then two seconds from now
        session = db.session.get(ProgrammeSession, past.thematic)
        session.ends_at = utcnow() + timedelta(hours=1)
        db.session.commit()
    time.sleep(2.5)  # the first timer woke, saw the new end and stood down
    assert _board(app, past.event.id) == {}
    with app.app_context():
        session = db.session.get(ProgrammeSession, past.thematic)
        old = session.ends_at
        session.ends_at = utcnow() + timedelta(seconds=1)
        db.session.commit()
        hooks.session_changed.send(
            past.event.id, session_id=past.thematic, changes={"ends_at": (old, session.ends_at)}
        )
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and not _board(app, past.event.id):
        time.sleep(0.2)
    assert set(_board(app, past.event.id)) == {"Moved with its session"}
    assert [e["reason"] for e in received(alice, "session:ended")] == ["ended"]


def test_a_session_moderator_answers_that_sessions_questions_only(app, past, logged_in_client, make_user):
    from conference.grants.services import grant

    session_mod = make_user(name="Sid Session-Moderator")
    with app.app_context():
        event = db.session.merge(past.event)
        grant(
            db.session,
            event,
            db.session.merge(session_mod),
            "moderator",
            session=db.session.get(ProgrammeSession, past.thematic),
        )
        db.session.add(
            Question(
                session_id=past.thematic, user_id=past.alice.id, text="From the session", status="approved"
            )
        )
        db.session.commit()
        services.move_unanswered(db.session, past.thematic)
        from_session = db.session.scalar(
            select(BoardQuestion.id).where(BoardQuestion.session_id == past.thematic)
        )
        on_board = services.ask(db.session, db.session.merge(past.alice), event, "Asked on the board").id
    client = logged_in_client(session_mod)
    url = f"/events/{past.event.slug}/board/questions"
    assert "Post answer" in client.get(f"/events/{past.event.slug}/board").data.decode()
    assert (
        post_form(client, f"{url}/{from_session}/replies", {"text": "Answered", "as_answer": "1"}).status_code
        == 303
    )
    assert (
        post_form(client, f"{url}/{on_board}/replies", {"text": "Mine?", "as_answer": "1"}).status_code == 403
    )
    with app.app_context():
        assert [(r.question_id, r.is_answer) for r in db.session.scalars(select(BoardReply))] == [
            (from_session, True)
        ]


def test_a_fresh_process_catches_up_with_sessions_that_ended_while_no_timer_ran(app, past, live_client):
    from conference.rooms.models import LiveRoom

    with app.app_context():  # left by an earlier process: a room with an open question, its session over
        db.session.add(LiveRoom(session_id=past.thematic, moderated=False))
        db.session.add(
            Question(session_id=past.thematic, user_id=past.alice.id, text="Left over", status="approved")
        )
        db.session.commit()
    assert _board(app, past.event.id) == {}
    bob = _joined(live_client, past.bob, past.plenary)  # the first join in this process catches up
    assert set(_board(app, past.event.id)) == {"Left over"}
    assert received(bob, "session:ended") == []  # nobody is told of an old ending
