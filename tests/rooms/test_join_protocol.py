"""The join / leave / presence protocol on /live, with several clients."""

from __future__ import annotations

from conftest import post_form
from rooms.support import LIVE, call, received
from sqlalchemy import select

from conference import hooks
from conference.extensions import db, socketio
from conference.rooms.models import LiveRoom, RoomPresence, RoomVisit


def test_join_returns_the_full_state_and_enters_the_room(cast, live_client):
    client = live_client(cast.alice)
    ack = call(client, "join", {"session_id": cast.plenary})
    assert ack["ok"] is True
    state = ack["state"]
    session = state["session"]
    assert session["id"] == cast.plenary and session["kind"] == "plenary"
    assert session["moderated"] is True and session["closed"] is False
    assert session["stream_url"] == "https://www.youtube.com/embed/abc"
    assert {"event_id", "title", "parent_id", "starts_at", "ends_at", "language", "capacity"} <= set(session)
    assert state["presence"] == {"session_id": cast.plenary, "online": 1, "on_site": 0}
    assert state["questions"] == [] and state["my_votes"] == [] and state["chat"] == []
    assert state["is_moderator"] is False


def test_a_thematic_room_is_not_moderated_by_default(cast, live_client):
    ack = call(live_client(cast.alice), "join", {"session_id": cast.thematic})
    assert ack["state"]["session"]["moderated"] is False


def test_presence_counts_people_not_tabs_and_is_broadcast(cast, live_client, joined):
    bob = joined(cast.bob, cast.plenary)
    alice_tab1 = live_client(cast.alice)
    call(alice_tab1, "join", {"session_id": cast.plenary})
    assert received(bob, "presence")[-1] == {"session_id": cast.plenary, "online": 2, "on_site": 0}
    alice_tab2 = live_client(cast.alice, token=True)
    ack = call(alice_tab2, "join", {"session_id": cast.plenary})
    assert ack["state"]["presence"]["online"] == 2
    assert received(bob, "presence")[-1]["online"] == 2

    alice_tab1.disconnect(namespace=LIVE)
    assert received(bob, "presence")[-1]["online"] == 2  # Alice still has a tab open
    assert call(alice_tab2, "leave", {"session_id": cast.plenary}) == {"ok": True, "left": True}
    assert received(bob, "presence")[-1]["online"] == 1


def test_joining_another_room_leaves_the_previous_one(app, cast, live_client, joined):
    watcher = joined(cast.bob, cast.plenary)
    alice = live_client(cast.alice)
    call(alice, "join", {"session_id": cast.plenary})
    assert received(watcher, "presence")[-1]["online"] == 2
    ack = call(alice, "join", {"session_id": cast.thematic})
    assert ack["ok"] and ack["state"]["session"]["id"] == cast.thematic
    assert received(watcher, "presence")[-1] == {"session_id": cast.plenary, "online": 1, "on_site": 0}
    with app.app_context():
        rows = db.session.scalars(select(RoomPresence).where(RoomPresence.user_id == cast.alice.id)).all()
        assert [r.session_id for r in rows] == [cast.thematic]
        visits = db.session.scalars(
            select(RoomVisit).where(RoomVisit.user_id == cast.alice.id).order_by(RoomVisit.id)
        ).all()
        assert [(v.session_id, v.left_at is None) for v in visits] == [
            (cast.plenary, False),
            (cast.thematic, True),
        ]


def test_a_client_in_one_room_hears_nothing_from_another(cast, joined):
    in_plenary = joined(cast.bob, cast.plenary)
    joined(cast.alice, cast.thematic)
    assert received(in_plenary) == []


