"""Mails speak their recipient's language: the account's choice, else the event's default language,
whatever the language of the request that caused them (subject, text, HTML, dates, plural forms)."""

from __future__ import annotations

from conftest import post_form
from mail_support import deliver, text_of

from conference.accounts.models import User
from conference.extensions import db as _db
from conference.programme.models import Event


def _set(app, model, ident, **values):
    with app.app_context():
        row = _db.session.get(model, ident)
        for key, value in values.items():
            setattr(row, key, value)
        _db.session.commit()


def html_of(message) -> str:
    return message.get_body(preferencelist=("html",)).get_content()


def test_an_arabic_speaker_gets_an_arabic_confirmation_from_an_english_browser(
    app, make_user, make_event, smtp_server, logged_in_client
):
    event = make_event()
    user = make_user(email="layla@example.org", name="ليلى")
    _set(app, User, user.id, language="ar")
    client = logged_in_client(user)
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    assert post_form(client, f"/events/{event.slug}/register", {"mode": "in_person"}).status_code == 303
    assert deliver(app).sent == 1
    [confirmation] = smtp_server.messages
    assert confirmation["Subject"] == f"تأكد التسجيل: {event.title}"
    text = text_of(confirmation)
    assert "ليلى" in text and "Hello" not in text and "Your registration" not in text
    assert "الاثنين، 6 مايو 2030" in text and "08:30" in text  # the date in Arabic, the event's zone
    assert "مرحبًا ليلى،" in text and "شارة QR الخاصة بك مرفقة" in text  # in-person: the badge sentence
    html = html_of(confirmation)
    assert 'lang="ar" dir="rtl"' in html and "مرحبًا ليلى،" in html


def test_without_a_choice_the_event_default_language_wins_over_the_browser(
    app, make_user, make_event, smtp_server, logged_in_client
):
    event = make_event()
    _set(app, Event, event.id, languages="ar,en")
    user = make_user(email="omar@example.org")  # no language chosen
    client = logged_in_client(user)
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "fr"
    assert post_form(client, f"/events/{event.slug}/register", {"mode": "online"}).status_code == 303
    deliver(app)
    [confirmation] = smtp_server.messages
    assert confirmation["Subject"].startswith("تأكد التسجيل")
    assert "Inscription" not in confirmation["Subject"]


def test_a_french_speaker_reads_french_and_english_stays_english(
    app, make_user, make_event, smtp_server, logged_in_client
):
    event = make_event()
    french = make_user(email="claire@example.org")
    _set(app, User, french.id, language="fr")
    english = make_user(email="john@example.org")
    for user in (french, english):
        post_form(logged_in_client(user), f"/events/{event.slug}/register", {"mode": "online"})
    deliver(app)
    [claire] = smtp_server.mailbox.to("claire@example.org")
    [john] = smtp_server.mailbox.to("john@example.org")
    assert claire["Subject"] == f"Inscription confirmée : {event.title}"
    assert "lundi 6 mai 2030" in text_of(claire)
    assert john["Subject"] == f"Registration confirmed: {event.title}"
    assert "Monday 6 May 2030, 08:30" in text_of(john)


def test_a_reset_link_in_arabic_counts_its_lifetime_with_arabic_plural_forms(
    app, make_user, smtp_server, client
):
    user = make_user(email="amal@example.org")
    _set(app, User, user.id, language="ar")
    response = post_form(client, "/forgot", {"email": "amal@example.org"})
    assert response.status_code == 200
    deliver(app)
    [message] = smtp_server.messages
    assert message["Subject"] == "إعادة تعيين كلمة المرور"
    text = text_of(message)
    assert "ساعة واحدة" in text  # one hour: the "one" form of Arabic, without the digit
    assert "1 hour" not in text and "If you did not ask" not in text


def test_the_lifetime_follows_each_languages_plural_rules(app):
    from datetime import timedelta

    from flask_babel import force_locale

    from conference.accounts.links import _describe

    with app.test_request_context():
        cases = {
            "en": ["1 hour", "7 days", "30 minutes"],
            "ar": ["ساعة واحدة", "7 أيام", "30 دقيقة"],
            "ru": ["1 час", "7 дней", "30 минут"],
        }
        for language, (hour, week, half_hour) in cases.items():
            with force_locale(language):
                assert _describe(timedelta(hours=1)) == hour
                assert _describe(timedelta(days=7)) == week
                assert _describe(timedelta(minutes=30)) == half_hour
        with force_locale("ar"):
            assert _describe(timedelta(days=2)) == "يومين"
            assert _describe(timedelta(days=11)) == "11 يومًا"


