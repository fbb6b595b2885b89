"""An imported participant gets in by e-mail, in a real browser: the invitation from a real SMTP
server, a password of their own, their badge, and the live room."""

from __future__ import annotations

from mail_support import LINK_RE, attachments_of, deliver, smtp_server, text_of  # noqa: F401 - fixture

from conference.extensions import db
from conference.programme.models import ProgrammeSession


def test_imported_participant_follows_the_invitation_sets_a_password_and_joins_the_live_room(
    app, tmp_path, make_event, smtp_server, live_server, browser
):
    event = make_event("symposium")
    with app.app_context():
        plenary = db.session.query(ProgrammeSession.id).filter_by(event_id=event.id, kind="plenary").scalar()
    app.config["PUBLIC_BASE_URL"] = live_server  # links in the mail lead to this server
    participants = tmp_path / "nominees.csv"
    participants.write_text(
        "email,name,organisation,country,mode\n"
        "tala@example.org,Tala Fifita,Ministry of Education,TO,in_person\n"
    )
    result = app.test_cli_runner().invoke(
        args=["import-participants", str(participants), "symposium", "--invite", "now"]
    )
    assert result.exit_code == 0, result.output
    assert deliver(app).sent == 1
    [invitation] = smtp_server.messages
    assert "badge.png" in attachments_of(invitation)
    link = LINK_RE.search(text_of(invitation)).group(0)
    assert link.startswith(live_server)

    context = browser.new_context(locale="en-GB")
    page = context.new_page()
    page.goto(link)
    page.wait_for_selector("text=Welcome, Tala Fifita")
    page.fill("#password", "malo-e-lelei-2030")
    page.fill("#confirm", "malo-e-lelei-2030")
    page.click("main button[type=submit]")
    page.wait_for_selector("text=Your password is set")
    page.get_by_role("link", name="My badge").click()
    page.wait_for_url(f"{live_server}/events/symposium/badge")
    assert "Tala Fifita" in page.inner_text("main")
    assert page.locator("main img").count() >= 1  # the QR badge image

    page.goto(f"{live_server}/events/symposium/sessions/{plenary}/live")
    page.wait_for_function("window.Live && Live.state() !== null")
    assert "Opening session" in page.inner_text("main")

    # The link was spent: opening it again shows the clear refusal, not a second sign-in.
    other = browser.new_context(locale="en-GB").new_page()
    response = other.goto(link)
    assert response.status == 410
    assert "This link was already used" in other.inner_text("main")
    context.close()
