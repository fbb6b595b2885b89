"""Interpretation channels: the rules (one channel per language, one floor, playable https streams,
the interface's languages), the organisers' API and pages, and the moderators' switch on /live."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from conftest import post_form
from pydantic import ValidationError
from rooms.support import call, drain, received
from sqlalchemy import func, select

from conference.errors import ServiceError
from conference.extensions import db as _db
from conference.interpretation import services
from conference.interpretation.models import InterpretationChannel
from conference.interpretation.schemas import ChannelIn
from conference.programme.models import ProgrammeSession

AR = "https://www.youtube.com/watch?v=arabic12345"
FR = "https://vimeo.com/123456"
FLOOR = "https://www.youtube.com/embed/floor123456"


@dataclass
class World:
    slug: str
    plenary: int  # has the session's own stream (its floor)
    thematic: int  # no stream of its own
    participant: object
    moderator: object
    organiser: object
    outsider_organiser: object  # organiser of another event


@pytest.fixture()
def world(app, make_event, make_user, make_registration) -> World:
    event = make_event("symposium")
    other = make_event("elsewhere")
    with app.app_context():
        sessions = {
            s.kind: s.id for s in _db.session.scalars(select(ProgrammeSession).filter_by(event_id=event.id))
        }
        _db.session.get(ProgrammeSession, sessions["plenary"]).stream_url = FLOOR
        _db.session.commit()
    participant = make_user(name="Amal Participant")
    make_registration(participant, event)
    moderator = make_user("moderator", name="Mona Moderator")
    organiser = make_user("organiser", name="Olga Organiser")
    outsider = make_user(name="Otto Other")
    with app.app_context():
        from conference.grants.services import grant

        grant(_db.session, _db.session.merge(other), _db.session.merge(outsider), "organiser")
    return World(
        "symposium", sessions["plenary"], sessions["thematic"], participant, moderator, organiser, outsider
    )


def count(app) -> int:
    with app.app_context():
        return _db.session.scalar(select(func.count()).select_from(InterpretationChannel))


def add(app, session_id: int, **fields) -> InterpretationChannel:
    with app.app_context():
        session = _db.session.get(ProgrammeSession, session_id)
        channel = services.create_channel(_db.session, session, ChannelIn(**fields))
        _db.session.expunge(channel)
        return channel


# ---------------------------------------------------------------- rules


def test_one_channel_per_language_and_one_floor_per_session(app, world):
    add(app, world.plenary, language="ar", stream_url=AR)
    with pytest.raises(ServiceError) as taken:
        add(app, world.plenary, language="ar", stream_url=FR)
    assert (taken.value.code, taken.value.status) == ("channel_exists", 409)
    assert taken.value.details["fields"] == {
        "language": "this session already has a channel in this language"
    }
    add(app, world.plenary, language="fr", stream_url=FR, floor=True)
    with pytest.raises(ServiceError) as floor:
        add(app, world.plenary, language="es", stream_url=FR, floor=True)
    assert floor.value.code == "floor_exists"
    add(app, world.thematic, language="ar", stream_url=AR)  # another session: its own languages
    assert count(app) == 3


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"language": "xx", "stream_url": AR}, "language"),
        ({"language": "ko", "stream_url": AR}, "language"),  # not one of the interface's languages
        ({"language": 7, "stream_url": AR}, "language"),
        ({"language": "ar", "stream_url": "http://example.org/live"}, "stream_url"),
        ({"language": "ar", "stream_url": "javascript:alert(1)"}, "stream_url"),
        ({"language": "ar", "stream_url": "https://www.youtube.com/watch?v=<x>"}, "stream_url"),
        ({"language": "ar", "stream_url": "https://www.youtube.com/playlist"}, "stream_url"),
        ({"language": "ar", "stream_url": ""}, "stream_url"),
        ({"language": "ar", "stream_url": AR, "label": "x" * 81}, "label"),
        ({"language": "ar", "stream_url": AR, "colour": "red"}, "colour"),
    ],
)
def test_bad_languages_and_addresses_are_refused(fields, field):
    with pytest.raises(ValidationError) as refused:
        ChannelIn(**fields)
    assert field in {str(error["loc"][0]) for error in refused.value.errors()}


def test_the_session_stream_is_the_floor_unless_a_row_says_otherwise(app, world):
    with app.app_context():
        plenary = _db.session.get(ProgrammeSession, world.plenary)
        assert [
            (c["language"], c["floor"], c["id"]) for c in services.channel_list(_db.session, plenary)
        ] == [("en", True, None)]
    add(app, world.plenary, language="fr", stream_url=FR, live=False)
    add(app, world.plenary, language="ar", stream_url=AR)
    with app.app_context():
        plenary = _db.session.get(ProgrammeSession, world.plenary)
        listed = services.channel_list(_db.session, plenary)
    assert [(c["language"], c["floor"], c["live"]) for c in listed] == [
        ("en", True, True),
        ("ar", False, True),
        ("fr", False, False),
    ]
    assert listed[1]["stream"] == {
        "kind": "youtube",
        "embed_url": "https://www.youtube-nocookie.com/embed/arabic12345",
    }
    add(app, world.plenary, language="es", stream_url=AR, floor=True)
    with app.app_context():
        plenary = _db.session.get(ProgrammeSession, world.plenary)
        floors = [c["language"] for c in services.channel_list(_db.session, plenary) if c["floor"]]
    assert floors == ["es"]  # a row marked as the floor replaces the session's own stream


# ---------------------------------------------------------------- the organisers' API


def api(client, token, method, path, body=None):
    return client.open(
        f"/api/v1/events/symposium/sessions{path}",
        method=method,
        json=body,
        headers={"Authorization": f"Bearer {token}"},
    )


def test_api_creates_changes_lists_and_deletes_channels(app, client, world, make_token, live_client):
    token = make_token(world.organiser)
    viewer = live_client(world.participant)
    assert call(viewer, "join", {"session_id": world.plenary})["ok"]
    drain(viewer)
    created = api(
        client,
        token,
        "POST",
        f"/{world.plenary}/channels",
        {"language": "ar", "label": "عربي", "stream_url": AR},
    )
    assert created.status_code == 201, created.json
    assert (
        created.json["language"] == "ar"
        and created.json["stream_url"] == "https://www.youtube.com/embed/arabic12345"
    )
    broadcast = received(viewer, "interpretation:channels")
    assert [c["language"] for c in broadcast[-1]["channels"]] == ["en", "ar"]
    channel_id = created.json["id"]
    changed = api(client, token, "PATCH", f"/{world.plenary}/channels/{channel_id}", {"live": False})
    assert changed.status_code == 200 and changed.json["live"] is False and changed.json["label"] == "عربي"
    listing = api(client, token, "GET", f"/{world.plenary}/channels")
    assert [c["language"] for c in listing.json["channels"]] == ["ar"]
    assert api(client, token, "DELETE", f"/{world.plenary}/channels/{channel_id}").status_code == 204
    assert count(app) == 0


@pytest.mark.parametrize(
    ("body", "status", "field"),
    [
        ({"language": "de", "stream_url": AR}, 400, "language"),
        ({"language": "ar", "stream_url": "http://insecure.example/live"}, 400, "stream_url"),
        ({"language": "ar", "stream_url": "https://exa mple.org/x"}, 400, "stream_url"),
        ({"language": "ar"}, 400, "stream_url"),
        ({"language": "fr", "stream_url": FR}, 409, "language"),  # French is taken
        ({"language": "ar", "stream_url": AR, "floor": "maybe"}, 400, "floor"),
    ],
)
def test_api_refuses_bad_channels_with_json_errors(app, client, world, make_token, body, status, field):
    token = make_token(world.organiser)
    add(app, world.plenary, language="fr", stream_url=FR)
    answer = api(client, token, "POST", f"/{world.plenary}/channels", body)
    assert answer.status_code == status, answer.json
    assert field in answer.json["error"]["details"]["fields"]
    assert count(app) == 1


def test_api_is_for_this_events_organisers_only(app, client, world, make_token):
    channel = add(app, world.plenary, language="fr", stream_url=FR)
    for person in (world.participant, world.moderator, world.outsider_organiser):
        token = make_token(person)
        assert api(
            client, token, "POST", f"/{world.plenary}/channels", {"language": "ar", "stream_url": AR}
        ).status_code in (403, 404)
        assert api(client, token, "DELETE", f"/{world.plenary}/channels/{channel.id}").status_code in (
            403,
            404,
        )
    other_session = api(
        client,
        make_token(world.organiser),
        "PATCH",
        f"/{world.thematic}/channels/{channel.id}",
        {"live": False},
    )
    assert other_session.status_code == 404  # the channel is the plenary's
    assert count(app) == 1


# ---------------------------------------------------------------- the organisers' form


def test_the_session_form_lists_channels_and_the_channel_form_shows_errors(app, world, logged_in_client):
    browser = logged_in_client(world.organiser)
    base = f"/manage/events/symposium/programme/sessions/{world.plenary}"
    page = browser.get(base)
    assert b"Interpretation channels" in page.data and b"No interpretation channels yet." in page.data
    refused = post_form(
        browser, f"{base}/channels/new", {"language": "ar", "stream_url": "http://x.example/a"}
    )
    assert (
        refused.status_code == 400 and b"https://" in refused.data and b"http://x.example/a" in refused.data
    )
    saved = post_form(browser, f"{base}/channels/new", {"language": "ar", "stream_url": AR, "live": "y"})
    assert saved.status_code == 303 and saved.headers["Location"].endswith(f"{base}#channels")
    twice = post_form(browser, f"{base}/channels/new", {"language": "ar", "stream_url": FR, "live": "y"})
    assert twice.status_code == 400 and b"already has a channel in this language" in twice.data
    page = browser.get(base)
    assert b'data-channel="ar"' in page.data and b"live" in page.data
    assert count(app) == 1


# ---------------------------------------------------------------- /live


def test_a_moderator_switches_a_channel_and_the_room_hears_it(app, world, live_client):
    add(app, world.plenary, language="ar", stream_url=AR)
    viewer, moderator = live_client(world.participant), live_client(world.moderator)
    joined = call(viewer, "join", {"session_id": world.plenary})
    assert [c["language"] for c in joined["state"]["interpretation"]["channels"]] == ["en", "ar"]
    assert call(moderator, "join", {"session_id": world.plenary})["ok"]
    drain(viewer, moderator)
    ack = call(
        moderator, "interpretation:live", {"session_id": world.plenary, "language": "ar", "live": False}
    )
    assert ack["ok"], ack
    assert [(c["language"], c["live"]) for c in ack["channels"]] == [("en", True), ("ar", False)]
    heard = received(viewer, "interpretation:channels")
    assert len(heard) == 1 and heard[0]["channels"] == ack["channels"]
    with app.app_context():
        assert _db.session.scalar(select(InterpretationChannel.live)) is False


def test_a_participant_cannot_switch_a_channel(app, world, live_client):
    add(app, world.plenary, language="ar", stream_url=AR)
    viewer, other = live_client(world.participant), live_client(world.moderator)
    assert call(viewer, "join", {"session_id": world.plenary})["ok"]
    assert call(other, "join", {"session_id": world.plenary})["ok"]
    drain(viewer, other)
    ack = call(viewer, "interpretation:live", {"session_id": world.plenary, "language": "ar", "live": False})
    assert ack["ok"] is False and ack["error"]["code"] == "forbidden"
    assert received(other, "interpretation:channels") == []
    with app.app_context():
        assert _db.session.scalar(select(InterpretationChannel.live)) is True


@pytest.mark.parametrize(
    ("payload", "code"),
    [
        ({"session_id": 1, "language": "ar"}, "invalid_payload"),
        ({"session_id": 1, "language": "klingon", "live": True}, "invalid_payload"),
        ({"session_id": "x", "language": "ar", "live": True}, "invalid_payload"),
        ({"session_id": 999, "language": "ar", "live": True}, "session_not_found"),
        ({"session_id": 1, "language": "fr", "live": True}, "channel_not_found"),
        ({"session_id": 1, "language": "en", "live": False}, "floor_always_live"),
    ],
)
def test_bad_switches_get_an_error_ack(app, world, live_client, payload, code):
    add(app, world.plenary, language="ar", stream_url=AR)
    moderator = live_client(world.moderator)
    payload = {**payload, "session_id": world.plenary} if payload["session_id"] == 1 else payload
    ack = call(moderator, "interpretation:live", payload)
    assert ack["ok"] is False and ack["error"]["code"] == code


def test_a_new_floor_address_is_announced_to_the_room(app, world, live_client, make_token, client):
    viewer = live_client(world.participant)
    assert call(viewer, "join", {"session_id": world.plenary})["ok"]
    drain(viewer)
    answer = client.patch(
        f"/api/v1/events/symposium/sessions/{world.plenary}",
        json={"stream_url": "https://www.youtube.com/watch?v=newfloor123"},
        headers={"Authorization": f"Bearer {make_token(world.organiser)}"},
    )
    assert answer.status_code == 200, answer.json
    heard = received(viewer, "interpretation:channels")
    assert heard[-1]["channels"][0]["stream"]["embed_url"].endswith("/newfloor123")


def test_a_deleted_session_takes_its_channels_along(app, client, world, make_token):
    add(app, world.thematic, language="ar", stream_url=AR)
    add(app, world.plenary, language="ar", stream_url=AR)
    token = make_token(world.organiser)
    answer = client.delete(
        f"/api/v1/events/symposium/sessions/{world.thematic}", headers={"Authorization": f"Bearer {token}"}
    )
    assert answer.status_code == 204
    assert count(app) == 1
