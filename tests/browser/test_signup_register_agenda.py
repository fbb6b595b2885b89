"""A newcomer signs up, registers for the event and reads the agenda, in a real browser."""

from __future__ import annotations

from datetime import UTC, datetime


def test_signup_register_and_read_agenda(app, make_event, live_server, browser):
    make_event("symposium", starts_at=datetime(2030, 5, 6, 0, 0, tzinfo=UTC))
    context = browser.new_context(timezone_id="Europe/Paris", locale="en-GB")
    page = context.new_page()

    page.goto(f"{live_server}/signup")
    page.fill("#name", "Aroha Ngata")
    page.fill("#email", "aroha@example.org")
    page.fill("#organisation", "Ministry of Digital Affairs")
    page.select_option("#country", "NZ")
    page.fill("#password", "kia-ora-2030")
    page.fill("#confirm", "kia-ora-2030")
    page.click("main button[type=submit]")
    page.wait_for_selector("text=Welcome, Aroha Ngata")

    page.goto(f"{live_server}/events/symposium")
    page.get_by_role("link", name="Register", exact=True).click()
    page.check("input[value=online]")
    page.click("main button[type=submit]")
    page.wait_for_selector("text=You are registered for Symposium 1")
    assert "Online" in page.inner_text("main")

    page.goto(f"{live_server}/events/symposium/agenda")
    opening = page.locator(".agenda-item", has_text="Opening session")
    # 00:00 UTC is 09:00 in Seoul (the event's zone) and 02:00 in Paris (the viewer's, in May).
    assert "09:00–09:45" in opening.locator(".event-time").inner_text()
    viewer = opening.locator(".viewer-time")
    viewer.wait_for(state="visible")
    assert "02:00" in viewer.inner_text() and "02:45" in viewer.inner_text()
    assert "Europe/Paris" in page.inner_text(".tz-note")
    context.close()
