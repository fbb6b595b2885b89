"""The interface in Arabic, French and Chinese in Chromium: the header's switch, <html lang dir>, translated
pages and JavaScript strings, and a right-to-left layout whose positions mirror the English one."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from browser_support import sign_in, switch_language

from conference.extensions import db
from conference.programme.models import ProgrammeSession

SHOTS = (
    Path(os.environ.get("CONFERENCE_SCREENSHOTS", "")) if os.environ.get("CONFERENCE_SCREENSHOTS") else None
)


def shoot(page, tmp_path, name: str) -> None:
    """A full-page screenshot under the test's folder (and CONFERENCE_SCREENSHOTS, when set)."""
    for folder in filter(None, (tmp_path, SHOTS)):
        folder.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(folder / f"{name}.png"), full_page=True)


def plenary_id(app, event) -> int:
    with app.app_context():
        return db.session.query(ProgrammeSession.id).filter_by(event_id=event.id, kind="plenary").scalar()


def box(page, selector: str) -> dict:
    found = page.locator(selector).first.bounding_box()
    assert found, selector
    return found


def test_arabic_french_and_chinese_pages(
    app, make_event, make_user, make_registration, live_server, browser, tmp_path
):
    event = make_event("symposium")
    session_id = plenary_id(app, event)
    amina = make_user(name="Amina Haddad")
    make_registration(amina, event, "online")
    context, page = sign_in(browser, live_server, amina)
    page.set_viewport_size({"width": 1200, "height": 900})

    page.goto(f"{live_server}/events/symposium/agenda")
    assert page.evaluate("[document.documentElement.lang, document.documentElement.dir]") == ["en", "ltr"]
    english_brand = box(page, ".nav .brand")
    english_item = box(page, ".agenda-item")
    english_border = page.eval_on_selector(".agenda-item", "e => getComputedStyle(e).borderLeftWidth")
    shoot(page, tmp_path, "agenda-en")

    switch_language(page, "ar")
    assert page.evaluate("[document.documentElement.lang, document.documentElement.dir]") == ["ar", "rtl"]
    assert page.locator("h1").inner_text() == "جدول الأعمال في لمحة"
    assert "تسجيلاتي" in page.locator(".site-header").inner_text()
    # Mirrored: the brand moves from the left edge to the right edge, the track's stripe to the right.
    arabic_brand = box(page, ".nav .brand")
    width = page.evaluate("document.documentElement.clientWidth")
    assert english_brand["x"] < width / 3 and arabic_brand["x"] + arabic_brand["width"] > 2 * width / 3
    item = page.locator(".agenda-item").first
    assert item.evaluate("e => getComputedStyle(e).borderRightWidth") == english_border
    assert item.evaluate("e => getComputedStyle(e).borderLeftWidth") != english_border
    arabic_item = box(page, ".agenda-item")
    assert abs((arabic_item["x"] + arabic_item["width"]) - (english_item["x"] + english_item["width"])) < 2
    # The day heading is dated in Arabic by Babel.
    assert "مايو" in page.locator(".agenda-day h2").first.inner_text()
    shoot(page, tmp_path, "agenda-ar")

    # The live room: the page and its JavaScript speak Arabic, and the choice stays with the account.
    page.goto(f"{live_server}/events/symposium/sessions/{session_id}/live")
    page.wait_for_function("window.Live && Live.state() !== null")
    assert page.evaluate("document.documentElement.dir") == "rtl"
    assert page.locator("#qa-title").inner_text() == "الأسئلة"
    assert "اسأل دون ذكر اسمك" in page.locator("#ask-form").inner_text()
    page.fill("#ask-text", "ما هي الخطوات التالية؟")
    page.check("#ask-anonymous")
    page.click("#ask-form button[type=submit]")
    mine = page.locator(".qa-item", has_text="الخطوات التالية")
    mine.wait_for()
    assert "مجهول" in mine.inner_text()  # "(anonymous to others)" comes from the JS catalogue
    assert not page.is_checked("#ask-anonymous")  # the box does not stay ticked after sending
    # Mirrored: the polls card (first in the page) sits right of the questions card, the heading
    # and the session's time hug the right edge; the time range still reads 09:00–09:45.
    assert box(page, ".qa.card")["x"] < box(page, ".live-layout > section:not(.qa):not(.live-stream)")["x"]
    heading, card = box(page, "#qa-title"), box(page, ".qa.card")
    assert abs((heading["x"] + heading["width"]) - (card["x"] + card["width"])) < 40
    assert page.locator("[data-session-when] span[dir=ltr]").inner_text().startswith("09:00–09:45")
    assert page.get_attribute("#chat-form input, #chat-form textarea", "placeholder") == "قل شيئًا…"
    shoot(page, tmp_path, "live-ar")

    switch_language(page, "fr")
    assert page.evaluate("[document.documentElement.lang, document.documentElement.dir]") == ["fr", "ltr"]
    page.wait_for_function("window.Live && Live.state() !== null")
    assert page.locator("#qa-title").inner_text() == "Questions"
    assert "Poser anonymement" in page.locator("#ask-form").inner_text()
    assert "Mes inscriptions" in page.locator(".site-header").inner_text()
    shoot(page, tmp_path, "live-fr")

    switch_language(page, "zh")
    assert page.evaluate("[document.documentElement.lang, document.documentElement.dir]") == [
        "zh-Hans",
        "ltr",
    ]
    page.wait_for_function("window.Live && Live.state() !== null")
    assert page.locator("#qa-title").inner_text() == "提问"
    assert "匿名" in page.locator(".qa-item", has_text="الخطوات التالية").inner_text()
    page.goto(f"{live_server}/events/symposium/agenda")
    assert page.locator("h1").inner_text() == "议程一览"
    assert "5月" in page.locator(".agenda-day h2").first.inner_text()
    shoot(page, tmp_path, "agenda-zh")

    # Another browser of the same person, with a French Accept-Language: the account's choice wins.
    other = browser.new_context(locale="fr-FR")
    from browser_support import sign_in_page

    second = sign_in_page(other.new_page(), live_server, amina)
    second.goto(f"{live_server}/events/symposium/agenda")
    assert second.evaluate("document.documentElement.lang") == "zh-Hans"
    other.close()
    context.close()


@pytest.mark.parametrize(
    ("locale", "lang", "title"), [("ar", "ar", "تسجيل الدخول"), ("fr-FR", "fr", "Se connecter")]
)
def test_a_visitors_browser_language_is_followed(browser, live_server, locale, lang, title):
    context = browser.new_context(locale=locale)
    page = context.new_page()
    page.goto(f"{live_server}/login")
    assert page.evaluate("document.documentElement.lang") == lang
    assert title in page.locator("main").inner_text()
    context.close()
