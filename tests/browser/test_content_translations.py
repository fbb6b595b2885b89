"""Organisers' texts in the viewer's language, in Chromium: the moderator writes a poll with its French
translation in the console's editor and launches it; a French-speaking participant's live page shows
the French question and options, an English one the original; the agenda shows a session's title
translated."""

from __future__ import annotations

from browser_support import sign_in

from conference.extensions import db
from conference.programme.models import ProgrammeSession


def test_a_poll_written_with_its_translation_reaches_each_viewer_in_their_language(
    app, make_event, make_user, make_registration, live_server, browser
):
    event = make_event("symposium")
    with app.app_context():
        plenary = db.session.query(ProgrammeSession).filter_by(event_id=event.id, kind="plenary").one()
        plenary.translations = {"title": {"fr": "Séance d'ouverture"}}
        db.session.commit()
        plenary_id = plenary.id
    claire, anna = make_user(name="Claire Dupont"), make_user(name="Anna Smith")
    for person in (claire, anna):
        make_registration(person, event, "online")
    moderator = make_user("moderator", name="Mona Moderator")
    room = f"{live_server}/events/symposium/sessions/{plenary_id}"

    french_context, french = sign_in(browser, live_server, claire)
    french_context.add_cookies([{"name": "lang", "value": "fr", "url": live_server}])
    french.goto(f"{live_server}/events/symposium/agenda")
    assert french.locator(".agenda-item a", has_text="Séance d'ouverture").count() == 1
    french.goto(f"{room}/live")
    french.wait_for_function("window.Live && Live.state() !== null")
    assert french.locator("h1 [data-session-title]").inner_text() == "Séance d'ouverture"
    _context, english = sign_in(browser, live_server, anna)
    english.goto(f"{room}/live")
    english.wait_for_function("window.Live && Live.state() !== null")

    _context, console = sign_in(browser, live_server, moderator)
    console.goto(f"{room}/moderate")
    console.wait_for_function("window.Live && Live.state() !== null")
    console.fill("#poll-title", "Ready to start?")
    console.fill("#poll-options", "Yes\nNot yet")
    console.click("[data-poll-translations] summary")
    console.fill("#poll-title-fr", "Prêts à commencer ?")
    console.fill("#poll-options-fr", "Oui\n")  # the second option stays in English
    console.click("#poll-builder [data-launch]")

    french.locator(".poll-card .poll-title", has_text="Prêts à commencer ?").wait_for()
    labels = french.locator(".poll-card label.choice").all_inner_texts()
    assert [label.strip() for label in labels] == ["Oui", "Not yet"]
    english.locator(".poll-card .poll-title", has_text="Ready to start?").wait_for()

    # A translation added once the poll runs reaches the room at once.
    console.locator(".poll-card button", has_text="Translations").click()
    console.fill("#poll-options-fr", "Oui\nPas encore")
    console.click("#poll-builder button[type=submit]")
    french.locator(".poll-card label.choice", has_text="Pas encore").wait_for()
    assert english.locator(".poll-card label.choice", has_text="Not yet").count() == 1
