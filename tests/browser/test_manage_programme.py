"""An admin creates an event, its organiser builds the programme and publishes it, in a real browser."""

from __future__ import annotations

from datetime import UTC, datetime

from browser_support import create_event_as_admin, sign_in

from conference.extensions import db as _db
from conference.programme.models import Event


def test_admin_creates_an_event_and_its_organiser_publishes_a_programme(app, make_user, live_server, browser):
    admin = make_user("admin", name="Platform Admin")
    organiser = make_user(email="lead@example.org", name="Event Lead")

    create_event_as_admin(
        browser,
        live_server,
        admin,
        title="Pacific Digital Week",
        slug="pdw",
        city="Suva",
        country="FJ",
        timezone="Pacific/Fiji",
        starts_at="2031-07-01T09:00",
        ends_at="2031-07-02T17:00",
        organiser_email="lead@example.org",
    )

    context, page = sign_in(browser, live_server, organiser)
    page.goto(f"{live_server}/events")
    # The organiser sees the draft; the public does not (checked below).
    page.goto(f"{live_server}/manage")
    page.get_by_role("link", name="Pacific Digital Week").click()
    page.get_by_role("link", name="Programme", exact=True).click()

    page.get_by_role("link", name="Add a session").click()
    page.fill("#f-title", "Opening plenary")
    page.select_option("#f-kind", "plenary")
    page.fill("#f-starts_at", "2031-07-01T09:00")
    page.fill("#f-ends_at", "2031-07-01T10:00")
    page.fill("#f-room", "Main hall")
    page.fill("#f-stream_url", "https://www.youtube.com/watch?v=dQw4w9WgXcQ")
    page.click("main form.stack button[type=submit]")
    page.wait_for_selector("text=The session is saved.")

    page.get_by_role("link", name="Add a session").click()
    page.fill("#f-title", "Connectivity workshop")
    page.select_option("#f-kind", "workshop")
    page.fill("#f-starts_at", "2031-07-01T09:30")  # the same room at an overlapping time: refused
    page.fill("#f-ends_at", "2031-07-01T11:00")
    page.fill("#f-room", "Main hall")
    page.click("main form.stack button[type=submit]")
    error = page.locator("#f-room-help .error")
    error.wait_for()
    assert "Main hall is taken then by “Opening plenary” (09:00–10:00)." in error.inner_text()
    assert page.input_value("#f-title") == "Connectivity workshop"  # what was typed is kept
    page.fill("#f-room", "Room B")
    page.click("main form.stack button[type=submit]")
    page.wait_for_selector("text=The session is saved.")
    rows = page.locator("#sessions tbody tr")
    assert rows.count() == 2
    assert "Tue 1 Jul 09:00–10:00" in rows.nth(0).inner_text() and "yes" in rows.nth(0).inner_text()

    page.get_by_role("link", name="Event", exact=True).click()
    page.get_by_role("button", name="Publish the event").click()
    page.wait_for_selector("text=The event is published")
    context.close()

    public = browser.new_context(locale="en-GB").new_page()
    public.goto(f"{live_server}/events")
    public.get_by_role("link", name="Pacific Digital Week").click()
    public.wait_for_selector("text=Opening plenary")
    assert "Connectivity workshop" in public.inner_text("main")

    with app.app_context():
        event = _db.session.query(Event).filter_by(slug="pdw").one()
        assert event.published
        # Fiji is UTC+12 in July: 09:00 local is 21:00 UTC the day before.
        assert event.starts_at == datetime(2031, 6, 30, 21, 0, tzinfo=UTC)
        opening = next(s for s in event.sessions if s.title == "Opening plenary")
        assert opening.stream_url == "https://www.youtube.com/embed/dQw4w9WgXcQ"
    public.context.close()
