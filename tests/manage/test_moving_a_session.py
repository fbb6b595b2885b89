"""Moving a session from the back-office form reaches everything that depends on it at once: its
check-in door list (times, automatic check-out) and every open live page of the session."""

from __future__ import annotations

from datetime import UTC, datetime

from conftest import post_form
from rooms.support import call, received
from sqlalchemy import select

from conference.checkin.lists import ensure_default_lists
from conference.checkin.models import CheckinList
from conference.extensions import db as _db
from conference.programme.models import Event, ProgrammeSession


def test_a_session_moved_on_the_programme_page_moves_its_door_and_its_live_pages(
    app, make_event, make_user, make_registration, logged_in_client, live_client
):
    event = make_event("sym")
    organiser, alice = make_user("organiser"), make_user(name="Alice")
    make_registration(alice, event, "online")
    with app.app_context():
        ensure_default_lists(_db.session, _db.session.get(Event, event.id))
        ethics = _db.session.scalar(select(ProgrammeSession).where(ProgrammeSession.title == "AI Ethics"))
        door = _db.session.scalar(select(CheckinList).where(CheckinList.session_id == ethics.id))
        old_checkout = door.auto_checkout_at
        ethics_id, door_id = ethics.id, door.id
    watcher = live_client(alice)
    assert call(watcher, "join", {"session_id": ethics_id})["ok"]
    received(watcher)

    # 11:00 on 6 May in Seoul was 02:00 UTC; the session moves to 15:00–16:30 local in Room 4.
    moved = post_form(
        logged_in_client(organiser),
        f"/manage/events/sym/programme/sessions/{ethics_id}",
        {
            "title": "AI Ethics",
            "kind": "thematic",
            "room": "Room 4",
            "starts_at": "2030-05-06T15:00",
            "ends_at": "2030-05-06T16:30",
            "language": "en",
        },
    )
    assert moved.status_code == 303, moved.get_data(as_text=True)[:300]

    [update] = received(watcher, "session:updated")
    assert update["id"] == ethics_id and update["room"] == "Room 4"
    assert (
        update["starts_at"] == "2030-05-06T06:00:00.000Z" and update["ends_at"] == "2030-05-06T07:30:00.000Z"
    )
    with app.app_context():
        door = _db.session.get(CheckinList, door_id)
        ends = datetime(2030, 5, 6, 7, 30, tzinfo=UTC)
        assert door.auto_checkout_at is not None and door.auto_checkout_at != old_checkout
        assert door.auto_checkout_at - ends == old_checkout - datetime(2030, 5, 6, 3, 0, tzinfo=UTC)
