"""In Chromium: one participant offers a practice, another expresses their country's interest, the
organiser sees the table in the back-office and moves the possibility to "contacted"; meanwhile the
live page and the projector screen of the matchmaking session show the practice and the interested
country without reload."""

from __future__ import annotations

from browser_support import sign_in

from conference.extensions import db as _db
from conference.matchmaking.models import Interest, MatchmakingSession
from conference.programme.models import Event


def test_offer_interest_and_follow_up(app, mm, live_server, browser):
    with app.app_context():
        _db.session.add(MatchmakingSession(session_id=mm.session_id, event_id=mm.event.id))
        _db.session.commit()

    # A third participant watches the matchmaking session's live page.
    _, watcher = sign_in(browser, live_server, mm.viet)
    watcher.goto(f"{live_server}/events/symposium/sessions/{mm.session_id}/live")
    watcher.wait_for_function("window.Live && Live.state() !== null")
    panel = watcher.locator("[data-matchmaking-live]")
    assert panel.locator("[data-mm-empty]").is_visible()

    # The hall's screen of the same session, opened by the organiser.
    _, organiser = sign_in(browser, live_server, mm.organiser)
    screen = organiser.context.new_page()
    screen.goto(f"{live_server}/events/symposium/sessions/{mm.session_id}/screen")
    screen.wait_for_function("window.Live && Live.state() !== null")

    # The owner offers a practice from the event page.
    _, owner = sign_in(browser, live_server, mm.owner)
    owner.goto(f"{live_server}/events/symposium")
    owner.get_by_role("link", name="Matchmaking table").click()
    owner.get_by_role("link", name="Offer a practice").click()
    owner.fill("#title", "Rapid Digitization <b>2030</b>")
    owner.fill("#summary", "From paper files to digital records in three years.")
    assert owner.input_value("#country") == "KR"  # the account's country by default
    owner.select_option("#track_id", label="Digital government")
    owner.fill("#links", "Case study | https://example.org/case.pdf")
    owner.click("#practice-form button[type=submit]")
    owner.get_by_text("is on the matchmaking table").wait_for()
    assert owner.locator("h1").inner_text().startswith("Rapid Digitization <b>2030</b>")

    # Without a reload, the live page lists it.
    item = panel.locator(".mm-live-item")
    item.wait_for()
    assert item.locator('[data-field="title"]').inner_text() == "Rapid Digitization <b>2030</b>"
    assert item.locator('[data-field="interested"]').inner_text() == "none yet"

    # A Thai participant expresses interest from the table.
    _, thai = sign_in(browser, live_server, mm.thai)
    thai.goto(f"{live_server}/events/symposium/matchmaking")
    thai.get_by_role("link", name="Rapid Digitization <b>2030</b>").click()
    assert "On behalf of Thailand" in thai.locator(".mm-interest-form").inner_text()
    thai.get_by_label("Study visit").check()
    thai.get_by_label("Expert exchange").check()
    thai.fill("#interest-note", "We would like to visit in spring.")
    thai.get_by_role("button", name="Express interest").click()
    thai.get_by_text("Your country's interest is recorded.").wait_for()
    watcher.wait_for_function(
        "document.querySelector('.mm-live-item [data-field=interested]').textContent === 'Thailand'"
    )
    assert panel.locator("[data-mm-count]").inner_text() == "1"
    screen.wait_for_function(
        "document.querySelector('.mm-screen .mm-live-item [data-field=interested]').textContent === 'Thailand'"
    )
    assert screen.locator(".mm-screen .mm-live-title").inner_text() == "Rapid Digitization <b>2030</b>"

    # The organiser sees the table in the back-office and moves the possibility to "contacted".
    organiser.goto(f"{live_server}/manage/events/symposium")
    organiser.get_by_role("link", name="Matchmaking", exact=True).click()
    row = organiser.locator("tr[id^=possibility-]")
    assert row.count() == 1
    assert "Rapid Digitization <b>2030</b>" in row.inner_text() and "Thailand" in row.inner_text()
    assert row.locator(".mm-status").inner_text() == "Proposed"
    row.locator("select[name=status]").select_option(label="Contacted")
    row.locator("input[name=note]").fill("Wrote to the Thai ministry")
    row.get_by_role("button", name="Move").click()
    organiser.get_by_text("Rapid Digitization <b>2030</b> × TH: contacted.").wait_for()
    assert organiser.locator("tr[id^=possibility-] .mm-status").inner_text() == "Contacted"
    assert organiser.locator('[data-total="contacted"]').inner_text() == "1"

    # The public table and the event page show it.
    organiser.goto(f"{live_server}/events/symposium")
    assert organiser.locator('[data-mm-status="contacted"]').inner_text() == "1"
    owner.reload()
    assert "Wrote to the Thai ministry" in owner.locator(".mm-notes").inner_text()

    with app.app_context():
        interest = _db.session.query(Interest).one()
        assert interest.status == "contacted" and interest.country == "TH"
        assert _db.session.get(Event, mm.event.id).published
