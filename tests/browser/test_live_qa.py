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


def test_the_live_page_shows_the_questions_of_a_batched_packet_once_each(
    app, make_event, make_user, make_registration, live_server, browser
):
    """Questions asked within ROOMS_QUESTION_FANOUT_SECONDS reach the room as one `questions:new`:
    the other participant's page lists each of them once (and says "3 new questions" once), the
    asker's page keeps one copy of each although its ack brought it first."""
    app.config["ROOMS_QUESTION_FANOUT_SECONDS"] = 1.0
    event = make_event("symposium")
    with app.app_context():
        session_id = (
            db.session.query(ProgrammeSession.id).filter_by(event_id=event.id, kind="thematic").scalar()
        )
    alice, bob = make_user(name="Alice Asker"), make_user(name="Bob Reader")
    make_registration(alice, event, "online")
    make_registration(bob, event, "online")
    room = f"{live_server}/events/symposium/sessions/{session_id}/live"
    pages = {}
    for name, person in (("alice", alice), ("bob", bob)):
        context, page = sign_in(browser, live_server, person)
        page.goto(room)
        page.wait_for_function("window.Live && Live.state() !== null")
        pages[name] = (context, page)
    asker, reader = pages["alice"][1], pages["bob"][1]
    reader.evaluate(
        "window.__packets = [];"
        " Live.socket.on('questions:new', (d) => window.__packets.push(d.questions.map((q) => q.text)))"
    )

    acks = asker.evaluate(
        """async () => {
            const acks = [];
            for (const n of [1, 2, 3]) {
                acks.push(await Live.emit('question:ask', { session_id: Live.sessionId, text: 'Batched ' + n }));
            }
            return acks;
        }"""
    )
    assert [a["ok"] for a in acks] == [True, True, True]
    reader.wait_for_function("document.querySelectorAll('#qa-list .qa-item').length === 3")
    assert reader.evaluate("window.__packets") == [["Batched 1", "Batched 2", "Batched 3"]]
    reader.wait_for_function(
        "document.getElementById('live-announcer').textContent.includes('3 new questions')"
    )
    asker.wait_for_timeout(1500)  # the batch has reached the asker's page too
    for page in (asker, reader):
        texts = page.locator("#qa-list .qa-item .qa-text").all_inner_texts()
        assert sorted(texts) == ["Batched 1", "Batched 2", "Batched 3"]
    for context, _ in pages.values():
        context.close()
