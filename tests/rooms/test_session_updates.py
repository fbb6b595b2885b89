"""A changed session reaches its open live pages and its event's open agendas over /live at once."""

from __future__ import annotations

from datetime import timedelta

from rooms.support import call, received
from sqlalchemy import select

from conference import hooks
from conference.extensions import db as _db
from conference.grants.services import grant
from conference.programme.models import Event, ProgrammeSession


def ids_of(app, event) -> dict:
    with app.app_context():
        return {
            s.kind: s.id
            for s in _db.session.scalars(
                select(ProgrammeSession).where(ProgrammeSession.event_id == event.id)
            )
        }


def move_session(app, session_id: int, **new) -> dict:
    """Change the row and commit, then send the hook as the programme's edit form does."""
    with app.app_context():
        session = _db.session.get(ProgrammeSession, session_id)
        changes = {field: (getattr(session, field), value) for field, value in new.items()}
        for field, value in new.items():
            setattr(session, field, value)
        _db.session.commit()
        hooks.session_changed.send(session.event_id, session_id=session.id, changes=changes)
        return changes


def test_a_moved_session_updates_its_room_and_the_events_agendas_and_nobody_else(
    app, make_event, make_user, make_registration, joined, live_client
):
    a, b = make_event("event-a"), make_event("event-b")
    in_a, in_b = ids_of(app, a), ids_of(app, b)
    alice, bob, carol, visitor = (make_user(name=n) for n in ("Alice", "Bob", "Carol", "Vic Visitor"))
    make_registration(alice, a)
    make_registration(bob, a)
    make_registration(carol, b)
    in_plenary = joined(alice, in_a["plenary"])
    in_thematic = joined(bob, in_a["thematic"])
    in_b_room = joined(carol, in_b["plenary"])
    agenda_a = live_client(visitor)  # signed in, not registered: the agenda is public
    assert call(agenda_a, "agenda:watch", {"event_id": a.id}) == {"ok": True, "event_id": a.id}
    agenda_b = live_client(carol)
    assert call(agenda_b, "agenda:watch", {"event_id": b.id})["ok"]

    with app.app_context():
        old = _db.session.get(ProgrammeSession, in_a["plenary"])
        start, end = old.starts_at + timedelta(hours=4), old.ends_at + timedelta(hours=4, minutes=15)
    move_session(
        app,
        in_a["plenary"],
        starts_at=start,
        ends_at=end,
        room="Hall B",
        stream_url="https://vimeo.com/123456",
    )

    [update] = received(in_plenary, "session:updated")
    assert update["id"] == in_a["plenary"] and update["event_id"] == a.id
    assert update["title"] == "Opening session" and update["room"] == "Hall B"
    assert update["starts_at"] == start.isoformat(timespec="milliseconds").replace("+00:00", "Z")
    assert update["ends_at"] == end.isoformat(timespec="milliseconds").replace("+00:00", "Z")
    assert update["stream"] == {"kind": "vimeo", "embed_url": "https://player.vimeo.com/video/123456"}
    assert update["changed"] == ["ends_at", "room", "starts_at", "stream_url"]
    assert received(agenda_a, "session:updated") == [update]
    assert received(in_thematic, "session:updated") == []
    assert received(in_b_room) == [] and received(agenda_b) == []

    # A late joiner (or a reconnect) reads the same from the join state.
    state = call(live_client(bob), "join", {"session_id": in_a["plenary"]})["state"]
    assert state["session"]["room"] == "Hall B" and state["session"]["stream"] == update["stream"]


def test_an_unplayable_stream_goes_out_as_no_stream(app, make_event, make_user, make_registration, joined):
    event = make_event()
    plenary = ids_of(app, event)["plenary"]
    alice = make_user()
    make_registration(alice, event)
    client = joined(alice, plenary)
    move_session(app, plenary, stream_url="javascript:alert(1)")
    [update] = received(client, "session:updated")
    assert update["stream"] is None and update["changed"] == ["stream_url"]


def test_agenda_watch_keeps_drafts_secret_and_checks_its_payload(app, make_event, make_user, live_client):
    event = make_event()
    with app.app_context():
        draft = _db.session.get(Event, event.id)
        draft.published = False
        _db.session.commit()
    attendee, organiser = make_user(), make_user(name="Olga")
    with app.app_context():
        grant(_db.session, _db.session.get(Event, event.id), _db.session.merge(organiser), "organiser")
    outsider = live_client(attendee)
    assert call(outsider, "agenda:watch", {"event_id": event.id})["error"]["code"] == "event_not_found"
    assert call(live_client(organiser), "agenda:watch", {"event_id": event.id})["ok"]
    for bad in ({}, {"event_id": "1"}, {"event_id": 0}, {"event_id": 2**40}, {"event_id": True}):
        assert call(outsider, "agenda:watch", bad)["error"]["code"] == "invalid_payload"
    assert call(outsider, "agenda:watch", {"event_id": 999999})["error"]["code"] == "event_not_found"

    # The refused watcher hears nothing when a session of the draft moves.
    plenary = ids_of(app, event)["plenary"]
    move_session(app, plenary, room="Somewhere")
    assert received(outsider, "session:updated") == []


def test_agenda_unwatch_stops_the_updates(app, make_event, make_user, live_client):
    event = make_event()
    plenary = ids_of(app, event)["plenary"]
    watcher = live_client(make_user())
    assert call(watcher, "agenda:watch", {"event_id": event.id})["ok"]
    move_session(app, plenary, capacity=250)
    assert [u["capacity"] for u in received(watcher, "session:updated")] == [250]
    assert call(watcher, "agenda:unwatch", {"event_id": event.id})["ok"]
    move_session(app, plenary, capacity=200)
    assert received(watcher, "session:updated") == []


def test_a_hook_for_a_deleted_session_is_harmless(app, make_event):
    event = make_event()
    with app.app_context():
        hooks.session_changed.send(event.id, session_id=999999, changes={"room": ("A", "B")})
        hooks.session_changed.send(event.id)  # no session named: nothing to do
