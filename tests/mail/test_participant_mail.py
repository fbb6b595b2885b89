"""What participants receive: invitations from an import, confirmations with an .ics and a badge,
cancellation notices; and the organisers' view of who was invited and who signed in."""

from __future__ import annotations

import io
from datetime import datetime
from zoneinfo import ZoneInfo

import icalendar
import zxingcpp
from conftest import post_form
from mail_support import attachments_of, deliver, link_in, text_of
from PIL import Image
from sqlalchemy import select

from conference.accounts.models import User
from conference.extensions import db as _db
from conference.mail.models import OutboxMessage
from conference.programme.models import Event
from conference.registrations.models import Registration

THREE = """email,name,organisation,country,mode
amina@example.org,Amina Diallo,Ministry of Health,SN,in_person
bo@example.org,Bo Lindqvist,Digital Agency,SE,online
chen@example.org,Chen Wei,Statistics Office,CN,in_person
"""


def run(app, *args):
    return app.test_cli_runner().invoke(args=list(args))


def import_three(app, tmp_path, event, invite="now"):
    csv_file = tmp_path / "list.csv"
    csv_file.write_text(THREE)
    result = run(app, "import-participants", str(csv_file), event.slug, "--invite", invite)
    assert result.exit_code == 0, result.output
    return result


def test_an_import_with_invite_now_sends_three_invitations(app, tmp_path, make_event, smtp_server):
    event = make_event()
    result = import_three(app, tmp_path, event)
    assert "3 invitations queued" in result.output
    assert deliver(app).sent == 3
    assert sorted(m["To"] for m in smtp_server.messages) == [
        "amina@example.org",
        "bo@example.org",
        "chen@example.org",
    ]
    [amina] = smtp_server.mailbox.to("amina@example.org")
    text = text_of(amina)
    assert amina["Subject"] == f"Your invitation: {event.title}"
    assert "taking part in person" in text
    # The event starts at 08:30 in Seoul (23:30 UTC the day before): the mail says Seoul's date.
    assert "Monday 6 May 2030, 08:30" in text and "Asia/Seoul" in text
    assert "/signin/" in link_in(amina)
    content_type, png = attachments_of(amina)["badge.png"]
    assert content_type == "image/png"
    [decoded] = zxingcpp.read_barcodes(Image.open(io.BytesIO(png)))
    with app.app_context():
        registration = _db.session.scalar(
            select(Registration).join(User).where(User.email == "amina@example.org")
        )
        from conference.checkin.badges import badge_token

        assert decoded.text == badge_token(_db.session, registration)
        assert registration.invited_at is not None
    [bo] = smtp_server.mailbox.to("bo@example.org")
    assert "badge.png" not in attachments_of(bo) and "taking part online" in text_of(bo)


def test_import_without_invite_keeps_todays_behaviour(app, tmp_path, make_event, smtp_server):
    event = make_event()
    for invite in ("none", "later"):
        import_three(app, tmp_path, event, invite)
    with app.app_context():
        assert _db.session.scalars(select(OutboxMessage)).all() == []
        assert set(_db.session.scalars(select(Registration.invited_at)).all()) == {None}


def test_a_failed_import_queues_no_invitation(app, tmp_path, make_event, smtp_server):
    event = make_event()
    csv_file = tmp_path / "bad.csv"
    csv_file.write_text(THREE + "dana@example.org,Dana,Org,XX,in_person\n")
    result = run(app, "import-participants", str(csv_file), event.slug, "--invite", "now")
    assert result.exit_code == 1
    with app.app_context():
        assert _db.session.scalars(select(OutboxMessage)).all() == []


def test_send_invitations_to_those_who_never_signed_in_and_to_one_person(
    app, tmp_path, make_event, smtp_server, client
):
    event = make_event()
    import_three(app, tmp_path, event, "none")
    run(app, "send-invitations", event.slug, "--email", "amina@example.org")
    deliver(app)
    [invitation] = smtp_server.messages
    assert invitation["To"] == "amina@example.org"
    page = client.get(link_in(invitation))
    assert page.status_code == 200
    post_form(client, link_in(invitation), {"password": "", "confirm": ""})  # Amina signs in

    result = run(app, "send-invitations", event.slug, "--not-signed-in")
    assert result.exit_code == 0 and "2 invitations queued" in result.output
    result = run(app, "send-invitations", event.slug, "--all")
    assert "3 invitations queued" in result.output
    result = run(app, "send-invitations", event.slug, "--email", "nobody@example.org")
    assert result.exit_code == 1 and "not a confirmed participant" in result.output
    deliver(app)
    assert sorted(m["To"] for m in smtp_server.messages[1:]) == [
        "amina@example.org",
        "bo@example.org",
        "bo@example.org",
        "chen@example.org",
        "chen@example.org",
    ]


