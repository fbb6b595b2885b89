"""In Chromium: a viewer whose language is Arabic starts on the Arabic channel, switching to French
changes the player's source without a reload, the projector lists the live channels by name, and a
moderator switching French off moves the viewer back (and off the projector's list)."""

from __future__ import annotations

from datetime import timedelta

from browser_support import sign_in

from conference.accounts.models import User
from conference.db_types import utcnow
from conference.extensions import db
from conference.interpretation import services
from conference.interpretation.schemas import ChannelIn
from conference.programme.models import ProgrammeSession

FLOOR = "https://www.youtube.com/watch?v=floor123456"
ARABIC = "https://www.youtube.com/watch?v=arabic12345"
FRENCH = "https://vimeo.com/76979871"


def test_picker_projector_and_console(app, make_event, make_user, make_registration, live_server, browser):
    event = make_event("interpreted", starts_at=utcnow() - timedelta(minutes=5))
    amal = make_user(name="Amal")
    make_registration(amal, event)
    moderator = make_user("moderator", name="Mona Moderator")
    with app.app_context():
        plenary = db.session.query(ProgrammeSession).filter_by(event_id=event.id, kind="plenary").one()
        plenary.stream_url = FLOOR
        db.session.get(User, amal.id).language = "ar"
        db.session.commit()
        for language, url in (("ar", ARABIC), ("fr", FRENCH)):
            services.create_channel(db.session, plenary, ChannelIn(language=language, stream_url=url))
        session_id = plenary.id
    base = f"{live_server}/events/interpreted/sessions/{session_id}"

    _, live = sign_in(browser, live_server, amal)
    live.goto(f"{base}/live")
    assert live.get_attribute("html", "dir") == "rtl"
    frame = live.locator("#stream-box iframe")
    live.wait_for_function(
        "document.querySelector('#stream-box iframe') &&"
        " document.querySelector('#stream-box iframe').src.endsWith('/embed/arabic12345')"
    )
    live.evaluate("window.__sameDocument = true")
    assert live.locator("#interpretation").is_visible()
    assert live.eval_on_selector("#interpretation-picker", "s => s.value") == "ar"

    live.select_option("#interpretation-picker", "fr")
    live.wait_for_function("document.querySelector('#stream-box iframe').src.includes('player.vimeo.com')")
    assert frame.get_attribute("src") == "https://player.vimeo.com/video/76979871"

    _, office = sign_in(browser, live_server, moderator)
    screen = office.context.new_page()
    screen.goto(f"{base}/screen")
    screen.locator("#interpretation-screen li").nth(2).wait_for()
    assert screen.locator("#interpretation-screen").is_visible()
    assert screen.locator("#interpretation-screen li").all_inner_texts() == [
        "Floor · English",
        "Arabic",
        "French",
    ]

    office.goto(f"{base}/moderate")
    french = office.locator("#interpretation-console li[data-channel=fr]")
    french.wait_for()
    assert "live" in french.inner_text()
    french.get_by_role("button", name="Switch off").click()
    office.wait_for_function(
        "document.querySelector('#interpretation-console li[data-channel=fr]').dataset.live === '0'"
    )
    assert " off " in french.inner_text()

    live.wait_for_function("document.querySelector('#stream-box iframe').src.endsWith('/embed/arabic12345')")
    assert live.eval_on_selector("#interpretation-picker", "s => s.value") == "ar"
    assert live.locator("[data-interpretation-note]").inner_text() != ""
    screen.wait_for_function("document.querySelectorAll('#interpretation-screen li').length === 2")
    assert live.evaluate("window.__sameDocument") is True