def test_disconnect_closes_the_visit_and_updates_presence(app, cast, live_client, joined):
    watcher = joined(cast.bob, cast.plenary)
    alice = live_client(cast.alice)
    call(alice, "join", {"session_id": cast.plenary})
    alice.disconnect(namespace=LIVE)
    assert received(watcher, "presence")[-1]["online"] == 1
    with app.app_context():
        visit = db.session.scalar(select(RoomVisit).where(RoomVisit.user_id == cast.alice.id))
        assert visit.left_at is not None and visit.left_at >= visit.joined_at
        assert db.session.scalar(select(RoomPresence).where(RoomPresence.user_id == cast.alice.id)) is None


def test_join_is_refused_to_the_unregistered_and_for_unknown_sessions(cast, live_client):
    outsider = live_client(cast.outsider)
    ack = call(outsider, "join", {"session_id": cast.plenary})
    assert ack["ok"] is False and ack["error"]["code"] == "not_registered"
    ack = call(outsider, "join", {"session_id": 999999})
    assert ack["error"]["code"] == "session_not_found"


def test_a_moderator_joins_any_room_without_registering(cast, live_client):
    ack = call(live_client(cast.moderator), "join", {"session_id": cast.workshop})
    assert ack["ok"] and ack["state"]["is_moderator"] is True


def test_bad_join_payloads_get_clear_errors(cast, live_client):
    client = live_client(cast.alice)
    for payload in ({}, {"session_id": "1"}, {"session_id": -3}, {"session_id": True}, ["x"], "join"):
        ack = call(client, "join", payload)
        assert ack["ok"] is False and ack["error"]["code"] == "invalid_payload", payload


def test_an_unknown_event_gets_an_error_ack(cast, live_client):
    ack = call(live_client(cast.alice), "question:explode", {"x": 1})
    assert ack["ok"] is False and ack["error"]["code"] == "unknown_event"


def test_leave_of_a_room_one_is_not_in_changes_nothing(cast, joined):
    alice = joined(cast.alice, cast.plenary)
    assert call(alice, "leave", {"session_id": cast.thematic}) == {"ok": True, "left": False}
    assert call(alice, "join", {"session_id": cast.plenary})["state"]["presence"]["online"] == 1


def test_reconnect_gives_the_same_state(cast, live_client):
    first = live_client(cast.alice)
    state_before = call(first, "join", {"session_id": cast.plenary})["state"]
    first.disconnect(namespace=LIVE)
    second = live_client(cast.alice)
    state_after = call(second, "join", {"session_id": cast.plenary})["state"]
    assert state_after == state_before


def test_extra_join_state_is_merged_in(app, cast, live_client):
    from conference.rooms.polls import services as poll_services

    def polls_state(_db, user, session):
        return {"polls": [{"for": user.id, "session": session.id}]}

    polls_part = hooks.JoinStatePart(poll_services.polls_shared_state, poll_services.polls_personal_state)
    hooks.remove_join_state_part(polls_part, app)  # two parts may not both set "polls"
    hooks.add_join_state(polls_state, app)
    try:
        ack = call(live_client(cast.alice), "join", {"session_id": cast.plenary})
        assert ack["state"]["polls"] == [{"for": cast.alice.id, "session": cast.plenary}]
    finally:
        hooks.remove_join_state(polls_state, app)
        hooks.add_join_state_part(polls_part.shared, polls_part.personal, app=app)


def test_checkin_changed_broadcasts_the_on_site_number(app, cast, joined, monkeypatch):
    watcher = joined(cast.bob, cast.plenary)
    inside = {"n": 0}
    hooks.set_on_site_counter(lambda _db, session: inside["n"] if session.id == cast.plenary else 0, app)
    inside["n"] = 7
    with app.app_context():
        hooks.checkin_changed.send(cast.event.id, session_ids=[cast.plenary])
    assert received(watcher, "presence")[-1] == {"session_id": cast.plenary, "online": 1, "on_site": 7}
    inside["n"] = 8
    with app.app_context():  # an event-wide list: every occupied room of the event is refreshed
        hooks.checkin_changed.send(cast.event.id, session_ids=[])
    assert received(watcher, "presence")[-1]["on_site"] == 8


