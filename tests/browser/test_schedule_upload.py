"""An organiser brings a pretalx programme into an event from the browser: preview, apply, see the agenda."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime

from browser_support import sign_in_page

from conference.extensions import db
from conference.grants.services import grant
from conference.programme.models import Event

from ..programme.test_schedule_file import BERLIN_FILE


def test_an_organiser_previews_and_applies_a_schedule_file(app, make_user, live_server, browser, tmp_path):
    organiser = make_user(name="Olga Organiser")
    with app.app_context():
        event = Event(
            slug="democon",
            title="DemoCon",
            timezone="Europe/Berlin",
            starts_at=datetime(2030, 3, 30, 7, 0, tzinfo=UTC),
            ends_at=datetime(2030, 3, 31, 20, 0, tzinfo=UTC),
        )
        db.session.add(event)
        db.session.commit()
        grant(db.session, event, db.session.merge(organiser), "organiser")
    bad = copy.deepcopy(BERLIN_FILE)
    bad["schedule"]["conference"]["days"][1]["rooms"]["Saal 1"][0]["start"] = "02:30"
    (tmp_path / "bad.json").write_text(json.dumps(bad))
    (tmp_path / "good.json").write_text(json.dumps(BERLIN_FILE))

    context = browser.new_context(locale="en-GB")
    page = context.new_page()
    sign_in_page(page, live_server, organiser)
    page.goto(f"{live_server}/manage/events/democon")
    page.get_by_role("link", name="Programme file").click()

    page.set_input_files("#schedule-file", str(tmp_path / "bad.json"))
    page.get_by_role("button", name="Preview").click()
    page.wait_for_selector("text=The file was refused: nothing was imported")
    assert "days[1].rooms.Saal 1[0].start" in page.inner_text(".schedule-errors")
    assert "does not exist in Europe/Berlin" in page.inner_text(".schedule-errors")

    page.set_input_files("#schedule-file", str(tmp_path / "good.json"))
    page.get_by_role("button", name="Preview").click()
    page.wait_for_selector("text=Preview: nothing written yet")
    assert page.locator(".schedule-counts tr", has_text="Sessions").inner_text().split() == [
        "Sessions",
        "3",
        "0",
        "0",
    ]
    page.get_by_role("button", name="Apply this file").click()
    page.wait_for_selector("h2:has-text('Imported')")

    page.goto(f"{live_server}/events/democon/agenda")
    talk = page.locator(".agenda-item", has_text="Summer time talk")
    assert "10:00–11:00" in talk.locator(".event-time").inner_text()  # 08:00 UTC on Berlin's summer clock
    context.close()
