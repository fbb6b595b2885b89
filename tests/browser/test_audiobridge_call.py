"""A large room's call is audio only, mixed by a real Janus audiobridge, in Chromium (fake devices):
the listeners hear the speaker (the received audio carries energy), and a moderator's mute stops
her audio at Janus even when her browser ignores it."""

from __future__ import annotations

import time

from browser_support import free_port, launched_browser, sign_in
from call_support import FAKE_MEDIA, tile_of
from janus_support import running_janus

from conference.extensions import db
from conference.programme.models import ProgrammeSession

# The energy (RTCInboundRtpStreamStats.totalAudioEnergy) one page has received so far.
RECEIVED_ENERGY = "Call.inboundAudio().then(s => s ? s.totalAudioEnergy : 0)"
# A browser that ignores being muted: its microphone track stays enabled whatever the page says.
IGNORE_MUTE = """() => {
  Object.defineProperty(MediaStreamTrack.prototype, "enabled", { get() { return true; }, set(_v) {} });
}"""


def _energy_over(page, seconds: float) -> float:
    before = page.evaluate(RECEIVED_ENERGY)
    time.sleep(seconds)
    return page.evaluate(RECEIVED_ENERGY) - before


def test_a_large_rooms_call_is_mixed_by_janus_and_a_moderators_mute_is_enforced(
    app, make_event, make_user, make_registration, live_server, tmp_path
):
    event = make_event("symposium")
    speaker, listener = make_user(name="Amina Haddad"), make_user(name="Bruno Costa")
    for person in (speaker, listener):
        make_registration(person, event, "online")
    moderator = make_user("moderator", name="Mona Moderator")
    with app.app_context():
        workshop = db.session.query(ProgrammeSession).filter_by(event_id=event.id, kind="workshop").one()
        workshop.interactive = True
        db.session.commit()
        workshop_id = workshop.id

    with running_janus(tmp_path, free_port()) as janus, launched_browser(FAKE_MEDIA) as browser:
        # Three people in the room make it "large" here: its call opens as an audiobridge.
        app.config.update(JANUS_URL=janus.url, JANUS_ADMIN_KEY=janus.admin_key, CALLS_AUDIOBRIDGE_FROM=3)
        pages = {}
        for person in (speaker, listener, moderator):
            _context, page = sign_in(browser, live_server, person)
            page.goto(f"{live_server}/events/symposium/sessions/{workshop_id}/live")
            page.wait_for_function("window.Live && Live.state() !== null")
            pages[person.name] = page
        for name, page in pages.items():
            page.wait_for_selector("#call [data-call=open-check]", state="visible")
            page.click("#call [data-call=open-check]")
            if name == "Amina Haddad":  # the speaker; the others only listen
                page.check("#call [data-call=check-mic]")
            page.click("#call [data-call=join]")
            page.wait_for_function("window.Call && Call.inCall()")
            assert page.evaluate("Call.mode()") == "janus" and page.evaluate("Call.audioOnly()") is True
            page.wait_for_selector("#call [data-call=cam]", state="hidden")  # no camera in an audio-only call

        listening = pages["Bruno Costa"]
        listening.wait_for_function(
            "Call.inboundAudio().then(s => !!s && s.bytesReceived > 0)", polling=300, timeout=30_000
        )
        # Amina's microphone reaches Bruno through Janus's mix.
        listening.wait_for_function(f"{RECEIVED_ENERGY}.then(e => e > 0)", polling=300, timeout=30_000)
        speaking = _energy_over(listening, 3)
        assert speaking > 0

        # Her browser will ignore the mute; the moderator mutes her; Janus stops mixing her in.
        pages["Amina Haddad"].evaluate(IGNORE_MUTE)
        console = pages["Mona Moderator"]
        tile_of(console, "Amina Haddad").get_by_role("button", name="Mute").click()
        pages["Amina Haddad"].wait_for_function(
            "document.querySelector('#call [data-call=status]').textContent.includes('muted you')"
        )
        time.sleep(1)  # what was in flight
        bytes_before = listening.evaluate("Call.inboundAudio().then(s => s.bytesReceived)")
        muted = _energy_over(listening, 3)
        assert muted < speaking / 20, (speaking, muted)
        # (Janus keeps sending the mix: silence, not a broken call.)
        assert listening.evaluate("Call.inboundAudio().then(s => s.bytesReceived)") > bytes_before
