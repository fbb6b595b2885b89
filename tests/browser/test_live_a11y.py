"""Screen-reader and keyboard behaviour of the live pages in Chromium: a storm of questions is
announced in a few sums, the device check dialog takes and gives back the focus (Escape closes it),
and moving into a breakout puts the focus on the room's heading."""

from __future__ import annotations

import re

import pytest
import socketio as socketio_client
from browser_support import sign_in

from conference.extensions import db
from conference.programme.models import ProgrammeSession

BURST = 20

# Every text the page's live region takes, in order (a MutationObserver: nothing is missed).
WATCH_ANNOUNCER = """() => {
  window.__said = [];
  const region = document.getElementById('live-announcer');
  new MutationObserver(() => window.__said.push(region.textContent))
    .observe(region, {childList: true, characterData: true, subtree: true});
}"""


@pytest.fixture()
def socket_for(live_server, make_token):
    """`socket_for(user)`: python-socketio's client on the live server, with `call(event, data)` -> ack.
    (Flask-SocketIO's test client would swallow every broadcast meant for the browsers.)"""
    clients = []

    def connect(user):
        client = socketio_client.Client(reconnection=False, websocket_extra_options={"origin": live_server})
        client.connect(
            live_server,
            namespaces=["/live"],
            transports=["websocket"],
            auth={"token": make_token(user)},
            wait_timeout=10,
        )
        clients.append(client)
        return lambda event, data: client.call(event, data, namespace="/live", timeout=10)

    yield connect
    for client in clients:
        client.disconnect()


def session_id(app, event, kind: str) -> int:
    with app.app_context():
        return db.session.query(ProgrammeSession.id).filter_by(event_id=event.id, kind=kind).scalar()


def test_a_burst_of_questions_is_announced_in_a_few_sums_not_one_by_one(
    app, make_event, make_user, make_registration, live_server, browser, socket_for
):
    app.config["ROOMS_RATE_LIMITS"] = {"question": (100, 5)}  # one asker makes the whole storm
    event = make_event("symposium")
    thematic = session_id(app, event, "thematic")  # questions appear at once (no moderation)
    alice, bob = make_user(name="Alice Listener"), make_user(name="Bob Asker")
    for person in (alice, bob):
        make_registration(person, event, "online")

    _context, page = sign_in(browser, live_server, alice)
    page.goto(f"{live_server}/events/symposium/sessions/{thematic}/live")
    page.wait_for_function("window.Live && Live.state() !== null")
    page.evaluate(WATCH_ANNOUNCER)
    assert page.locator("#qa-list[aria-live], #chat-list[aria-live], .live-counts[aria-live]").count() == 0

    ask = socket_for(bob)
    assert ask("join", {"session_id": thematic})["ok"]
    for n in range(BURST):
        assert ask("question:ask", {"session_id": thematic, "text": f"Question number {n}?"})["ok"]

    page.wait_for_function(f"document.querySelectorAll('#qa-list .qa-item').length === {BURST}")
    said = page.wait_for_function(
        """(burst) => { const sums = window.__said.map(t => Number((t.match(/\\d+/) || [0])[0]));
                       return sums.reduce((a, b) => a + b, 0) === burst && window.__said; }""",
        arg=BURST,
        timeout=15_000,
    )
    assert 1 <= len(said) <= 4, said  # a few sums, where the list changed 20 times
    assert all(re.fullmatch(r"\d+ new questions?\u00a0?", text) for text in said), said


def test_the_device_check_dialog_takes_the_focus_and_escape_gives_it_back(
    app, make_event, make_user, make_registration, live_server, browser
):
    event = make_event("symposium")
    alice = make_user(name="Alice Asker")
    make_registration(alice, event, "online")
    with app.app_context():
        workshop = db.session.query(ProgrammeSession).filter_by(event_id=event.id, kind="workshop").one()
        workshop.interactive = True
        db.session.commit()
        workshop_id = workshop.id
    _context, page = sign_in(browser, live_server, alice)
    page.goto(f"{live_server}/events/symposium/sessions/{workshop_id}/live")
    opener = page.locator("#call [data-call=open-check]")
    opener.wait_for(state="visible")

    def focused() -> str:
        return page.evaluate(
            "() => { const a = document.activeElement; return (a.closest('dialog') ? 'dialog:' : '') + "
            "(a.getAttribute('data-call') || a.tagName); }"
        )

    opener.focus()
    page.keyboard.press("Enter")
    page.wait_for_selector("#call dialog[open]")
    assert focused() == "dialog:check-mic"
    page.keyboard.press("Tab")
    assert focused().startswith("dialog:")  # the rest of the page is inert behind a modal
    page.keyboard.press("Escape")
    page.wait_for_selector("#call dialog[open]", state="detached")
    assert focused() == "open-check"

    page.keyboard.press("Enter")  # open again, leave through the Cancel button with the keyboard
    page.wait_for_selector("#call dialog[open]")
    page.locator("#call [data-call=cancel]").focus()
    page.keyboard.press("Enter")
    page.wait_for_selector("#call dialog[open]", state="detached")
    assert focused() == "open-check"


def test_moving_into_a_breakout_puts_the_focus_on_its_heading(
    app, make_event, make_user, make_registration, live_server, browser, socket_for
):
    event = make_event("symposium")
    alice = make_user(name="Alice Asker")
    make_registration(alice, event, "online")
    moderator = make_user("moderator", name="Mona Moderator")
    plenary = session_id(app, event, "plenary")
    _context, page = sign_in(browser, live_server, alice)
    page.goto(f"{live_server}/events/symposium/sessions/{plenary}/live")
    page.wait_for_function("window.Live && Live.state() !== null")

    # The moderator runs an assigned round over /live: Alice's page follows her into her room.
    console = socket_for(moderator)
    assert console("join", {"session_id": plenary})["ok"]
    rooms = [{"name": "Asia-Pacific"}]
    created = console("breakout:create", {"session_id": plenary, "rooms": rooms, "mode": "assigned"})
    assert created["ok"], created
    round_id, room = created["round"]["id"], created["rooms"][0]
    placement = [{"user_id": alice.id, "room_id": room["id"]}]
    assert console("breakout:assign", {"round_id": round_id, "assignments": placement})["ok"]
    assert console("breakout:start", {"round_id": round_id})["ok"]

    page.wait_for_function(f"Live.sessionId === {room['session_id']}", timeout=20_000)
    heading = page.wait_for_function(
        "() => document.activeElement.tagName === 'H1' && document.activeElement.textContent", timeout=10_000
    )
    assert "Asia-Pacific" in heading
