"""A poll from launch to chart in real browsers: the moderator builds and launches it, a participant
votes, the chart with the count appears on the participant page, the console and the screen."""

from __future__ import annotations

from browser_support import sign_in

from conference.extensions import db
from conference.programme.models import ProgrammeSession


def joined_page(browser, base_url, user, url):
    context, page = sign_in(browser, base_url, user)
    page.goto(url)
    page.wait_for_function("window.Live && Live.state() !== null")
    return context, page


def test_moderator_launches_a_poll_participant_votes_chart_shows_the_count(
    app, make_event, make_user, make_registration, live_server, browser
):
    event = make_event("symposium")
    with app.app_context():
        session_id = (
            db.session.query(ProgrammeSession.id).filter_by(event_id=event.id, kind="plenary").scalar()
        )
    alice = make_user(name="Alice Voter")
    make_registration(alice, event, "online")
    moderator = make_user("moderator", name="Mona Moderator")
    room = f"{live_server}/events/symposium/sessions/{session_id}"

    alice_context, participant = joined_page(browser, live_server, alice, f"{room}/live")
    mod_context, console = joined_page(browser, live_server, moderator, f"{room}/moderate")
    screen_context, screen = joined_page(browser, live_server, moderator, f"{room}/screen")
    assert participant.locator("[data-poll-empty]").is_visible()

    console.fill("#poll-title", "Which <b>priority</b> first?")
    console.select_option("#poll-kind", "single")
    console.fill("#poll-options", "Health\nEducation\nClimate")
    console.fill("#poll-duration", "600")
    console.click("#poll-builder [data-launch]")

    card = participant.locator(".poll-card", has_text="priority")
    card.wait_for()
    assert card.locator(".poll-title").inner_text() == "Which <b>priority</b> first?"  # text, not HTML
    participant.wait_for_function("/left/.test(document.querySelector('.poll-countdown').textContent)")
    card.get_by_label("Education").check()
    card.locator("button.poll-submit").click()
    participant.locator("[data-poll-voted]").wait_for()
    assert "Education" in participant.locator("[data-poll-voted]").inner_text()

    # The tally arrives on every screen (coalesced), with counts and the total.
    count_of = """(label) => { const row = [...document.querySelectorAll('.poll-bar')]
        .find(r => r.querySelector('.poll-bar-label').textContent === label);
        return row && row.querySelector('.poll-bar-count').dataset.count; }"""
    for page in (participant, console, screen):
        page.wait_for_function(f"({count_of})('Education') === '1'")
        page.wait_for_function(
            "document.querySelector('[data-poll-total]')"
            " && document.querySelector('[data-poll-total]').getAttribute('data-poll-total') === '1'"
        )
        assert page.evaluate(f"({count_of})('Health')") == "0"
    assert "Total: 1 vote" in participant.locator(".poll-total").inner_text()

    console.locator(".poll-card", has_text="priority").locator("button.poll-close").click()
    participant.wait_for_function("document.querySelector('.poll-card').classList.contains('poll-closed')")
    assert "final" in participant.locator(".poll-total").inner_text()
    assert participant.locator(".poll-card form").count() == 0
    console.locator(".poll-card a", has_text="Export CSV").wait_for()
    for context in (alice_context, mod_context, screen_context):
        context.close()


def test_hidden_results_stay_off_the_participant_page_and_the_screen(
    app, make_event, make_user, make_registration, live_server, browser
):
    event = make_event("symposium")
    with app.app_context():
        session_id = (
            db.session.query(ProgrammeSession.id).filter_by(event_id=event.id, kind="plenary").scalar()
        )
    alice = make_user(name="Alice Voter")
    make_registration(alice, event, "online")
    moderator = make_user("moderator")
    room = f"{live_server}/events/symposium/sessions/{session_id}"
    alice_context, participant = joined_page(browser, live_server, alice, f"{room}/live")
    mod_context, console = joined_page(browser, live_server, moderator, f"{room}/moderate")
    screen_context, screen = joined_page(browser, live_server, moderator, f"{room}/screen")

    console.fill("#poll-title", "Rate the session")
    console.select_option("#poll-kind", "rating")
    console.select_option("#poll-results", "hidden")
    console.click("#poll-builder [data-launch]")
    card = participant.locator(".poll-card", has_text="Rate the session")
    card.wait_for()
    card.locator(".poll-scale-value", has_text="4").click()
    card.locator("button.poll-submit").click()
    participant.locator("[data-poll-voted]").wait_for()
    console.wait_for_function(
        "document.querySelector('[data-poll-total]')"
        " && document.querySelector('[data-poll-total]').getAttribute('data-poll-total') === '1'"
    )
    assert participant.locator(".poll-chart").count() == 0
    assert "not shown to participants" in card.inner_text()
    assert screen.locator(".poll-chart").count() == 0
    assert "Vote on your phone" in screen.locator(".polls-screen").inner_text()
    for context in (alice_context, mod_context, screen_context):
        context.close()
