"""Issue #10's journey in Chromium: an admin opens an event for its organiser, who adds two sessions
and a stream, uploads a participants list with a bad row (line number shown, nothing imported),
fixes it, publishes; then a participant signs up, registers and opens the live page."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from browser_support import create_event_as_admin, sign_in
from sqlalchemy import func, select

from conference.extensions import db as _db
from conference.mail.models import OutboxMessage
from conference.programme.models import Event
from conference.registrations.models import Registration

ZONE = ZoneInfo("Asia/Seoul")
BAD_LIST = (
    "email,name,organisation,country,mode\n"
    "amira@example.org,Amira Haddad,Ministry of Planning,JO,in_person\n"
    "ben@example.org,Ben Okoro,Civil Service College,NG,remote\n"
    "chen@example.org,Chen Wei,Digital Agency,CN,online\n"
)


def _local(moment: datetime) -> str:
    return moment.astimezone(ZONE).strftime("%Y-%m-%dT%H:%M")


def test_an_organiser_sets_up_an_event_from_the_browser_and_a_participant_joins_it(
    app, make_user, live_server, browser, tmp_path
):
    admin = make_user("admin", name="Platform Admin")
    organiser = make_user(email="lead@example.org", name="Event Lead")
    now = datetime.now(ZONE).replace(second=0, microsecond=0)

    create_event_as_admin(
        browser,
        live_server,
        admin,
        title="Regional Governance Forum",
        slug="rgf",
        city="Incheon",
        country="KR",
        timezone="Asia/Seoul",
        starts_at=_local(now - timedelta(days=1)),
        ends_at=_local(now + timedelta(days=2)),
        organiser_email=organiser.email,
    )

    context, page = sign_in(browser, live_server, organiser)
    page.goto(f"{live_server}/manage/events/rgf/programme")
    page.get_by_role("link", name="Add a session").click()
    page.fill("#f-title", "Opening plenary")
    page.select_option("#f-kind", "plenary")
    page.fill("#f-starts_at", _local(now - timedelta(hours=1)))
    page.fill("#f-ends_at", _local(now + timedelta(hours=2)))
    page.fill("#f-room", "Hall A")
    page.fill("#f-stream_url", "https://www.youtube.com/watch?v=dQw4w9WgXcQ")
    page.click("main form.stack button[type=submit]")
    page.wait_for_selector("text=The session is saved.")
    page.get_by_role("link", name="Add a session").click()
    page.fill("#f-title", "Regional breakouts")
    page.select_option("#f-kind", "workshop")
    page.fill("#f-starts_at", _local(now + timedelta(days=1)))
    page.fill("#f-ends_at", _local(now + timedelta(days=1, hours=2)))
    page.fill("#f-room", "Room 3")
    page.click("main form.stack button[type=submit]")
    page.wait_for_selector("text=The session is saved.")
    assert page.locator("#sessions tbody tr").count() == 2

    bad_file, good_file = tmp_path / "nominees.csv", tmp_path / "nominees-fixed.csv"
    bad_file.write_text(BAD_LIST)
    good_file.write_text(BAD_LIST.replace("remote", "online"))
    page.goto(f"{live_server}/manage/events/rgf/participants")
    page.get_by_role("link", name="Upload a CSV list").click()
    page.set_input_files("#file", str(bad_file))
    page.get_by_role("button", name="Preview").click()
    problems = page.locator("#upload-problems")
    problems.wait_for()
    assert "line 3: mode must be in_person or online, not 'remote'" in problems.inner_text()
    assert "nothing was imported" in problems.inner_text()
    with app.app_context():
        assert _db.session.scalar(select(func.count()).select_from(Registration)) == 0
    page.goto(f"{live_server}/manage/events/rgf/participants/upload")
    page.set_input_files("#file", str(good_file))
    page.get_by_role("button", name="Preview").click()
    page.locator("#upload-preview").wait_for()
    page.select_option("#invitations", "now")
    page.get_by_role("button", name="Import 3 rows").click()
    page.wait_for_selector("text=Imported 3 rows: 3 new accounts")

    page.goto(f"{live_server}/manage/events/rgf/edit")
    page.get_by_role("button", name="Publish the event").click()
    page.wait_for_selector("text=The event is published")
    context.close()

    visitor = browser.new_context(locale="en-GB")
    page = visitor.new_page()
    page.goto(f"{live_server}/events")
    page.get_by_role("link", name="Regional Governance Forum").click()
    page.get_by_role("link", name="Register").first.click()  # not signed in: sign in or sign up first
    page.wait_for_url(lambda url: "/login" in url)
    page.goto(f"{live_server}/signup")
    page.fill("#name", "Dana Participant")
    page.fill("#email", "dana@example.org")
    page.select_option("#country", "PH")
    page.fill("#password", "a long enough password")
    page.fill("#confirm", "a long enough password")
    page.click("main button[type=submit]")
    page.wait_for_url(lambda url: "/signup" not in url)
    page.goto(f"{live_server}/events/rgf/register")
    page.check("input[name=mode][value=online]")
    page.click("main form button[type=submit]")
    page.wait_for_url(f"{live_server}/me/registrations")
    page.goto(f"{live_server}/events/rgf")
    page.get_by_role("link", name="Opening plenary").click()
    page.get_by_role("link", name="Join live").click()
    page.wait_for_selector("#stream-box[data-phase=live] iframe[src*='/embed/dQw4w9WgXcQ']", state="attached")
    assert "Opening plenary" in page.inner_text("main h1")
    visitor.close()

    with app.app_context():
        event = _db.session.scalar(select(Event).where(Event.slug == "rgf"))
        assert event.published and len(event.sessions) == 2
        statuses = dict(
            _db.session.execute(
                select(Registration.mode, func.count())
                .where(Registration.event_id == event.id)
                .group_by(Registration.mode)
            ).all()
        )
        assert statuses == {"in_person": 1, "online": 3}
        kinds = sorted(_db.session.execute(select(OutboxMessage.to_address, OutboxMessage.kind)).all())
        assert [tuple(k) for k in kinds] == [
            ("amira@example.org", "invitation"),
            ("ben@example.org", "invitation"),
            ("chen@example.org", "invitation"),
            ("dana@example.org", "confirmation"),
        ]
