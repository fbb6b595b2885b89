"""In Chromium, in Arabic: the matchmaking table and the discussion board read right to left and in
Arabic, and the live page's matchmaking panel gets its words (and plural forms) from the same catalogue
as the page when a practice and an interest arrive without reload."""

from __future__ import annotations

from browser_support import sign_in_page

from conference.accounts.models import User
from conference.extensions import db as _db
from conference.matchmaking import live, services
from conference.matchmaking.models import MatchmakingSession
from conference.matchmaking.schemas import InterestIn, PracticeIn
from conference.payloads import parse
from conference.programme.models import Event


def arabic(text: str) -> bool:
    return any("\u0600" <= ch <= "\u06ff" for ch in text)


def _in_arabic(browser, live_server, user):
    context = browser.new_context(locale="ar", viewport={"width": 1200, "height": 900})
    return sign_in_page(context.new_page(), live_server, user)


def test_matchmaking_and_board_in_arabic(app, mm, live_server, browser):
    with app.app_context():
        _db.session.add(MatchmakingSession(session_id=mm.session_id, event_id=mm.event.id))
        _db.session.commit()

    watcher = _in_arabic(browser, live_server, mm.viet)
    watcher.goto(f"{live_server}/events/symposium/sessions/{mm.session_id}/live")
    watcher.wait_for_function("window.Live && Live.state() !== null")
    assert watcher.evaluate("[document.documentElement.lang, document.documentElement.dir]") == ["ar", "rtl"]
    panel = watcher.locator("[data-matchmaking-live]")
    assert panel.locator("h2").inner_text().startswith("التوفيق بين الشركاء")
    assert panel.locator("[data-mm-empty]").inner_text().startswith("لا ممارسات بعد.")

    # A practice and a country's interest arrive: the panel words them in Arabic, the count's plural form too.
    with app.test_request_context():
        db = _db.session
        event = db.get(Event, mm.event.id)
        practice = services.create_practice(
            db, event, db.get(User, mm.owner.id), parse(PracticeIn, {"title": "رقمنة سريعة", "summary": "…"})
        )
        practice_id = practice.id
        live.practice_changed(practice)  # as the view does after the commit
    item = panel.locator(".mm-live-item")
    item.wait_for()
    assert item.locator('[data-field="interested"]').inner_text() == "لا أحد بعد"
    assert arabic(item.locator('[data-field="country"]').inner_text())  # the browser names Korea in Arabic
    with app.test_request_context():
        db = _db.session
        outcome = services.express_interest(
            db,
            services.get_practice(db, db.get(Event, mm.event.id), practice_id),
            db.get(User, mm.thai.id),
            parse(InterestIn, {}),
        )
        live.interest_changed(outcome.interest)
    watcher.wait_for_function(
        "document.querySelector('[data-mm-possibilities-text]').textContent.includes('احتمال واحد')"
    )
    assert panel.locator("[data-mm-count]").inner_text() == "1"
    interested = item.locator('[data-field="interested"]').inner_text()
    assert arabic(interested) and "Thailand" not in interested

    # The table: Arabic headings, columns laid out from the right.
    watcher.goto(f"{live_server}/events/symposium/matchmaking")
    assert watcher.locator("h1").inner_text() == "التوفيق بين الشركاء"
    headings = watcher.locator("#mm-table thead th")
    assert headings.first.inner_text() == "الممارسة"
    first, last = headings.first.bounding_box(), headings.last.bounding_box()
    assert first["x"] > last["x"]  # right to left: the first column is on the right
    assert (
        "تايلاند" in watcher.locator("#mm-table tbody").inner_text()
    )  # the server's country names, in Arabic

    # The board: ask in Arabic, the page answers in Arabic, vote counts in Arabic plural forms.
    watcher.goto(f"{live_server}/events/symposium/board")
    assert watcher.locator("h1").inner_text() == "لوحة النقاش"
    watcher.get_by_label("اطرح سؤالًا").fill("متى تُنشر الشرائح؟")
    watcher.get_by_role("button", name="اسأل", exact=True).click()
    watcher.get_by_text("سؤالك على اللوحة.").wait_for()
    question = watcher.locator(".board-question").first
    assert "0 صوت" in question.locator(".meta").inner_text()
    question.get_by_role("button", name="صوّت").click()
    watcher.get_by_role("button", name="سحب صوتي").wait_for()
    assert "1 صوت واحد" in watcher.locator(".board-question .meta").first.inner_text()
    ask_box, sort = watcher.locator(".board-ask").bounding_box(), watcher.locator(".qa-sort").bounding_box()
    assert ask_box and sort
    label = watcher.locator("label[for=board-ask-text]").bounding_box()
    assert (
        label and label["x"] + label["width"] > ask_box["x"] + ask_box["width"] / 2
    )  # the label starts on the right
