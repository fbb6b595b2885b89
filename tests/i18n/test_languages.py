"""Which language a page speaks, the header's switch, plural forms, locale formats and the JS catalogue."""

from __future__ import annotations

import json
import re
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest
from conftest import post_form
from sqlalchemy import select

from conference.accounts.models import User
from conference.extensions import db as _db
from conference.programme.models import Event

HTML_TAG = re.compile(rb"<html[^>]*>")
CATALOGUE = re.compile(rb'<script type="application/json" id="i18n-catalogue">(.*?)</script>', re.S)


def html_tag(response) -> str:
    return HTML_TAG.search(response.data).group(0).decode()


def js_catalogue(response) -> dict:
    return json.loads(CATALOGUE.search(response.data).group(1))


@pytest.mark.parametrize(
    ("accept", "tag"),
    [
        ("ar,en;q=0.5", '<html lang="ar" dir="rtl">'),
        ("fr-FR,fr;q=0.9", '<html lang="fr" dir="ltr">'),
        ("zh-CN,zh;q=0.9", '<html lang="zh-Hans" dir="ltr">'),
        ("ru", '<html lang="ru" dir="ltr">'),
        ("es-MX", '<html lang="es" dir="ltr">'),
        ("de-DE", '<html lang="en" dir="ltr">'),
        ("en-GB", '<html lang="en" dir="ltr">'),
    ],
)
def test_accept_language_picks_the_page_language(client, accept, tag):
    response = client.get("/login", headers={"Accept-Language": accept})
    assert response.status_code == 200
    assert html_tag(response) == tag


def test_pages_speak_the_language_chosen(client):
    arabic = client.get("/login", headers={"Accept-Language": "ar"}).data.decode()
    assert "تسجيل الدخول" in arabic and "كلمة المرور" in arabic and ">Password<" not in arabic
    french = client.get("/login", headers={"Accept-Language": "fr"}).data.decode()
    assert "Mot de passe" in french and "Aller au contenu" in french
    chinese = client.get("/login", headers={"Accept-Language": "zh"}).data.decode()
    assert "密码" in chinese and "跳到正文" in chinese


def test_switch_sets_a_cookie_that_beats_accept_language(client):
    response = post_form(client, "/language", {"language": "ar", "next": "/login?x=1"})
    assert response.status_code == 303 and response.headers["Location"].endswith("/login?x=1")
    assert "lang=ar" in response.headers["Set-Cookie"] and "HttpOnly" in response.headers["Set-Cookie"]
    assert html_tag(client.get("/login", headers={"Accept-Language": "fr"})) == '<html lang="ar" dir="rtl">'


def test_switch_refuses_unknown_languages_and_foreign_next(client):
    bad = post_form(client, "/language", {"language": "klingon"}, headers={"Accept": "application/json"})
    assert bad.status_code == 400 and bad.get_json()["error"]["code"] == "unknown_language"
    away = post_form(client, "/language", {"language": "fr", "next": "https://elsewhere.example/"})
    assert away.status_code == 303 and "elsewhere" not in away.headers["Location"]


def test_switch_without_csrf_token_is_refused(client):
    assert client.post("/language", data={"language": "ar"}).status_code == 400


def test_the_account_remembers_the_choice_on_every_device(app, make_user, logged_in_client):
    user = make_user(email="amina@example.org")
    phone = logged_in_client(user)
    post_form(phone, "/language", {"language": "ar"})
    with app.app_context():
        assert _db.session.scalar(select(User.language).where(User.email == "amina@example.org")) == "ar"
    laptop = logged_in_client(user)  # another browser: no cookie, an English Accept-Language
    page = laptop.get("/events", headers={"Accept-Language": "en"})
    assert html_tag(page) == '<html lang="ar" dir="rtl">'


def test_the_event_default_applies_when_the_browser_names_no_language(app, make_event, client):
    event = make_event("majlis")
    with app.app_context():
        _db.session.get(Event, event.id).languages = "ar,en"
        _db.session.commit()
    assert html_tag(client.get("/events/majlis/agenda")) == '<html lang="ar" dir="rtl">'
    assert html_tag(client.get("/events/majlis/agenda", headers={"Accept-Language": "fr"})).startswith(
        '<html lang="fr"'
    )
    assert html_tag(client.get("/events")) == '<html lang="en" dir="ltr">'


def test_arabic_plural_forms(app):
    from flask_babel import ngettext

    expected = {
        0: "لا أصوات",
        1: "صوت واحد",
        2: "صوتان",
        3: "3 أصوات",
        10: "10 أصوات",
        11: "11 صوتًا",
        99: "99 صوتًا",
        100: "100 صوت",
        102: "102 صوتان",
    }
    with app.test_request_context(headers={"Accept-Language": "ar"}):
        for n, text in expected.items():
            got = ngettext("%(num)s vote", "%(num)s votes", n)
            if n == 102:  # gettext's rule: 102 % 100 == 2 is form 5 ("other"), never "two"
                assert got == "102 صوت"
            else:
                assert got == text, n


