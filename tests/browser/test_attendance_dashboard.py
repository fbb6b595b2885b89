"""An organiser watches the attendance dashboard while a participant joins a live room and another
walks in at the door: the numbers move without a reload. The report prints."""

from __future__ import annotations

from datetime import timedelta

from browser_support import sign_in

from conference import hooks
from conference.checkin.models import CheckinList, CheckinMovement
from conference.db_types import utcnow
from conference.extensions import db
from conference.programme.models import ProgrammeSession


def figure(page, path: str) -> str:
    return page.inner_text(f"[data-figure='{path}']")


def test_the_dashboard_follows_joins_and_check_ins(
    app, make_event, make_user, make_registration, live_server, browser
):
    event = make_event("symposium")
    with app.app_context():
        plenary = db.session.query(ProgrammeSession.id).filter_by(event_id=event.id, kind="plenary").scalar()
    online = make_user(name="Olga Online", country="MN")
    walker = make_user(name="Pita Present", country="TO")
    make_registration(online, event, "online")
    registration = make_registration(walker, event, "in_person")
    staff = make_user("staff", name="Sam Staff")

    staff_context, dashboard = sign_in(browser, live_server, staff)
    dashboard.goto(f"{live_server}/events/symposium/attendance")
    dashboard.wait_for_selector(".attendance-status.live")
    assert figure(dashboard, "totals.participants") == "0"
    dashboard.evaluate("window.__sameDocument = true")

    participant_context, room = sign_in(browser, live_server, online)
    assert room.goto(f"{live_server}/events/symposium/attendance").status == 403
    room.goto(f"{live_server}/events/symposium/sessions/{plenary}/live")
    dashboard.wait_for_function(
        "document.querySelector(\"[data-figure='totals.now.online']\").textContent === '1'"
    )
    row = dashboard.locator(f"#session-rows tr[data-session-id='{plenary}']")
    assert row.locator("td").nth(1).inner_text() == "1"  # online now in the plenary
    assert "Mongolia" in dashboard.inner_text("#country-list")

    with app.app_context():  # what check-in does when Pita's badge is scanned at the entrance
        entrance = CheckinList(event_id=event.id, name="Entrance", scope="event")
        db.session.add(entrance)
        db.session.flush()
        moment = utcnow() - timedelta(seconds=1)
        db.session.add(
            CheckinMovement(
                list_id=entrance.id,
                registration_id=registration.id,
                direction="in",
                scanned_at=moment,
                uploaded_at=moment,
            )
        )
        db.session.commit()
        hooks.checkin_changed.send(event.id, session_ids=[])
    dashboard.wait_for_function(
        "document.querySelector(\"[data-figure='totals.now.on_site']\").textContent === '1'"
    )
    assert figure(dashboard, "summary") == "2 participants from 2 countries: 1 online, 1 on site; 1 session"

    participant_context.close()  # the participant's socket goes away
    dashboard.wait_for_function(
        "document.querySelector(\"[data-figure='totals.now.online']\").textContent === '0'"
    )
    assert dashboard.evaluate("window.__sameDocument") is True  # never reloaded

    report = staff_context.new_page()
    report.goto(f"{live_server}/events/symposium/attendance/report")
    assert "2 participants from 2 countries" in report.inner_text("#summary")
    assert (
        report.locator("svg.chart").count() == 4
    )  # modes, regions, countries, sessions (2030 days are empty)
    report.emulate_media(media="print")
    assert not report.locator(".actions").first.is_visible()
    assert report.pdf(format="A4")[:4] == b"%PDF"
    staff_context.close()
