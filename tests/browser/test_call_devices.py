"""Clear messages when the browser refuses the camera or the microphone, and when there is none."""

from __future__ import annotations

import pytest
from browser_support import launched_browser, sign_in

from conference.extensions import db
from conference.programme.models import ProgrammeSession


@pytest.mark.parametrize(
    "flags, grant, message",
    [
        # A fake camera exists, but the person (here: Playwright, which grants nothing) refuses it.
        (["--use-fake-device-for-media-stream"], False, "The browser refused the microphone or camera"),
        # Permission is granted, but this machine has no microphone or camera at all.
        ([], True, "No microphone or camera was found"),
    ],
)
def test_the_device_check_says_what_went_wrong(
    app, make_event, make_user, make_registration, live_server, flags, grant, message
):
    event = make_event("symposium")
    alice = make_user(name="Alice Asker")
    make_registration(alice, event, "online")
    with app.app_context():
        workshop = db.session.query(ProgrammeSession).filter_by(event_id=event.id, kind="workshop").one()
        workshop.interactive = True
        db.session.commit()
        workshop_id = workshop.id
    with launched_browser(flags) as browser:
        context, page = sign_in(browser, live_server, alice)
        if grant:
            context.grant_permissions(["microphone", "camera"])
        page.goto(f"{live_server}/events/symposium/sessions/{workshop_id}/live")
        page.click("#call [data-call=open-check]")
        # A click, not check(): the page unticks the box again when the device fails, maybe at once.
        page.click("#call [data-call=check-mic]")
        error = page.locator("#call [data-call=check-error]")
        error.wait_for(state="visible")
        assert message in error.inner_text()
        assert not page.is_checked("#call [data-call=check-mic]")
        # Joining without devices still works: the person listens.
        page.click("#call [data-call=join]")
        page.wait_for_function("window.Call && Call.inCall()")
