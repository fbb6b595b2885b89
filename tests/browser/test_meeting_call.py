"""The two people of a matchmaking meeting open its call page from their meetings list and see each
other in Chromium (fake camera and microphone); leaving reaches the other side."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from browser_support import launched_browser, sign_in
from call_support import FAKE_MEDIA, REMOTE_VIDEO_PLAYS, join_call_with_devices, tile_of

from conference.accounts.models import User
from conference.db_types import utcnow
from conference.extensions import db
from conference.matchmaking import meetings
from conference.matchmaking.schemas import MeetingAnswer, MeetingIn
from conference.programme.models import Event


def test_the_two_people_of_a_meeting_see_each_other(
    app, make_event, make_user, make_registration, live_server
):
    event = make_event("forum", starts_at=datetime.now(UTC) - timedelta(hours=1))
    asker, host = make_user(name="Ari Asker"), make_user(name="Hana Host")
    for person in (asker, host):
        make_registration(person, event, "online")
    soon = utcnow().replace(second=0, microsecond=0) + timedelta(minutes=1)
    soon += timedelta(minutes=(-soon.minute) % 5)
    with app.app_context():
        this = db.session.get_one(Event, event.id)
        them = db.session.get_one(User, host.id)
        meetings.set_open_to_meetings(db.session, this, them, True)
        data = MeetingIn(recipient_id=host.id, starts_at=soon, mode="online", link="https://example.org/x")
        meeting = meetings.request_meeting(db.session, this, db.session.get_one(User, asker.id), data)
        meetings.accept(db.session, meeting, them, MeetingAnswer(revision=meeting.revision))
        meeting_id = meeting.id

    with launched_browser(FAKE_MEDIA) as browser:
        pages = {}
        for person in (asker, host):
            _context, page = sign_in(browser, live_server, person)
            page.goto(f"{live_server}/events/forum/meetings")
            page.click(f"#meeting-{meeting_id} .mm-call a")
            page.wait_for_url(f"**/events/forum/meetings/{meeting_id}/call")
            join_call_with_devices(page)
            pages[person.name] = page
        for name, other in (("Ari Asker", "Hana Host"), ("Hana Host", "Ari Asker")):
            tile_of(pages[name], other).wait_for()
            pages[name].wait_for_function(REMOTE_VIDEO_PLAYS, arg=other, polling=300, timeout=20_000)

        pages["Hana Host"].click("#call [data-call=leave]")
        pages["Ari Asker"].wait_for_function(
            "(name) => ![...document.querySelectorAll('#call .call-tile')].some(t => t.textContent.includes(name))",
            arg="Hana Host",
        )
        assert pages["Hana Host"].evaluate("Call.inCall()") is False