def test_the_participants_page_shows_who_was_invited_and_who_signed_in(
    app, tmp_path, make_event, make_user, smtp_server, logged_in_client
):
    event = make_event()
    import_three(app, tmp_path, event)
    deliver(app)
    [bo] = smtp_server.mailbox.to("bo@example.org")
    anonymous = app.test_client()
    post_form(anonymous, link_in(bo), {"password": "", "confirm": ""})
    admin = logged_in_client(make_user("admin"))
    old_address = admin.get(f"/events/{event.slug}/participants?q=bo")
    assert old_address.status_code == 301
    assert old_address.headers["Location"].endswith(f"/manage/events/{event.slug}/participants?q=bo")
    page = admin.get(f"/manage/events/{event.slug}/participants").get_data(as_text=True)
    assert "not invited" not in page and page.count("Resend invitation") == 3
    assert page.count(">never<") == 2  # Bo signed in through the link; the two others have not


def test_registering_sends_a_confirmation_with_an_ics_in_the_event_zone_and_the_badge(
    app, make_user, make_event, smtp_server, logged_in_client
):
    event = make_event()
    user = make_user(email="layla@example.org")
    client = logged_in_client(user)
    assert post_form(client, f"/events/{event.slug}/register", {"mode": "in_person"}).status_code == 303
    assert deliver(app).sent == 1
    [confirmation] = smtp_server.messages
    assert confirmation["Subject"] == f"Registration confirmed: {event.title}"
    assert "Monday 6 May 2030, 08:30" in text_of(confirmation)
    files = attachments_of(confirmation)
    assert files["badge.png"][0] == "image/png"
    content_type, ics = files[f"{event.slug}.ics"]
    assert content_type == "text/calendar"
    calendar = icalendar.Calendar.from_ical(ics)
    vevent, *sessions = calendar.walk("VEVENT")  # the event, then its programme
    assert len(sessions) == 3 and calendar.walk("VTIMEZONE")[0]["TZID"] == "Asia/Seoul"
    starts = vevent.decoded("DTSTART")
    assert starts.astimezone(ZoneInfo("Asia/Seoul")) == datetime(
        2030, 5, 6, 8, 30, tzinfo=ZoneInfo("Asia/Seoul")
    )
    assert str(vevent["SUMMARY"]) == event.title
    assert str(vevent["LOCATION"]) == "Convensia, Incheon"
    assert all(len(line) <= 75 for line in ics.split(b"\r\n"))

    with app.app_context():
        registration = _db.session.scalar(select(Registration))
    cancel = post_form(client, f"/me/registrations/{registration.id}/cancel", {})
    assert cancel.status_code == 303
    deliver(app)
    notice = smtp_server.messages[-1]
    assert notice["Subject"] == f"Registration cancelled: {event.title}"
    assert "is cancelled" in text_of(notice) and "badge no longer opens" in text_of(notice)
    post_form(client, f"/me/registrations/{registration.id}/cancel", {})  # cancelling twice: one notice
    deliver(app)
    assert len(smtp_server.messages) == 2


def test_a_registration_and_its_confirmation_commit_together(app, make_user, make_event, smtp_server):
    from conference.errors import ServiceError
    from conference.registrations.services import register

    event, user = make_event(), make_user()
    with app.app_context():
        register(_db.session, _db.session.merge(user), _db.session.get(Event, event.id), "online")
        try:
            register(_db.session, _db.session.merge(user), _db.session.get(Event, event.id), "online")
        except ServiceError as exc:
            assert exc.code == "already_registered"
        assert len(_db.session.scalars(select(OutboxMessage)).all()) == 1


def test_organisers_invite_one_or_everyone_not_signed_in_from_the_participants_page(
    app, make_event, make_user, logged_in_client, tmp_path, smtp_server
):
    event = make_event()
    import_three(app, tmp_path, event, invite="none")
    organiser = logged_in_client(make_user("organiser"))
    page = organiser.get(f"/manage/events/{event.slug}/participants").get_data(as_text=True)
    assert page.count("not invited") == 3 and page.count(">Invite<") == 3
    with app.app_context():
        bo = _db.session.scalar(select(Registration).join(User).where(User.email == "bo@example.org"))
    one = post_form(organiser, f"/manage/events/{event.slug}/participants/{bo.id}/invite", {})
    assert one.status_code == 303
    assert deliver(app).sent == 1 and [m["To"] for m in smtp_server.messages] == ["bo@example.org"]
    everyone = post_form(
        organiser, f"/manage/events/{event.slug}/participants/invite-not-signed-in", {}, follow_redirects=True
    )
    assert "3 invitations sent to participants who have not signed in yet." in everyone.get_data(as_text=True)
    assert deliver(app).sent == 3
    page = organiser.get(f"/manage/events/{event.slug}/participants").get_data(as_text=True)
    assert "not invited" not in page and page.count("Resend invitation") == 3
    attendee = logged_in_client(make_user())
    refused = post_form(attendee, f"/manage/events/{event.slug}/participants/invite-not-signed-in", {})
    assert refused.status_code == 403 and deliver(app).sent == 0