def test_the_confirmations_calendar_is_in_the_recipients_language(
    app, make_user, make_event, smtp_server, logged_in_client
):
    """The .ics attached to a confirmation reads the recipient's language (the organisers'
    translations, the original where there is none), whatever the browser's."""
    import icalendar
    from mail_support import attachments_of
    from sqlalchemy import select

    from conference.programme.models import ProgrammeSession

    event = make_event()
    with app.app_context():
        row = _db.session.get(Event, event.id)
        row.translations = {"title": {"ar": "الندوة"}}
        plenary = _db.session.scalar(
            select(ProgrammeSession).where(
                ProgrammeSession.event_id == event.id, ProgrammeSession.title == "Opening session"
            )
        )
        plenary.translations = {"title": {"ar": "الجلسة الافتتاحية"}}
        _db.session.commit()
    user = make_user(email="layla@example.org", name="ليلى")
    _set(app, User, user.id, language="ar")
    client = logged_in_client(user)
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "fr"
    assert post_form(client, f"/events/{event.slug}/register", {"mode": "online"}).status_code == 303
    deliver(app)
    [confirmation] = smtp_server.messages
    _content_type, ics = attachments_of(confirmation)[f"{event.slug}.ics"]
    calendar = icalendar.Calendar.from_ical(ics)
    assert str(calendar["X-WR-CALNAME"]) == "الندوة"
    titles = [str(e["summary"]) for e in calendar.walk("VEVENT")]
    assert titles[:2] == ["الندوة", "الجلسة الافتتاحية"] and "AI Ethics" in titles  # no translation: original
    opening = next(e for e in calendar.walk("VEVENT") if str(e["summary"]) == "الجلسة الافتتاحية")
    assert "Dr. Test Speaker" in str(opening["description"]) and "Speakers" not in str(opening["description"])


def test_registration_mails_name_the_event_by_its_translation_with_a_fallback(
    app, make_user, make_event, smtp_server, logged_in_client
):
    """Subject, text and HTML call the event by the organisers' translation into the recipient's
    language; a language without one reads the original title."""
    from flask_babel import force_locale, gettext

    from conference.registrations import mailings
    from conference.registrations.models import Registration

    event = make_event()
    original = event.title
    _set(app, Event, event.id, translations={"title": {"ar": "الندوة الإقليمية", "fr": "Le Colloque"}})
    readers = {}
    for email, language in [
        ("layla@example.org", "ar"),
        ("claire@example.org", "fr"),
        ("pedro@example.org", "es"),
        ("john@example.org", "en"),
    ]:
        readers[language] = user = make_user(email=email)
        _set(app, User, user.id, language=language)
        client = logged_in_client(user)
        client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
        assert post_form(client, f"/events/{event.slug}/register", {"mode": "online"}).status_code == 303
    with app.app_context():
        registration = _db.session.query(Registration).filter_by(user_id=readers["ar"].id).one()
        mailings.invite(_db.session, registration)
    deliver(app)

    confirmation, invitation = smtp_server.mailbox.to("layla@example.org")
    assert confirmation["Subject"] == "تأكد التسجيل: الندوة الإقليمية"
    assert invitation["Subject"].endswith(": الندوة الإقليمية")
    for message in (confirmation, invitation):
        text, html = text_of(message), html_of(message)
        assert "الندوة الإقليمية" in text and original not in text
        assert "<strong>الندوة الإقليمية</strong>" in html and original not in html
    with app.test_request_context(), force_locale("ar"):
        sign_in_to = gettext("Sign in to %(title)s", title="الندوة الإقليمية")
    assert f">{sign_in_to}</a>" in html_of(invitation) and sign_in_to != "Sign in to الندوة الإقليمية"

    [claire] = smtp_server.mailbox.to("claire@example.org")
    assert claire["Subject"] == "Inscription confirmée : Le Colloque"
    assert "Le Colloque" in text_of(claire) and original not in text_of(claire)
    assert "<strong>Le Colloque</strong>" in html_of(claire)

    for address, subject in [
        ("pedro@example.org", f"Inscripción confirmada: {original}"),
        ("john@example.org", f"Registration confirmed: {original}"),
    ]:
        [message] = smtp_server.mailbox.to(address)
        assert message["Subject"] == subject  # no Spanish translation: the original, in a Spanish sentence
        assert original in text_of(message) and f"<strong>{original}</strong>" in html_of(message)
        assert "Colloque" not in text_of(message) and "الندوة" not in html_of(message)


def test_a_status_notice_and_a_cancellation_use_the_translated_title(
    app, make_user, make_event, smtp_server, logged_in_client
):
    from conference.registrations import mailings
    from conference.registrations.models import Registration

    event = make_event()
    _set(app, Event, event.id, translations={"title": {"ru": "Симпозиум"}})
    user = make_user(email="olga@example.org")
    _set(app, User, user.id, language="ru")
    assert (
        post_form(logged_in_client(user), f"/events/{event.slug}/register", {"mode": "online"}).status_code
        == 303
    )
    with app.app_context():
        registration = _db.session.query(Registration).filter_by(user_id=user.id).one()
        mailings.queue_status_notice(_db.session, registration, "waitlisted")
        mailings.queue_cancellation(_db.session, registration)
        _db.session.commit()
    deliver(app)
    _confirmation, waitlisted, cancelled = smtp_server.mailbox.to("olga@example.org")
    for message in (waitlisted, cancelled):
        assert message["Subject"].endswith("Симпозиум"), message["Subject"]
        assert "Симпозиум" in text_of(message) and event.title not in text_of(message)
        assert "<strong>Симпозиум</strong>" in html_of(message)
