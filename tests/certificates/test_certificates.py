"""Certificates of attendance: only for people whose recorded attendance meets the organisers' rule; a PDF
with the name (Arabic shaped right to left), a short code and a QR code to the public check, which shows
name, event and dates only; revoked or forged codes are "not valid"."""

from __future__ import annotations

import io
import unicodedata

import pytest
import zxingcpp
from after_talk_support import door_entry, online_visit
from conftest import post_form
from pypdf import PdfReader
from sqlalchemy import func, select

from conference.accounts.models import User
from conference.certificates import services
from conference.certificates.models import Certificate
from conference.certificates.pdf import visual
from conference.extensions import db


def _rule(client, past, **form):
    return post_form(client, f"/manage/events/{past.event.slug}/certificates/rule", form)


def _count(app):
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(Certificate))


def _pdf_text_and_qr(body: bytes) -> tuple[str, list[str]]:
    reader = PdfReader(io.BytesIO(body))
    [page] = reader.pages
    decoded = []
    for image in page.images:
        decoded += [b.text for b in zxingcpp.read_barcodes(image.image)]
    return page.extract_text(), decoded


def test_the_rule_decides_who_gets_one(app, past, logged_in_client):
    organiser = logged_in_client(past.organiser)
    assert _rule(organiser, past, kind="percent", min_percent="60").status_code == 303
    # Alice attended two of the three sessions (67 %): online in one, and in the workshop's room.
    online_visit(app, past.alice, past.plenary)
    online_visit(app, past.alice, past.workshop)
    # Bob was scanned at one session's door only (33 %).
    door_entry(app, past.registrations[past.bob.id], past.thematic)
    alice, bob = logged_in_client(past.alice), logged_in_client(past.bob)
    assert b'data-certificate-status="eligible"' in alice.get(f"/events/{past.event.slug}/certificate").data
    assert b'data-certificate-status="not_eligible"' in bob.get(f"/events/{past.event.slug}/certificate").data
    refused = bob.get(f"/events/{past.event.slug}/certificate.pdf")
    assert refused.status_code == 403
    assert alice.get(f"/events/{past.event.slug}/certificate.pdf").status_code == 200
    assert alice.get(f"/events/{past.event.slug}/certificate.pdf").status_code == 200  # the same one again
    assert _count(app) == 1
    # A rule of listed sessions: Bob's one session is enough, Alice's two are not.
    assert _rule(organiser, past, kind="sessions", session_ids=str(past.thematic)).status_code == 303
    with app.app_context():
        event = db.session.merge(past.event)
        assert services.is_eligible(db.session, event, db.session.get(User, past.bob.id))
        assert not services.is_eligible(db.session, event, db.session.get(User, past.outsider.id))
    assert bob.get(f"/events/{past.event.slug}/certificate.pdf").status_code == 200


def test_no_rule_no_certificate(app, past, logged_in_client):
    online_visit(app, past.alice, past.plenary)
    alice = logged_in_client(past.alice)
    assert b'data-certificate-status="none"' in alice.get(f"/events/{past.event.slug}/certificate").data
    assert alice.get(f"/events/{past.event.slug}/certificate.pdf").status_code == 403
    assert _count(app) == 0


def test_only_organisers_set_the_rule_and_bad_rules_are_a_400(app, past, logged_in_client):
    assert _rule(logged_in_client(past.alice), past, kind="percent", min_percent="10").status_code == 403
    assert _rule(logged_in_client(past.moderator), past, kind="percent", min_percent="10").status_code == 403
    organiser = logged_in_client(past.organiser)
    for form in (
        {"kind": "percent", "min_percent": "0"},
        {"kind": "percent", "min_percent": "101"},
        {"kind": "percent", "min_percent": "abc"},
        {"kind": "sessions"},
        {"kind": "sessions", "session_ids": "999999"},
        {"kind": "everyone"},
    ):
        assert _rule(organiser, past, **form).status_code == 400, form


def test_organisers_issue_to_everyone_due_and_revoke_one(app, past, logged_in_client):
    organiser = logged_in_client(past.organiser)
    _rule(organiser, past, kind="percent", min_percent="30")
    online_visit(app, past.alice, past.plenary)
    door_entry(app, past.registrations[past.bob.id], past.thematic)
    assert post_form(organiser, f"/manage/events/{past.event.slug}/certificates/issue", {}).status_code == 303
    assert _count(app) == 2
    page = organiser.get(f"/manage/events/{past.event.slug}/certificates").data.decode()
    assert "Alice Asker" in page and "Bob Voter" in page
    with app.app_context():
        certificate = db.session.scalar(select(Certificate).where(Certificate.user_id == past.alice.id))
        cid, code = certificate.id, services.printed(certificate.code)
    assert logged_in_client(past.alice).get(f"/certificates/{code}").status_code == 200
    revoke = f"/manage/events/{past.event.slug}/certificates/{cid}/revoke"
    assert post_form(logged_in_client(past.alice), revoke, {}).status_code == 403
    assert post_form(organiser, revoke, {}).status_code == 303
    assert post_form(organiser, revoke, {}).status_code == 409
    check = logged_in_client(past.bob).get(f"/certificates/{code}")
    assert (
        check.status_code == 404
        and b'data-certificate="invalid"' in check.data
        and b"Not valid" in check.data
    )
    alice = logged_in_client(past.alice)
    assert b'data-certificate-status="revoked"' in alice.get(f"/events/{past.event.slug}/certificate").data
    assert alice.get(f"/events/{past.event.slug}/certificate.pdf").status_code == 403


