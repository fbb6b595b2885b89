"""Announcements: who may send and withdraw them (per event), the text rules, and who hears them."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from rooms.support import call, drain, received
from sqlalchemy import func, select

from conference.extensions import db as _db
from conference.grants.services import grant
from conference.programme.models import Event, ProgrammeSession
from conference.rooms.announcements import services
from conference.rooms.announcements.models import Announcement

SCRIPT = "<script>alert(1)</script> Lunch moves to 13:00 — الغداء"


@dataclass
class Two:
    a: Event
    b: Event
    a_plenary: int
    a_thematic: int
    b_plenary: int
    alice: object  # registered for A
    bob: object  # registered for A
    carol: object  # registered for B
    organiser_a: object
    moderator_a: object  # event-wide moderator of A
    session_moderator_a: object  # moderator of A's plenary only
    moderator_b: object  # event-wide moderator of B


def sessions_of(app, event) -> dict:
    with app.app_context():
        return {s.kind: s.id for s in _db.session.query(ProgrammeSession).filter_by(event_id=event.id)}


@pytest.fixture()
def two(app, make_event, make_user, make_registration) -> Two:
    a, b = make_event("event-a"), make_event("event-b")
    in_a, in_b = sessions_of(app, a), sessions_of(app, b)
    people = {
        name: make_user(name=name)
        for name in (
            "Alice",
            "Bob",
            "Carol",
            "Olga Organiser",
            "Moe Moderator",
            "Sam Session",
            "Bea Moderator",
        )
    }
    make_registration(people["Alice"], a)
    make_registration(people["Bob"], a, "in_person")
    make_registration(people["Carol"], b)
    with app.app_context():
        db = _db.session
        event_a, event_b = db.get(Event, a.id), db.get(Event, b.id)
        grant(db, event_a, db.merge(people["Olga Organiser"]), "organiser")
        grant(db, event_a, db.merge(people["Moe Moderator"]), "moderator")
        grant(
            db,
            event_a,
            db.merge(people["Sam Session"]),
            "moderator",
            session=db.get(ProgrammeSession, in_a["plenary"]),
        )
        grant(db, event_b, db.merge(people["Bea Moderator"]), "moderator")
    return Two(
        a,
        b,
        in_a["plenary"],
        in_a["thematic"],
        in_b["plenary"],
        people["Alice"],
        people["Bob"],
        people["Carol"],
        people["Olga Organiser"],
        people["Moe Moderator"],
        people["Sam Session"],
        people["Bea Moderator"],
    )


def announcement_events(client) -> list[str]:
    """The names of the announcement broadcasts this client received (presence and the like aside)."""
    return [e["name"] for e in client.get_received("/live") if e["name"].startswith("announcement:")]


def stored(app) -> list[tuple[int, str, bool]]:
    with app.app_context():
        return [
            (a.event_id, a.text, a.is_withdrawn)
            for a in _db.session.scalars(select(Announcement).order_by(Announcement.id))
        ]


# --- the protocol, with several clients ---------------------------------------------------------


def test_an_announcement_reaches_every_room_of_its_event_once_and_no_other_event(
    app, two, joined, live_client
):
    alice = joined(two.alice, two.a_plenary)
    bob = joined(two.bob, two.a_thematic)
    carol = joined(two.carol, two.b_plenary)
    organiser = live_client(two.organiser_a)

    ack = call(organiser, "announcement:send", {"event_id": two.a.id, "text": f"  {SCRIPT}  "})
    assert ack["ok"], ack
    assert ack["announcement"]["text"] == SCRIPT  # stored as typed (trimmed), shown as text by the pages
    assert ack["announcement"]["author"]["name"] == "Olga Organiser"
    for client in (alice, bob):
        news = received(client, "announcement:new")
        assert news == [{"announcement": ack["announcement"]}]
    assert received(carol) == []
    assert stored(app) == [(two.a.id, SCRIPT, False)]


def test_late_joiners_and_reconnects_get_the_current_announcement_in_the_join_state(
    app, two, joined, live_client
):
    before = call(joined(two.alice, two.a_plenary), "join", {"session_id": two.a_plenary})
    assert before["state"]["announcement"] is None
    organiser = live_client(two.organiser_a)
    first = call(organiser, "announcement:send", {"event_id": two.a.id, "text": "Welcome"})["announcement"]
    second = call(organiser, "announcement:send", {"event_id": two.a.id, "text": "Lunch at 13:00"})[
        "announcement"
    ]

    late = live_client(two.bob)
    assert call(late, "join", {"session_id": two.a_thematic})["state"]["announcement"] == second
    other_event = live_client(two.carol)
    assert call(other_event, "join", {"session_id": two.b_plenary})["state"]["announcement"] is None

    # Withdrawing the newest brings back the one before it; withdrawing that leaves none.
    drain(late)
    ack = call(organiser, "announcement:withdraw", {"announcement_id": second["id"]})
    assert ack["ok"] and ack["current"] == first
    assert received(late, "announcement:withdrawn") == [
        {"announcement_id": second["id"], "event_id": two.a.id, "current": first}
    ]
    assert call(live_client(two.bob), "join", {"session_id": two.a_plenary})["state"]["announcement"] == first
    assert call(organiser, "announcement:withdraw", {"announcement_id": first["id"]})["current"] is None
    assert call(live_client(two.bob), "join", {"session_id": two.a_plenary})["state"]["announcement"] is None
    assert announcement_events(other_event) == []


def test_a_socket_that_switches_to_another_events_room_stops_hearing_the_first_event(
    app, two, joined, live_client, make_registration
):
    make_registration(two.alice, two.b)
    alice = joined(two.alice, two.a_plenary)
    assert call(alice, "join", {"session_id": two.b_plenary})["ok"]
    drain(alice)
    assert call(live_client(two.organiser_a), "announcement:send", {"event_id": two.a.id, "text": "A only"})[
        "ok"
    ]
    assert received(alice, "announcement:new") == []
    assert call(alice, "leave", {"session_id": two.b_plenary})["ok"]
    assert call(live_client(two.moderator_b), "announcement:send", {"event_id": two.b.id, "text": "B only"})[
        "ok"
    ]
    assert received(alice, "announcement:new") == []


@pytest.mark.parametrize("who", ["alice", "session_moderator_a", "moderator_b"])
def test_only_organisers_and_event_wide_moderators_of_that_event_may_announce(
    app, two, joined, live_client, who
):
    alice = joined(two.alice, two.a_plenary)
    ack = call(live_client(getattr(two, who)), "announcement:send", {"event_id": two.a.id, "text": "Hello"})
    assert ack == {"ok": False, "error": {"code": "forbidden", "message": ack["error"]["message"]}}
    assert stored(app) == [] and received(alice) == []


def test_an_event_wide_moderator_announces_and_withdraws_their_own_but_not_the_organisers(
    app, two, live_client
):
    moderator, organiser = live_client(two.moderator_a), live_client(two.organiser_a)
    own = call(moderator, "announcement:send", {"event_id": two.a.id, "text": "Mine"})["announcement"]
    theirs = call(organiser, "announcement:send", {"event_id": two.a.id, "text": "Olga's"})["announcement"]
    assert (
        call(moderator, "announcement:withdraw", {"announcement_id": theirs["id"]})["error"]["code"]
        == "forbidden"
    )
    assert call(moderator, "announcement:withdraw", {"announcement_id": own["id"]})["ok"]
    again = call(moderator, "announcement:withdraw", {"announcement_id": own["id"]})
    assert again["error"]["code"] == "already_withdrawn"
    assert (
        call(live_client(two.moderator_b), "announcement:withdraw", {"announcement_id": theirs["id"]})[
            "error"
        ]["code"]
        == "forbidden"
    )
    assert stored(app) == [(two.a.id, "Mine", True), (two.a.id, "Olga's", False)]


@pytest.mark.parametrize(
    ("payload", "code"),
    [
        ({"text": ""}, "invalid_payload"),
        ({"text": "   "}, "invalid_payload"),
        ({"text": "x" * 501}, "invalid_payload"),
        ({"text": 42}, "invalid_payload"),
        ({"text": "nul \x00 byte"}, "invalid_text"),
        ({"text": "hello", "event_id": "1"}, "invalid_payload"),
        ({"text": "hello", "event_id": 999999}, "event_not_found"),
        ({"text": "hello", "event_id": 2**40}, "invalid_payload"),
    ],
)
def test_bad_announcements_are_refused_and_nothing_is_sent(app, two, joined, live_client, payload, code):
    alice = joined(two.alice, two.a_plenary)
    ack = call(live_client(two.organiser_a), "announcement:send", {"event_id": two.a.id, **payload})
    assert ack["ok"] is False and ack["error"]["code"] == code, ack
    assert stored(app) == [] and received(alice) == []


def test_five_hundred_characters_are_accepted(app, two, live_client):
    assert call(live_client(two.organiser_a), "announcement:send", {"event_id": two.a.id, "text": "é" * 500})[
        "ok"
    ]


def test_announcements_are_rate_limited_per_event(app, two, live_client):
    app.config["ROOMS_RATE_LIMITS"] = {"announcement": (2, 3600)}
    organiser, moderator = live_client(two.organiser_a), live_client(two.moderator_a)
    assert call(organiser, "announcement:send", {"event_id": two.a.id, "text": "one"})["ok"]
    assert call(moderator, "announcement:send", {"event_id": two.a.id, "text": "two"})["ok"]
    refused = call(organiser, "announcement:send", {"event_id": two.a.id, "text": "three"})
    assert refused["error"]["code"] == "rate_limited" and refused["error"]["details"]["retry_after"] == 3600
    assert call(live_client(two.moderator_b), "announcement:send", {"event_id": two.b.id, "text": "B"})["ok"]
    assert [text for _, text, _ in stored(app)] == ["one", "two", "B"]


def test_only_the_last_announcements_of_an_event_are_kept(app, two, monkeypatch):
    monkeypatch.setattr(services, "KEEP", 3)
    app.config["ROOMS_RATE_LIMITS"] = {"announcement": (100, 60)}
    with app.app_context():
        db = _db.session
        organiser, event_a, event_b = (
            db.merge(two.organiser_a),
            db.get(Event, two.a.id),
            db.get(Event, two.b.id),
        )
        admin_b = db.merge(two.moderator_b)
        services.send_announcement(db, admin_b, event_b, "B stays")
        for n in range(5):
            services.send_announcement(db, organiser, event_a, f"A{n}")
        assert [a.text for a in services.recent_announcements(db, event_a)] == ["A4", "A3", "A2"]
        assert (
            db.scalar(
                select(func.count()).select_from(Announcement).where(Announcement.event_id == event_b.id)
            )
            == 1
        )


# --- the back-office page -------------------------------------------------------------------------


def page(two) -> str:
    return f"/manage/events/{two.a.slug}/announcements"


def test_the_page_is_for_the_events_organisers_and_event_wide_moderators(app, two, logged_in_client, client):
    assert logged_in_client(two.organiser_a).get(page(two)).status_code == 200
    assert logged_in_client(two.moderator_a).get(page(two)).status_code == 200
    for outsider in (two.alice, two.session_moderator_a, two.moderator_b):
        assert logged_in_client(outsider).get(page(two)).status_code == 403
    anonymous = client.get(page(two))
    assert anonymous.status_code in (302, 303) and "/login" in anonymous.headers["Location"]
    assert logged_in_client(two.organiser_a).get("/manage/events/nope/announcements").status_code == 404


def test_the_overview_lists_the_announcements_tab(app, two, logged_in_client):
    html = logged_in_client(two.organiser_a).get(f"/manage/events/{two.a.slug}").get_data(as_text=True)
    assert page(two) in html and ">Announcements<" in html


def test_sending_from_the_page_reaches_the_live_rooms_and_is_listed(app, two, joined, logged_in_client):
    from conftest import post_form

    alice = joined(two.alice, two.a_plenary)
    http = logged_in_client(two.organiser_a)
    response = post_form(http, page(two), {"text": SCRIPT})
    assert response.status_code == 303
    [news] = received(alice, "announcement:new")
    assert news["announcement"]["text"] == SCRIPT
    html = http.get(page(two)).get_data(as_text=True)
    assert (
        "&lt;script&gt;alert(1)&lt;/script&gt; Lunch moves to 13:00" in html
        and "<script>alert(1)" not in html
    )
    assert "showing now" in html

    response = post_form(http, f"{page(two)}/{news['announcement']['id']}/withdraw", {})
    assert response.status_code == 303
    [gone] = received(alice, "announcement:withdrawn")
    assert gone == {"announcement_id": news["announcement"]["id"], "event_id": two.a.id, "current": None}
    assert "withdrawn" in http.get(page(two)).get_data(as_text=True)


def test_bad_text_shows_beside_the_field_and_keeps_what_was_typed(app, two, joined, logged_in_client):
    from conftest import post_form

    alice = joined(two.alice, two.a_plenary)
    http = logged_in_client(two.organiser_a)
    response = post_form(http, page(two), {"text": "   "})
    assert response.status_code == 400
    assert "Write the announcement first." in response.get_data(as_text=True)
    too_long = "<b>x</b>" * 63  # 504 characters
    response = post_form(http, page(two), {"text": too_long})
    html = response.get_data(as_text=True)
    assert response.status_code == 400 and "at most 500 characters" in html
    assert "&lt;b&gt;x&lt;/b&gt;" * 63 in html and 'aria-invalid="true"' in html
    assert stored(app) == [] and received(alice) == []


def test_the_page_refuses_forms_without_csrf_and_other_events_announcements(app, two, logged_in_client):
    from conftest import post_form

    http = logged_in_client(two.organiser_a)
    assert http.post(page(two), data={"text": "no token"}).status_code == 400
    assert stored(app) == []
    bea = logged_in_client(two.moderator_b)
    assert post_form(bea, f"/manage/events/{two.b.slug}/announcements", {"text": "B news"}).status_code == 303
    with app.app_context():
        b_id = _db.session.scalar(select(Announcement.id))
    # Olga organises A: B's announcement is not found under A, and forbidden under B.
    assert post_form(http, f"{page(two)}/{b_id}/withdraw", {}).status_code == 404
    assert (
        post_form(http, f"/manage/events/{two.b.slug}/announcements/{b_id}/withdraw", {}).status_code == 403
    )
    assert post_form(http, f"/manage/events/{two.b.slug}/announcements", {"text": "x"}).status_code == 403
    assert stored(app) == [(two.b.id, "B news", False)]