def test_english_and_russian_plurals_count_right(app):
    from flask_babel import ngettext

    with app.test_request_context():
        assert ngettext("%(num)s vote", "%(num)s votes", 1) == "1 vote"
        assert ngettext("%(num)s vote", "%(num)s votes", 5) == "5 votes"
    with app.test_request_context(headers={"Accept-Language": "ru"}):
        assert [ngettext("%(num)s vote", "%(num)s votes", n) for n in (1, 3, 5, 21)] == [
            "1 голос",
            "3 голоса",
            "5 голосов",
            "21 голос",
        ]


def test_js_catalogue_carries_translations_and_every_plural_category(client):
    arabic = js_catalogue(client.get("/login", headers={"Accept-Language": "ar"}))
    assert arabic["locale"] == "ar"
    assert arabic["messages"]["Ask anonymously" if "Ask anonymously" in arabic["messages"] else "Anonymous"]
    assert arabic["messages"]["Anonymous"] == "مجهول"
    assert set(arabic["plurals"]["%(num)s vote"]) == {"zero", "one", "two", "few", "many", "other"}
    assert arabic["plurals"]["%(num)s vote"]["two"] == "صوتان"
    english = js_catalogue(client.get("/login"))
    assert english["messages"] == {} and english["plurals"]["%(num)s vote"] == {
        "one": "%(num)s vote",
        "other": "%(num)s votes",
    }


def test_js_catalogue_cannot_break_out_of_its_script(client):
    body = client.get("/login", headers={"Accept-Language": "ar"}).data
    payload = CATALOGUE.search(body).group(1)
    assert b"<" not in payload and b">" not in payload


def test_dates_and_times_follow_the_locale(app):
    from conference.i18n.formatting import local_day, local_time, number

    seoul = ZoneInfo("Asia/Seoul")
    moment = datetime(2030, 5, 6, 0, 30, tzinfo=UTC)
    cases = {
        "en": ("09:30", "Monday 6 May 2030", "6 May", "1,234"),
        "fr": ("09:30", "lundi 6 mai 2030", "6 mai", "1\u202f234"),
        "ar": ("09:30", "الاثنين، 6 مايو 2030", "6 مايو", "1,234"),
        "zh": ("09:30", "2030年5月6日星期一", "5月6日", "1,234"),
    }
    for language, (clock, day, short, thousands) in cases.items():
        with app.test_request_context(headers={"Accept-Language": language}):
            assert local_time(moment, seoul) == clock
            assert local_day(date(2030, 5, 6)) == day, language
            assert local_time(moment, seoul, "%-d %B") == short, language
            assert number(1234) == thousands, language


def test_country_names_follow_the_page_language(app):
    from conference.countries import country_name

    with app.test_request_context():
        assert country_name("AU") == "Australia"
    with app.test_request_context(headers={"Accept-Language": "ar"}):
        assert country_name("AU") == "أستراليا"
    with app.test_request_context(headers={"Accept-Language": "zh"}):
        assert country_name("KR") == "韩国"
    assert country_name("FR") == "France"  # outside a request (CSV files, the CLI): English


@pytest.mark.parametrize("language", ["en", "ar", "fr", "es", "ru", "zh"])
def test_every_template_date_format_renders_in_every_language(app, language):
    """A format CLDR has no skeleton for (date and time together in Russian) once made pages 500."""
    from conference.i18n.formatting import FULL_DAY, SKELETONS, local_day, local_time

    seoul = ZoneInfo("Asia/Seoul")
    moment = datetime(2030, 5, 6, 0, 30, tzinfo=UTC)
    with app.test_request_context(headers={"Accept-Language": language}):
        for fmt in [*SKELETONS, *FULL_DAY]:
            text = local_time(moment, seoul, fmt)
            assert "6" in text or "09:30" in text, (fmt, text)
        for fmt in ("%A %-d %B %Y", "%A %-d %B", "%-d %B", "%-d %B %Y", "%-d %b %Y"):
            assert "6" in local_day(date(2030, 5, 6), fmt)


def test_the_agenda_shows_and_filters_session_languages(app, make_event, client):
    from conference.programme.models import ProgrammeSession

    event = make_event("majlis")
    plain = client.get("/events/majlis/agenda").data.decode()
    assert "data-language-filter" not in plain  # one language: nothing to choose
    with app.app_context():
        session = _db.session.scalars(
            select(ProgrammeSession).where(
                ProgrammeSession.event_id == event.id, ProgrammeSession.kind == "thematic"
            )
        ).one()
        session.language = "ar"
        _db.session.commit()
    english = client.get("/events/majlis/agenda").data.decode()
    assert 'data-language-filter="ar"' in english and 'data-language-filter="en"' in english
    assert "In Arabic" in english and 'data-language="ar"' in english
    french = client.get("/events/majlis/agenda", headers={"Accept-Language": "fr"}).data.decode()
    assert "En arabe" in french and "Langues" in french
    arabic = client.get("/events/majlis/agenda", headers={"Accept-Language": "ar"}).data.decode()
    assert "اللغة: العربية" in arabic
