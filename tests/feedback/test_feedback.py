"""Session feedback: only people who attended (online or on site), once the session is over, once each;
organisers read the results with a chart and export them."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

from after_talk_support import door_entry, online_visit
from conftest import post_form
from rooms.support import call
from sqlalchemy import func, select

from conference.db_types import utcnow
from conference.extensions import db
from conference.feedback import services
from conference.feedback.models import FeedbackQuestion, FeedbackResponse
from conference.programme.models import ProgrammeSession


def _api(past, session_id):
    return f"/api/v1/me/feedback/{session_id}"


def _csrf_headers(client):
    from conftest import csrf_token

    return {"X-CSRFToken": csrf_token(client)}


def _send(client, past, session_id, ratings, comment=""):
    return client.post(
        _api(past, session_id),
        json={"ratings": ratings, "comment": comment},
        headers=_csrf_headers(client),
    )


def _question_ids(client, past, session_id):
    state = client.get(_api(past, session_id)).get_json()
    return [q["id"] for q in state["questions"]], state


def _responses(app):
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(FeedbackResponse))


def test_an_online_attendee_answers_once(app, past, logged_in_client):
    online_visit(app, past.alice, past.thematic)
    alice = logged_in_client(past.alice)
    ids, state = _question_ids(alice, past, past.thematic)
    assert state["status"] == "open" and len(ids) == 3  # the default questions
    ratings = {str(i): 4 for i in ids}
    sent = _send(alice, past, past.thematic, ratings, "Useful")
    assert sent.status_code == 201 and sent.get_json()["status"] == "answered"
    again = _send(alice, past, past.thematic, ratings)
    assert again.status_code == 409 and again.get_json()["error"]["code"] == "already_answered"
    assert _responses(app) == 1


def test_an_on_site_attendee_from_the_door_list_answers(app, past, logged_in_client):
    door_entry(app, past.registrations[past.bob.id], past.thematic)
    bob = logged_in_client(past.bob)
    ids, state = _question_ids(bob, past, past.thematic)
    assert state["status"] == "open"
    assert _send(bob, past, past.thematic, {str(i): 5 for i in ids}).status_code == 201


def test_people_who_did_not_attend_are_refused(app, past, logged_in_client):
    online_visit(app, past.alice, past.plenary)  # attended another session
    alice = logged_in_client(past.alice)
    ids, state = _question_ids(alice, past, past.thematic)
    assert state["status"] == "not_attended" and ids == []
    with app.app_context():
        question_ids = [q.id for q in services.questions(db.session, db.session.merge(past.event))]
    refused = _send(alice, past, past.thematic, {str(i): 3 for i in question_ids})
    assert refused.status_code == 403 and refused.get_json()["error"]["code"] == "not_attended"
    page = alice.get(f"/events/{past.event.slug}/sessions/{past.thematic}/feedback")
    assert b'data-feedback-status="not_attended"' in page.data
    assert _responses(app) == 0


def test_the_survey_opens_when_the_session_is_over_or_its_room_closed(
    app, past, logged_in_client, live_client
):
    with app.app_context():
        session = db.session.get(ProgrammeSession, past.thematic)
        session.starts_at = utcnow() - timedelta(minutes=20)
        session.ends_at = utcnow() + timedelta(hours=1)
        db.session.commit()
    online_visit(app, past.alice, past.thematic, minutes=10)
    alice = logged_in_client(past.alice)
    _, state = _question_ids(alice, past, past.thematic)
    assert state["status"] == "not_over"
    with app.app_context():
        question_ids = [q.id for q in services.questions(db.session, db.session.merge(past.event))]
    early = _send(alice, past, past.thematic, {str(i): 3 for i in question_ids})
    assert early.status_code == 409 and early.get_json()["error"]["code"] == "session_not_over"
    moderator = live_client(past.moderator)
    assert call(moderator, "room:close", {"session_id": past.thematic})["ok"]
    _, state = _question_ids(alice, past, past.thematic)
    assert state["status"] == "open"


def test_bad_answers_are_a_clear_400_and_store_nothing(app, past, logged_in_client):
    online_visit(app, past.alice, past.thematic)
    alice = logged_in_client(past.alice)
    ids, _ = _question_ids(alice, past, past.thematic)
    for ratings in (
        {str(ids[0]): 5},  # a question left out
        {str(i): 6 for i in ids},
        {str(i): 0 for i in ids},
    ):
        response = _send(alice, past, past.thematic, ratings)
        assert response.status_code == 400, ratings
        assert response.get_json()["error"]["code"] == "invalid_rating"
    too_long = _send(alice, past, past.thematic, {str(i): 3 for i in ids}, "x" * 2001)
    assert too_long.status_code == 400 and too_long.get_json()["error"]["code"] == "invalid_request"
    junk = alice.post(_api(past, past.thematic), data="nope", headers=_csrf_headers(alice))
    assert junk.status_code == 400
    assert alice.get(_api(past, 999999)).status_code == 404
    assert app.test_client().get(_api(past, past.thematic)).status_code == 401
    assert _responses(app) == 0


def test_the_survey_page_form(app, past, logged_in_client):
    online_visit(app, past.alice, past.thematic)
    alice = logged_in_client(past.alice)
    url = f"/events/{past.event.slug}/sessions/{past.thematic}/feedback"
    page = alice.get(url)
    assert b'data-feedback-status="open"' in page.data
    ids, _ = _question_ids(alice, past, past.thematic)
    missing = post_form(alice, url, {f"q{ids[0]}": "4"})
    assert missing.status_code == 400 and b"data-feedback-error" in missing.data
    sent = post_form(alice, url, {**{f"q{i}": "4" for i in ids}, "comment": "<b>bold</b>"})
    assert sent.status_code == 303
    assert b'data-feedback-status="answered"' in alice.get(url).data


def test_my_registrations_lists_the_surveys_due(app, past, logged_in_client):
    online_visit(app, past.alice, past.thematic)
    alice = logged_in_client(past.alice)
    page = alice.get("/me/registrations").data.decode()
    assert "data-feedback-due" in page and f"/sessions/{past.thematic}/feedback" in page
    assert f"/sessions/{past.plenary}/feedback" not in page  # not attended
    ids, _ = _question_ids(alice, past, past.thematic)
    assert _send(alice, past, past.thematic, {str(i): 2 for i in ids}).status_code == 201
    assert "data-feedback-due" not in alice.get("/me/registrations").data.decode()


def test_organisers_see_results_with_a_chart_and_export_csv(app, past, logged_in_client, make_user):
    online_visit(app, past.alice, past.thematic)
    door_entry(app, past.registrations[past.bob.id], past.thematic)
    alice, bob = logged_in_client(past.alice), logged_in_client(past.bob)
    ids, _ = _question_ids(alice, past, past.thematic)
    _send(alice, past, past.thematic, {str(i): 4 for i in ids}, "=HYPERLINK(1)")
    _send(bob, past, past.thematic, {str(i): 2 for i in ids}, "Too short")
    organiser = logged_in_client(past.organiser)
    page = organiser.get(f"/manage/events/{past.event.slug}/feedback").data.decode()
    assert "<svg" in page and 'data-value="3.0"' in page and "3.00 / 5 (2 answers)" in page
    assert "Too short" in page
    exported = organiser.get(f"/manage/events/{past.event.slug}/feedback.csv")
    assert exported.status_code == 200 and exported.mimetype == "text/csv"
    rows = list(csv.reader(io.StringIO(exported.data.decode())))
    assert rows[0][:3] == ["session_id", "session", "answered_at"] and len(rows) == 3
    assert {r[-1] for r in rows[1:]} == {"'=HYPERLINK(1)", "Too short"}  # no formula reaches a spreadsheet
    assert "Alice" not in exported.data.decode()  # answers carry no name
    for who in (alice, logged_in_client(past.moderator)):
        assert who.get(f"/manage/events/{past.event.slug}/feedback").status_code == 403
        assert who.get(f"/manage/events/{past.event.slug}/feedback.csv").status_code == 403


def test_organisers_set_the_events_questions(app, past, logged_in_client):
    organiser = logged_in_client(past.organiser)
    url = f"/manage/events/{past.event.slug}/feedback/questions"
    assert post_form(organiser, url, {"questions": "\n  \n"}).status_code == 400
    assert post_form(organiser, url, {"questions": "x" * 201}).status_code == 400
    assert post_form(logged_in_client(past.alice), url, {"questions": "Mine?"}).status_code == 403
    assert (
        post_form(organiser, url, {"questions": "Was it useful?\nWould you come again?"}).status_code == 303
    )
    online_visit(app, past.alice, past.thematic)
    _, state = _question_ids(logged_in_client(past.alice), past, past.thematic)
    assert [q["label"] for q in state["questions"]] == ["Was it useful?", "Would you come again?"]
    with app.app_context():
        retired = db.session.scalars(select(FeedbackQuestion).where(FeedbackQuestion.active.is_(False))).all()
        assert len(retired) == 3  # the defaults, kept for the answers given to them


def test_one_answer_per_person_and_session_is_a_database_rule(app, past):
    import pytest
    from sqlalchemy.exc import IntegrityError

    with app.app_context():
        for _ in range(2):
            db.session.add(
                FeedbackResponse(
                    event_id=past.event.id, session_id=past.thematic, user_id=past.alice.id, ratings={}
                )
            )
        with pytest.raises(IntegrityError):
            db.session.commit()
