"""A refusal on a live page reads in the participant's language (issue 16): the ack keeps its English
`message` and its code, and the page says the sentence the catalogue gives for that code."""

from __future__ import annotations

from browser_support import sign_in, switch_language
from flask_babel import force_locale
from sqlalchemy import select

from conference.errors import ServiceError
from conference.extensions import db
from conference.i18n.messages import BY_CODE, page_message
from conference.programme.models import ProgrammeSession
from conference.rooms.polls import services as polls
from conference.rooms.polls.models import Poll, PollOption


def in_language(app, code: str, language: str) -> str:
    with app.test_request_context("/"), force_locale(language):
        return str(BY_CODE[code])


def test_a_vote_on_a_poll_that_closed_meanwhile_is_refused_in_arabic(
    app, make_event, make_user, make_registration, live_server, browser
):
    event = make_event("symposium")
    amina = make_user(name="Amina Haddad")
    make_registration(amina, event, "online")
    moderator = make_user("moderator", name="Mona Moderator")
    with app.app_context():
        session_id = (
            db.session.query(ProgrammeSession.id).filter_by(event_id=event.id, kind="plenary").scalar()
        )
        mona = db.session.merge(moderator)
        spec = polls.PollSpec(title="Which priority first?", kind="single", options=["Health", "Education"])
        poll_id = polls.create_poll(db.session, mona, session_id, spec).id
        polls.open_poll(db.session, mona, poll_id)
        option_id = db.session.scalars(select(PollOption.id).where(PollOption.poll_id == poll_id)).first()

    context, page = sign_in(browser, live_server, amina)
    switch_language(page, "ar")
    page.goto(f"{live_server}/events/symposium/sessions/{session_id}/live")
    page.wait_for_function("window.Live && Live.state() !== null")
    card = page.locator(".poll-card", has_text="Which priority first?")
    card.get_by_label("Education").check()

    # The poll closes while the page has not heard of it yet (as when the close and the vote cross).
    with app.app_context():
        polls.close_poll(db.session, db.session.merge(moderator), poll_id)
    ack = page.evaluate(
        "([poll, option]) => Live.emit('poll:vote', {poll_id: poll, choices: [option]})", [poll_id, option_id]
    )  # what the server answers such a vote: its English message and its code
    assert ack["ok"] is False and ack["error"]["code"] == "poll_closed"
    assert ack["error"]["message"] == "this poll is closed"

    card.locator("button.poll-submit").click()
    refusal = card.locator("p.error")
    refusal.wait_for()
    arabic = in_language(app, "poll_closed", "ar")
    assert arabic != str(BY_CODE["poll_closed"])  # a real translation, not the English sentence
    page.wait_for_function(
        "(text) => document.querySelector('.poll-card p.error').textContent === text", arg=arabic
    )
    assert refusal.get_attribute("role") == "alert"
    with app.app_context():
        assert db.session.get(Poll, poll_id).status == "closed"
    context.close()


def test_the_shared_helper_fills_a_refusals_details_and_keeps_an_unknown_codes_message(
    app, make_event, make_user, make_registration, live_server, browser
):
    """errorText (static/js/i18n.js) in a French page: the plural form the error's number picks, the
    values named by its details, and the server's English message for a code it does not know."""
    event = make_event("symposium")
    amina = make_user(name="Amina Haddad")
    make_registration(amina, event, "online")
    with app.app_context():
        session_id = (
            db.session.query(ProgrammeSession.id).filter_by(event_id=event.id, kind="plenary").scalar()
        )
    context, page = sign_in(browser, live_server, amina)
    switch_language(page, "fr")
    page.goto(f"{live_server}/events/symposium/sessions/{session_id}/live")
    page.wait_for_function("window.Live && Live.state() !== null")
    said = page.evaluate(
        """async () => {
          const { errorText } = await import('/static/js/i18n.js');
          return [
            errorText({code: 'too_many_attempts', message: 'x', details: {retry_after: 1}}),
            errorText({code: 'too_many_attempts', message: 'x', details: {retry_after: 30}}),
            errorText({code: 'too_many_attempts', message: 'x'}),
            errorText({code: 'room_taken', message: 'x',
                       details: {room: 'Salle A', taken_by: 'Ouverture', when: '10:00'}}),
            errorText({code: 'brand_new_code', message: 'something new'}),
            errorText(null, 'repli'),
          ];
        }"""
    )
    # the very sentences the pages show (i18n/messages.py) for the same errors
    errors = [
        ServiceError("too_many_attempts", "x", retry_after=1),
        ServiceError("too_many_attempts", "x", retry_after=30),
        ServiceError("too_many_attempts", "x"),
        ServiceError("room_taken", "x", room="Salle A", taken_by="Ouverture", when="10:00"),
    ]
    with app.test_request_context("/"), force_locale("fr"):
        assert said[:4] == [page_message(error) for error in errors]
    assert "Veuillez attendre 1 seconde et" in said[0]
    assert "Veuillez attendre 30 secondes et" in said[1]
    assert "Attendez quelques minutes" in said[2]
    assert said[3] == "Salle A est occupée à ce moment-là par « Ouverture » (10:00)."
    assert said[4:] == ["something new", "repli"]
    context.close()
