"""Two participants in the same breakout talk face to face in Chromium (fake camera and microphone):
each sees the other's video, mute and camera-off reach the other side, the recall ends the call."""

from __future__ import annotations

from browser_support import launched_browser, sign_in
from call_support import FAKE_MEDIA, REMOTE_VIDEO_PLAYS, join_call_with_devices, tile_of

from conference.accounts.models import User
from conference.extensions import db
from conference.programme.models import ProgrammeSession
from conference.rooms.breakouts import services as breakouts


def test_two_participants_of_a_breakout_see_and_hear_each_other(
    app, make_event, make_user, make_registration, live_server
):
    event = make_event("symposium")
    alice, bob = make_user(name="Alice Asker"), make_user(name="Bob Voter")
    for person in (alice, bob):
        make_registration(person, event, "online")
    moderator = make_user("moderator", name="Mona Moderator")
    with app.app_context():
        plenary = db.session.query(ProgrammeSession).filter_by(event_id=event.id, kind="plenary").one()
        mod = db.session.get(User, moderator.id)
        round_ = breakouts.create_round(
            db.session,
            mod,
            plenary.id,
            [breakouts.RoomSpec("Asia-Pacific"), breakouts.RoomSpec("Arabic", "ar")],
            mode="assigned",
            duration_s=900,
        )
        room = round_.rooms[0]
        breakouts.assign(db.session, mod, round_.id, [(alice.id, room.id), (bob.id, room.id)])
        breakouts.start_round(db.session, mod, round_.id)
        round_id, plenary_id, breakout_session = round_.id, plenary.id, room.session_id

    with launched_browser(FAKE_MEDIA) as browser:
        pages = {}
        for person in (alice, bob):
            _context, page = sign_in(browser, live_server, person)
            # The plenary's live page follows the assignment into the breakout room by itself.
            page.goto(f"{live_server}/events/symposium/sessions/{plenary_id}/live")
            page.wait_for_function(f"window.Live && Live.sessionId === {breakout_session}")
            pages[person.name] = page
        for page in pages.values():
            join_call_with_devices(page)
        alice_page, bob_page = pages["Alice Asker"], pages["Bob Voter"]
        for page, other in ((alice_page, "Bob Voter"), (bob_page, "Alice Asker")):
            tile_of(page, other).wait_for()
            page.wait_for_function(REMOTE_VIDEO_PLAYS, arg=other, polling=300, timeout=20_000)

        # Bob mutes and switches his camera off: Alice's page shows both.
        bob_page.click("#call [data-call=mic]")  # on → mute
        alice_page.wait_for_function(
            "(name) => [...document.querySelectorAll('#call .call-tile')]"
            ".some(t => t.textContent.includes(name) && t.textContent.includes('muted'))",
            arg="Bob Voter",
        )
        bob_page.click("#call [data-call=cam]")
        alice_page.wait_for_function(
            "(name) => [...document.querySelectorAll('#call .call-tile.no-video')].some(t => t.textContent.includes(name))",
            arg="Bob Voter",
        )

        # The moderator recalls everyone: the call ends and both pages go back to the plenary.
        _context, console = sign_in(browser, live_server, moderator)
        console.goto(f"{live_server}/events/symposium/sessions/{plenary_id}/moderate")
        console.wait_for_function("window.Live && Live.state() !== null")
        assert console.evaluate(f"Live.emit('breakout:recall', {{round_id: {round_id}}}).then(a => a.ok)")
        for page in (alice_page, bob_page):
            page.wait_for_function(f"window.Live && Live.sessionId === {plenary_id} && !Call.inCall()")
            assert page.locator("#call [data-call=inside]").is_hidden()
