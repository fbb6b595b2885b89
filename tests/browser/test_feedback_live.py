"""The feedback survey on the live page: a participant in the room when the moderator closes it gets the
survey without reloading, answers it, and the organiser's results count the answer."""

from __future__ import annotations

from browser_support import sign_in
from sqlalchemy import select

from conference.extensions import db
from conference.feedback.models import FeedbackResponse
from conference.programme.models import ProgrammeSession


def test_the_survey_appears_when_the_room_closes_and_is_answered_once(
    app, make_event, make_user, make_registration, live_server, browser
):
    event = make_event("symposium")
    with app.app_context():
        session_id = db.session.scalar(
            select(ProgrammeSession.id).where(
                ProgrammeSession.event_id == event.id, ProgrammeSession.kind == "thematic"
            )
        )
    alice = make_user(name="Alice Attendee")
    make_registration(alice, event, "online")
    moderator = make_user("moderator", name="Mona Moderator")
    room = f"{live_server}/events/symposium/sessions/{session_id}"

    alice_context, participant = sign_in(browser, live_server, alice)
    participant.goto(f"{room}/live")
    participant.wait_for_function("window.Live && Live.state() !== null")
    participant.evaluate("window.__sameDocument = true")
    assert participant.locator("#feedback-box").is_hidden()  # the session is not over

    mod_context, console = sign_in(browser, live_server, moderator)
    console.goto(f"{room}/moderate")
    console.wait_for_function("window.Live && Live.state() !== null")
    console.once("dialog", lambda dialog: dialog.accept())
    console.click("#close-room")

    participant.locator("#feedback-form fieldset").first.wait_for()
    fieldsets = participant.locator("#feedback-form fieldset")
    assert fieldsets.count() == 3
    for i in range(3):
        fieldsets.nth(i).locator("input[value='4']").check()
    participant.fill("#feedback-comment", "<b>Clear</b> and useful")
    participant.click("#feedback-form button[type=submit]")
    participant.wait_for_function(
        "document.getElementById('feedback-note').textContent.includes('Thank you')"
    )
    assert participant.locator("#feedback-form").is_hidden()
    assert participant.evaluate("window.__sameDocument") is True
    with app.app_context():
        [answer] = db.session.scalars(select(FeedbackResponse)).all()
        assert (answer.user_id, answer.session_id, answer.comment) == (
            alice.id,
            session_id,
            "<b>Clear</b> and useful",
        )
        assert sorted(answer.ratings.values()) == [4, 4, 4]
    alice_context.close()
    mod_context.close()