def test_logout_takes_the_person_out_of_the_room(app, cast, logged_in_client, joined):
    watcher = joined(cast.bob, cast.plenary)
    http = logged_in_client(cast.alice)
    sock = socketio.test_client(app, namespace=LIVE, flask_test_client=http)
    assert call(sock, "join", {"session_id": cast.plenary})["ok"]
    assert received(watcher, "presence")[-1]["online"] == 2
    post_form(http, "/logout", {})
    assert not sock.is_connected(LIVE)
    assert received(watcher, "presence")[-1]["online"] == 1
    with app.app_context():
        visit = db.session.scalars(select(RoomVisit).where(RoomVisit.user_id == cast.alice.id)).one()
        assert visit.left_at is not None


def test_the_room_row_is_created_once(app, cast, joined):
    joined(cast.alice, cast.plenary)
    joined(cast.bob, cast.plenary)
    with app.app_context():
        assert len(db.session.scalars(select(LiveRoom)).all()) == 1


def test_rooms_reset_closes_what_a_crashed_server_left_open(app, cast, joined):
    joined(cast.alice, cast.plenary)
    result = app.test_cli_runner().invoke(args=["rooms-reset"])
    assert result.exit_code == 0 and "1 open visits closed" in result.output
    with app.app_context():
        assert db.session.scalars(select(RoomPresence)).all() == []
        assert all(v.left_at is not None for v in db.session.scalars(select(RoomVisit)))


def wait_for(client, name: str, *, seconds: float = 10.0) -> list:
    """Collect `name` broadcasts until at least one arrived (fails after `seconds` without one)."""
    import time

    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        found = received(client, name)
        if found:
            return found
        time.sleep(0.02)
    raise AssertionError(f"no {name!r} broadcast arrived")


def test_a_burst_of_arrivals_is_announced_in_one_presence_broadcast(
    app, cast, make_user, make_registration, joined, live_client
):
    app.config["ROOMS_PRESENCE_COALESCE_SECONDS"] = 2
    watcher = joined(cast.moderator, cast.plenary)
    wait_for(watcher, "presence")  # the watcher's own arrival
    arrivals = []
    for n in range(5):
        person = make_user(name=f"Arrival {n}")
        make_registration(person, cast.event)
        arrivals.append(person)
    for person in arrivals:
        assert call(live_client(person), "join", {"session_id": cast.plenary})["ok"]
    broadcasts = wait_for(watcher, "presence")
    assert broadcasts == [{"session_id": cast.plenary, "online": 6, "on_site": 0}]


def test_the_projector_screen_follows_the_room_without_counting_as_someone_online(
    app, cast, live_client, joined
):
    """Issue #16: the hall's screen (a moderator's page) used to show one person online by itself."""
    bob = joined(cast.bob, cast.plenary)
    screen = live_client(cast.moderator)
    ack = call(screen, "join", {"session_id": cast.plenary, "screen": True})
    assert ack["ok"] and ack["state"]["presence"]["online"] == 1  # Bob only
    assert all(p["online"] == 1 for p in received(bob, "presence"))  # the screen's join changed nothing
    with app.app_context():
        visits = db.session.scalars(select(RoomVisit).where(RoomVisit.user_id == cast.moderator.id)).all()
        assert visits == []  # no stay to count in attendance
    # The same moderator's console counts them as a person online, as before.
    console = live_client(cast.moderator, token=True)
    assert call(console, "join", {"session_id": cast.plenary})["state"]["presence"]["online"] == 2


def test_only_moderators_open_a_screen(app, cast, live_client):
    ack = call(live_client(cast.alice), "join", {"session_id": cast.plenary, "screen": True})
    assert ack["ok"] is False and ack["error"]["code"] == "forbidden"
    refused = call(live_client(cast.bob), "join", {"session_id": cast.plenary, "screen": "yes"})
    assert refused["ok"] is False and refused["error"]["code"] == "invalid_payload"
    with app.app_context():
        assert db.session.scalars(select(RoomPresence)).all() == []
