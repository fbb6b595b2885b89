"""In Chromium: an organiser attaches a PDF and a participants-only note from the back-office, a
visitor sees them on the event page, and the organiser sets up a door list and check-in staff."""

from __future__ import annotations

import pytest
from browser_support import sign_in_page
from cast_support import cast  # noqa: F401 - fixture
from documents_support import ooxml_bytes, pdf_bytes, stored_files


@pytest.fixture()
def app(tmp_path, make_app):
    return make_app(UPLOAD_DIR=str(tmp_path / "uploads"))


def test_an_organiser_attaches_documents_and_sets_up_a_door(app, cast, tmp_path, browser, live_server):
    pdf = tmp_path / "Aide mémoire.pdf"
    pdf.write_bytes(pdf_bytes())
    fake = tmp_path / "agenda.pdf"
    fake.write_bytes(b"<html><script>alert(1)</script></html>")
    note = tmp_path / "note.docx"
    note.write_bytes(ooxml_bytes("docx"))
    context = browser.new_context(locale="en-GB")
    page = sign_in_page(context.new_page(), live_server, cast.organiser)
    page.goto(f"{live_server}/manage/events/symposium")
    page.get_by_role("link", name="Documents").click()
    page.set_input_files("#file", str(fake))
    page.fill("#title", "Agenda")
    page.click("form[enctype] button[type=submit]")
    assert "not a PDF" in page.locator("#file-error").inner_text()
    assert page.input_value("#title") == "Agenda"

    page.set_input_files("#file", str(pdf))
    page.fill("#title", "")
    page.click("form[enctype] button[type=submit]")
    page.get_by_text("“Aide mémoire” was added.").wait_for()
    page.set_input_files("#file", str(note))
    page.fill("#title", "Information note")
    page.select_option("#visibility", "participants")
    page.click("form[enctype] button[type=submit]")
    page.get_by_text("“Information note” was added.").wait_for()
    page.screenshot(path=str(tmp_path / "documents.png"), full_page=True)
    assert len(stored_files(tmp_path / "uploads")) == 2

    visitor = browser.new_context(locale="en-GB").new_page()
    visitor.goto(f"{live_server}/events/symposium")
    documents = visitor.locator("section.documents")
    assert documents.get_by_role("link", name="Aide mémoire").count() == 1
    assert documents.get_by_role("link", name="Information note").count() == 0  # listed, locked
    assert "registered participants only" in documents.inner_text()
    href = documents.get_by_role("link", name="Aide mémoire").get_attribute("href")
    response = visitor.request.get(live_server + href)
    assert response.headers["content-type"] == "application/pdf"
    assert response.headers["x-content-type-options"] == "nosniff"

    page.get_by_role("link", name="Doors").click()
    page.click("text=Create the default lists")
    page.get_by_text("default lists created").wait_for()
    page.fill("#new-name", "Entrance")
    page.click(".doors-new button[type=submit]")
    assert "already has a list called" in page.locator("#name-error").inner_text()
    page.fill("#new-name", "VIP lounge")
    page.fill("#new-capacity", "12")
    page.fill("#new-auto", "2030-05-06T18:00")
    page.click(".doors-new button[type=submit]")
    page.get_by_text("The list “VIP lounge” was created.").wait_for()
    page.fill("#staff-email", cast.attendee.email)
    page.get_by_role("button", name="Add check-in staff").click()
    page.get_by_text("is now check-in staff of this event").wait_for()
    page.screenshot(path=str(tmp_path / "doors.png"), full_page=True)
    assert cast.attendee.email in page.locator(".doors-staff").inner_text()
    context.close()
