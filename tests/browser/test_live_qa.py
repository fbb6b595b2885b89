"""Two real browsers in one live room: a participant asks, the moderator approves, the participant
sees the change without reloading; user text stays text; the screen's QR code leads to the room."""

from __future__ import annotations

from browser_support import sign_in

from conference.extensions import db
from conference.programme.models import ProgrammeSession


def plenary_id(app, event) -> int:
    with app.app_context():
        return db.session.query(ProgrammeSession.id).filter_by(event_id=event.id, kind="plenary").scalar()


def test_participant_asks_moderator_approves_participant_sees_it(
    app, make_event, make_user, make_registration, live_server, browser
):
    event = make_event("symposium")
    session_id = plenary_id(app, event)
    alice = make_user(name="Alice Asker")
    make_registration(alice, event, "online")
    moderator = make_user("moderator", name="Mona Moderator")
    room = f"{live_server}/events/symposium/sessions/{session_id}"

    alice_context, participant = sign_in(browser, live_server, alice)
    participant.goto(f"{room}/live")
    participant.wait_for_function("window.Live && Live.state() !== null")
    participant.evaluate("window.__sameDocument = true")
    mod_context, console = sign_in(browser, live_server, moderator)
    console.goto(f"{room}/moderate")
    console.wait_for_function("window.Live && Live.state() !== null")
    participant.wait_for_function("document.querySelector('[data-presence=online]').textContent === '2'")

    question = "<b>Will</b> the <script>alert(1)</script> AI charter be binding?"
    participant.fill("#ask-text", question)
    participant.click("#ask-form button[type=submit]")
    mine = participant.locator(".qa-item", has_text="AI charter")
    mine.wait_for()
    assert "waiting for moderation" in mine.inner_text()
    assert mine.locator(".qa-text").inner_text() == question  # shown as typed, not as HTML

    pending = console.locator("#pending-list .qa-item", has_text="AI charter")
    pending.wait_for()
    assert "Alice Asker" in pending.inner_text()
    pending.locator("button.qa-approve").click()
    console.locator("#qa-list .qa-item", has_text="AI charter").wait_for()

    participant.wait_for_function(
        "() => { const q = document.querySelector('#qa-list .qa-item');"
        " return q && q.classList.contains('qa-approved') && !q.textContent.includes('waiting'); }"
    )
    assert mine.locator("button.qa-vote").is_visible()
    assert participant.evaluate("window.__sameDocument") is True  # no reload happened
    assert (
        participant.locator("#qa-list b").count() == 0 and participant.locator("#qa-list script").count() == 0
    )
    # The moderator closes the room: the participant's forms lock at once; reopening unlocks them.
    console.once("dialog", lambda dialog: dialog.accept())
    console.click("#close-room")
    participant.wait_for_function("document.getElementById('ask-text').disabled")
    assert participant.locator("[data-room-closed]").is_visible()
    console.wait_for_selector("#close-room", state="hidden")
    console.wait_for_selector("#reopen-room", state="visible")
    console.click("#reopen-room")
    participant.wait_for_function("!document.getElementById('ask-text').disabled")
    # The connection drops: the page says so, reconnects by itself and rebuilds from the snapshot.
    participant.evaluate("Live.onState(() => { window.__rejoined = (window.__rejoined || 0) + 1; })")
    banner = participant.evaluate("""() => { Live.socket.io.engine.close();
        const b = document.getElementById('live-banner'); return b.hidden ? null : b.textContent; }""")
    assert banner == "Connection lost — reconnecting…"
    participant.wait_for_function("window.__rejoined === 2 && document.getElementById('live-banner').hidden")
    assert participant.locator("#qa-list .qa-item").count() == 1
    alice_context.close()
    mod_context.close()


def test_the_screen_shows_the_question_on_air_without_the_anonymous_name_and_a_working_qr_code(
    app, make_event, make_user, make_registration, live_server, browser
):
    import io

    import zxingcpp
    from PIL import Image

    from conference.accounts.models import User
    from conference.rooms import services

    event = make_event("symposium")
    session_id = plenary_id(app, event)
    asker = make_user(name="Hidden Asker")
    make_registration(asker, event)
    moderator = make_user("moderator")
    with app.app_context():
        question = services.ask_question(
            db.session,
            db.session.get(User, asker.id),
            session_id,
            "Who funds the observatory?",
            anonymous=True,
        )
        services.moderate_question(db.session, db.session.get(User, moderator.id), question.id, "approve")
        services.moderate_question(db.session, db.session.get(User, moderator.id), question.id, "pin")
    # The screen's browser is signed in as a moderator, whose copy of the question carries the name.
    context, page = sign_in(browser, live_server, moderator)
    page.goto(f"{live_server}/events/symposium/sessions/{session_id}/screen")
    page.wait_for_function("document.querySelector('[data-pinned-text]').textContent.includes('observatory')")
    assert "Hidden Asker" not in page.inner_text("body")
    shot = page.locator(".screen-qr img").screenshot()
    [result] = zxingcpp.read_barcodes(Image.open(io.BytesIO(shot)))
    assert result.text == f"{live_server}/events/symposium/sessions/{session_id}/live"
    context.close()