@pytest.mark.parametrize(
    "code",
    [
        "AAAA-BBBB-CCCC",  # well formed, never issued
        "0000-0000-0000",
        "short",
        "x" * 300,
        "ÄÖÜ-مرحبا",
        "' OR 1=1 --",
        "%00",
    ],
)
def test_forged_or_malformed_codes_are_not_valid(app, past, client, code):
    response = client.get("/certificates/verify", query_string={"code": code})
    assert response.status_code == 404 and b'data-certificate="invalid"' in response.data


def test_the_pdf_reads_back_and_its_qr_code_leads_to_the_public_check(app, past, logged_in_client, client):
    organiser = logged_in_client(past.organiser)
    _rule(organiser, past, kind="percent", min_percent="30")
    online_visit(app, past.alice, past.plenary)
    alice = logged_in_client(past.alice)
    response = alice.get(f"/events/{past.event.slug}/certificate.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    text, decoded = _pdf_text_and_qr(response.data)
    with app.app_context():
        certificate = db.session.scalar(select(Certificate))
        code = services.printed(certificate.code)
    assert "Certificate of attendance" in text and "Alice Asker" in text and past.event.title in text
    assert code in text
    assert decoded == [f"http://localhost/certificates/{code}"]
    check = client.get(decoded[0].removeprefix("http://localhost"))
    page = check.data.decode()
    assert check.status_code == 200 and 'data-certificate="valid"' in page
    assert "Alice Asker" in page and past.event.title in page and "data-dates" in page
    # Name, event and dates, nothing else: no e-mail, no organisation, no country.
    assert past.alice.email not in page and "Test Org" not in page


def test_an_arabic_name_is_shaped_right_to_left(app, past, logged_in_client, make_user, make_registration):
    arabic = "محمد عبد الله"
    person = make_user(name=arabic, country="EG")
    make_registration(person, past.event, "online")
    _rule(logged_in_client(past.organiser), past, kind="percent", min_percent="30")
    online_visit(app, person, past.plenary)
    body = logged_in_client(person).get(f"/events/{past.event.slug}/certificate.pdf").data
    text, decoded = _pdf_text_and_qr(body)
    [line] = [line for line in text.splitlines() if any("\ufe70" <= ch <= "\ufeff" for ch in line)]
    # The PDF holds joined letter forms (Arabic presentation forms), drawn left to right in visual order.
    # pypdf reads a right-to-left run back in reverse, so the line comes back in reading order: unshaped
    # (NFKC), it is the name as typed. Drawn unshaped there would be no presentation forms; drawn in
    # typing order it would come back reversed.
    assert unicodedata.normalize("NFKC", line.strip()) == arabic
    assert arabic not in text
    assert len(decoded) == 1


def test_visual_order_of_right_to_left_text():
    shown = visual("محمد عبد الله")
    assert all("\ufe70" <= ch <= "\ufeff" or ch == " " for ch in shown)  # every letter in its joined form
    assert unicodedata.normalize("NFKC", shown)[::-1] == "محمد عبد الله"  # drawn right to left
    assert visual("Alice Asker") == "Alice Asker"


def _arabic_lines(text: str) -> list[str]:
    """The lines drawn in Arabic, read back in reading order (see the test above) and unshaped."""
    return [
        unicodedata.normalize("NFKC", line.strip())
        for line in text.splitlines()
        if any("\ufe70" <= ch <= "\ufeff" for ch in line)
    ]


def test_the_pdf_speaks_arabic_for_an_arabic_page_and_for_an_arabic_holder(
    app, past, logged_in_client, make_user, make_registration
):
    person = make_user(name="Layla Haddad", country="EG")
    make_registration(person, past.event, "online")
    organiser = logged_in_client(past.organiser)
    _rule(organiser, past, kind="percent", min_percent="30")
    online_visit(app, person, past.plenary)
    page = logged_in_client(person)
    arabic_page = page.get(f"/events/{past.event.slug}/certificate", headers={"Accept-Language": "ar"})
    assert "شهادة حضور" in arabic_page.data.decode()
    body = page.get(f"/events/{past.event.slug}/certificate.pdf", headers={"Accept-Language": "ar"}).data
    text, decoded = _pdf_text_and_qr(body)
    lines = _arabic_lines(text)
    assert "شهادة حضور" in lines and "نشهد بأن" in lines
    assert "Certificate of attendance" not in text and "Layla Haddad" in text and len(decoded) == 1
    # The organisers' copy is in the holder's language (their account's), not the organiser's page.
    with app.app_context():
        db.session.get(User, person.id).language = "ar"
        certificate = db.session.scalar(select(Certificate).where(Certificate.user_id == person.id))
        db.session.commit()
    copy = organiser.get(
        f"/manage/events/{past.event.slug}/certificates/{certificate.id}.pdf",
        headers={"Accept-Language": "en"},
    )
    assert "شهادة حضور" in _arabic_lines(_pdf_text_and_qr(copy.data)[0])
    english = page.get(f"/events/{past.event.slug}/certificate.pdf", headers={"Accept-Language": "en"})
    assert "Certificate of attendance" not in _pdf_text_and_qr(english.data)[0]  # the account says Arabic now


def test_certificate_dates_follow_the_language(app, past):
    from flask_babel import force_locale

    with app.test_request_context():
        event = db.session.merge(past.event)
        english = services.event_dates(event)
        with force_locale("fr"):
            french = services.event_dates(event)
        with force_locale("ar"):
            arabic = services.event_dates(event)
    assert english != french and any(
        month in french
        for month in (
            "janv",
            "févr",
            "mars",
            "avr",
            "mai",
            "juin",
            "juil",
            "août",
            "sept",
            "oct",
            "nov",
            "déc",
        )
    )
    assert any("\u0600" <= ch <= "\u06ff" for ch in arabic)
