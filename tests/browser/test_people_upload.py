"""An organiser uploads the participants list in a real browser: a bad row, fixed, then confirmed."""

from __future__ import annotations

from browser_support import sign_in

from conference.extensions import db
from conference.grants.services import grant
from conference.programme.models import Event

BAD = (
    "email,name,organisation,country,mode\n"
    "ana@example.org,Ana Silva,City Hall,BR,in_person\n"
    "bo@example.org,Bo Chen,Ministry,CN,hybrid\n"
    "cy@example.org,Cy Diallo,NGO,SN,online\n"
)


def test_organiser_uploads_a_csv_with_a_bad_row_fixes_it_and_imports_three(
    app, make_event, make_user, live_server, browser, tmp_path
):
    event, organiser = make_event("symposium"), make_user(name="Olga Organiser")
    with app.app_context():
        grant(db.session, db.session.get(Event, event.id), db.session.merge(organiser), "organiser")
    bad_file, good_file = tmp_path / "people.csv", tmp_path / "people-fixed.csv"
    bad_file.write_text(BAD)
    good_file.write_text(BAD.replace("hybrid", "online"))
    context, page = sign_in(browser, live_server, organiser)

    page.goto(f"{live_server}/manage/events/symposium/participants")
    page.get_by_role("link", name="Upload a CSV list").click()
    page.set_input_files("#file", str(bad_file))
    page.get_by_role("button", name="Preview").click()
    problems = page.locator("#upload-problems")
    problems.wait_for()
    assert "nothing was imported" in problems.inner_text()
    assert "line 3: mode must be in_person or online, not 'hybrid'" in problems.inner_text()

    page.goto(f"{live_server}/manage/events/symposium/participants")
    assert "0 registrations found" in page.inner_text("#people-total")

    page.get_by_role("link", name="Upload a CSV list").click()
    page.set_input_files("#file", str(good_file))
    page.get_by_role("button", name="Preview").click()
    preview = page.locator("#upload-preview")
    preview.wait_for()
    assert "3 new accounts, each registered" in preview.inner_text()
    page.get_by_role("button", name="Import 3 rows").click()
    page.wait_for_selector("text=Imported 3 rows: 3 new accounts")
    assert "3 registrations found" in page.inner_text("#people-total")
    table = page.inner_text("table.people")
    for name in ("Ana Silva", "Bo Chen", "Cy Diallo"):
        assert name in table
    context.close()
