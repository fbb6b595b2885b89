"""axe-core (vendored from npm: tests/browser/vendor/axe-core-4.14.1, MPL-2.0) over every page, in every
role that sees it, in English and in Arabic, in Chromium: WCAG 2.x A and AA rules, no violation at all."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from browser_support import sign_in_page

from conference.extensions import db
from conference.programme.models import ProgrammeSession, Speaker, Track

AXE = Path(__file__).resolve().parent / "vendor" / "axe-core-4.14.1" / "axe.min.js"
TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]


def axe_violations(page) -> list[dict]:
    # Evaluated through the DevTools protocol: a <script> tag would be refused by the pages' strict CSP.
    page.evaluate(AXE.read_text(encoding="utf-8") + "\n;undefined")
    result = page.evaluate(
        "tags => axe.run(document, {runOnly: {type: 'tag', values: tags}, resultTypes: ['violations']})",
        TAGS,
    )
    return [
        {
            "rule": v["id"],
            "impact": v["impact"],
            "nodes": [n["target"] for n in v["nodes"]][:5],
            "summary": v["nodes"][0]["failureSummary"][:300],
        }
        for v in result["violations"]
    ]


class Settle:
    """Waits until a page is what a person sees. A page with the live socket (its snapshot arrives
    over the WebSocket, which no request shows) gets Playwright's `networkidle`, 500 ms without a
    request; any other page only until none of its requests has been in flight for 100 ms."""

    def __init__(self, page) -> None:
        self.page = page
        self.in_flight: set = set()

        # Plain functions: Playwright marks its handlers with an attribute, which a set's bound
        # `add` and `discard` cannot carry.
        def started(request) -> None:
            self.in_flight.add(request)

        def ended(request) -> None:
            self.in_flight.discard(request)

        page.on("request", started)
        page.on("requestfinished", ended)
        page.on("requestfailed", ended)

    def __call__(self) -> None:
        if self.page.evaluate("typeof window.io === 'function'"):
            self.page.wait_for_load_state("networkidle")
            return
        quiet_ticks = 0
        for _ in range(200):  # 10 s at most
            quiet_ticks = 0 if self.in_flight else quiet_ticks + 1
            if quiet_ticks == 2:
                return
            self.page.wait_for_timeout(50)
        raise AssertionError(f"requests still in flight: {[r.url for r in self.in_flight]}")


def pages_of(app, event) -> dict[str, list[str]]:
    """role → the pages that role opens (each page once, in the role that reaches it first)."""
    with app.app_context():
        sessions = db.session.query(ProgrammeSession).filter_by(event_id=event.id).all()
        plenary = next(s.id for s in sessions if s.kind == "plenary")
        track = db.session.query(Track.id).filter_by(event_id=event.id).scalar()
        speaker = db.session.query(Speaker.id).filter_by(event_id=event.id).scalar()
    e, s, m = (
        f"/events/{event.slug}",
        f"/events/{event.slug}/sessions/{plenary}",
        f"/manage/events/{event.slug}",
    )
    return {
        "anonymous": [
            "/events",
            e,
            f"{e}/agenda",
            s,
            "/login",
            "/signup",
            "/forgot",
            "/login/link",
            f"{e}/matchmaking",
            f"{e}/matchmaking/print",
            "/certificates/verify",
        ],
        "participant": [
            "/me/registrations",
            f"{e}/register",
            f"{e}/badge",
            f"{s}/live",
            "/account/password",
            "/account/tokens",
            f"{e}/matchmaking/practices/new",
            f"{e}/meetings",
            f"{e}/my-agenda",
            f"{e}/board",
            "/me/questions",
            f"{e}/certificate",
            f"{s}/feedback",
        ],
        "moderator": [f"{s}/moderate", f"{s}/screen"],
        "staff": [f"{e}/checkin", f"{e}/checkin/dashboard", f"{e}/badges", f"{e}/attendance"],
        "organiser": [
            "/manage",
            m,
            f"{m}/edit",
            f"{m}/programme",
            f"{m}/programme/sessions/{plenary}",
            f"{m}/programme/sessions/new",
            f"{m}/programme/sessions/{plenary}/channels/new",
            f"{m}/programme/tracks/{track}",
            f"{m}/programme/speakers/{speaker}",
            f"{m}/programme-file",
            f"{m}/documents",
            f"{m}/registration-form",
            f"{m}/participants",
            f"{m}/participants/upload",
            f"{m}/doors",
            f"{m}/team",
            f"{m}/announcements",
            f"{e}/attendance/report",
            f"{m}/board",
            f"{m}/feedback",
            f"{m}/certificates",
            f"{m}/matchmaking",
        ],
        "admin": ["/manage/events/new", "/manage/outbox"],
    }


def add_interpretation(app, event) -> None:
    from conference.interpretation import services
    from conference.interpretation.schemas import ChannelIn

    with app.app_context():
        plenary = db.session.query(ProgrammeSession).filter_by(event_id=event.id, kind="plenary").one()
        plenary.stream_url = "https://www.youtube.com/watch?v=floor123456"
        db.session.commit()
        services.create_channel(
            db.session, plenary, ChannelIn(language="ar", stream_url="https://vimeo.com/76979871")
        )
        services.create_channel(
            db.session, plenary, ChannelIn(language="fr", stream_url="https://vimeo.com/76979872", live=False)
        )


ROLES = ("anonymous", "participant", "moderator", "staff", "organiser", "admin")


# One test per role and language (twelve), so that a parallel run spreads the ~110 pages over its workers.
@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("language", ["en", "ar"])
def test_no_axe_violation_on_any_page(
    app, make_event, make_user, make_registration, live_server, browser, language, role
):
    event = make_event("symposium")
    people = {
        "participant": make_user(name="Amina Haddad"),
        "moderator": make_user("moderator", name="Mona Moderator"),
        "staff": make_user("staff", name="Sami Staff"),
        "organiser": make_user("organiser", name="Olga Organiser"),
        "admin": make_user("admin", name="Ada Admin"),
    }
    make_registration(people["participant"], event, "in_person")
    add_interpretation(app, event)  # the live page's picker, the console's switches, the screen's list
    found: dict[str, list] = {}
    context = browser.new_context(locale=language, viewport={"width": 1280, "height": 900})
    page = context.new_page()
    settle = Settle(page)
    if role != "anonymous":
        sign_in_page(page, live_server, people[role])
    for path in pages_of(app, event)[role]:
        response = page.goto(f"{live_server}{path}")
        assert response.status == 200, (role, path, response.status)
        assert page.evaluate("document.documentElement.dir") == ("rtl" if language == "ar" else "ltr")
        settle()
        violations = axe_violations(page)
        if violations:
            found[f"{role} {path}"] = violations
    context.close()
    assert not found, json.dumps(found, indent=1, ensure_ascii=False)[:20000]


def test_every_role_of_the_page_list_is_tried(app, make_event):
    assert set(pages_of(app, make_event("symposium"))) == set(ROLES)
