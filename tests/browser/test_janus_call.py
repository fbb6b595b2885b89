"""Three participants of an interactive session talk through a real Janus SFU in Chromium (fake
devices): each sees the two others' video, carried by Janus, never by our server."""

from __future__ import annotations

from browser_support import free_port, launched_browser, sign_in
from call_support import FAKE_MEDIA, REMOTE_VIDEO_PLAYS, join_call_with_devices, tile_of
from janus_support import running_janus

from conference.extensions import db
from conference.programme.models import ProgrammeSession

PEOPLE = ("Amina Haddad", "Bruno Costa", "Chen Wei")


def test_three_people_in_a_janus_call_see_each_other(
    app, make_event, make_user, make_registration, live_server, tmp_path
):
    event = make_event("symposium")
    people = [make_user(name=name) for name in PEOPLE]
    for person in people:
        make_registration(person, event, "online")
    with app.app_context():
        workshop = db.session.query(ProgrammeSession).filter_by(event_id=event.id, kind="workshop").one()
        workshop.interactive = True
        db.session.commit()
        workshop_id = workshop.id

    with running_janus(tmp_path, free_port()) as janus, launched_browser(FAKE_MEDIA) as browser:
        app.config.update(JANUS_URL=janus.url, JANUS_ADMIN_KEY=janus.admin_key)
        pages = {}
        for person in people:
            _context, page = sign_in(browser, live_server, person)
            page.goto(f"{live_server}/events/symposium/sessions/{workshop_id}/live")
            page.wait_for_function("window.Live && Live.state() !== null")
            join_call_with_devices(page)
            assert page.evaluate("Call.mode()") == "janus"
            pages[person.name] = page
        for name, page in pages.items():
            for other in PEOPLE:
                if other != name:
                    tile_of(page, other).wait_for()
                    page.wait_for_function(REMOTE_VIDEO_PLAYS, arg=other, polling=300, timeout=30_000)
