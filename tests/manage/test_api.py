"""The organisers' JSON API: the permission table, the same rules as the forms, and junk bodies."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from manage_support import event_payload, people, session_by_title, session_payload

from conference import hooks
from conference.extensions import db as _db
from conference.grants.models import EventGrant
from conference.programme.models import Event, ProgrammeSession, Speaker, Track

ROLES = ["admin", "organiser", "other_organiser", "moderator", "staff", "attendee", "anonymous"]
MANAGERS = {"admin", "organiser"}


@pytest.fixture()
def world(app, make_event, make_user, make_token):
    event, other = make_event("sym"), make_event("other")
    cast = people(app, make_user, event, other)
    tokens = {role: make_token(user) for role, user in cast.items()}
    with app.app_context():
        ids = {
            "ethics": session_by_title(_db.session, event.id, "AI Ethics").id,
            "track": _db.session.query(Track).filter_by(event_id=event.id).one().id,
            "speaker": _db.session.query(Speaker).filter_by(event_id=event.id).one().id,
            "moderator_grant": _db.session.query(EventGrant)
            .filter_by(event_id=event.id, role="moderator")
            .one()
            .id,
        }
    return {"event": event, "cast": cast, "tokens": tokens, "ids": ids}


def call(client, world, role, method, url, body=None):
    # "anonymous" sends a token that is no one's: the API answers 401 to every call.
    token = world["tokens"][role] if role != "anonymous" else "not-a-real-token"
    return client.open(url, method=method, json=body, headers={"Authorization": f"Bearer {token}"})


def api_calls(ids) -> list[tuple[str, str, dict | None, set[str], int]]:
    """(method, url, body, allowed roles, success status), in an order where each still applies."""
    base = "/api/v1/events/sym"
    return [
        ("GET", f"{base}/settings", None, MANAGERS, 200),
        ("PATCH", base, {"title": "Renamed", "requires_approval": True}, MANAGERS, 200),
        ("POST", f"{base}/tracks", {"name": "Data", "colour": "#336699"}, MANAGERS, 201),
        ("PATCH", f"{base}/tracks/{ids['track']}", {"position": 3}, MANAGERS, 200),
        ("POST", f"{base}/sessions", session_payload(), MANAGERS, 201),
        ("PATCH", f"{base}/sessions/{ids['ethics']}", {"room": "Room 2"}, MANAGERS, 200),
        ("POST", f"{base}/speakers", {"name": "Ms Guest", "session_ids": [ids["ethics"]]}, MANAGERS, 201),
        ("PATCH", f"{base}/speakers/{ids['speaker']}", {"bio": "Directs things."}, MANAGERS, 200),
        ("GET", f"{base}/grants", None, MANAGERS, 200),
        ("POST", f"{base}/grants", {"email": "attendee6@example.org", "role": "staff"}, MANAGERS, 201),
        ("DELETE", f"{base}/grants/{ids['moderator_grant']}", None, MANAGERS, 204),
        ("POST", f"{base}/publish", None, MANAGERS, 200),
        ("POST", f"{base}/unpublish", None, MANAGERS, 200),
        ("DELETE", f"{base}/tracks/{ids['track']}", None, MANAGERS, 204),
        ("DELETE", f"{base}/speakers/{ids['speaker']}", None, MANAGERS, 204),
        ("DELETE", f"{base}/sessions/{ids['ethics']}", None, MANAGERS, 204),
        ("DELETE", base, None, MANAGERS, 204),
        ("POST", "/api/v1/events", event_payload(), {"admin"}, 201),
    ]


def snapshot(app) -> dict:
    with app.app_context():
        event = _db.session.query(Event).filter_by(slug="sym").one_or_none()
        return {
            "event": (event.title, event.published, event.requires_approval) if event else None,
            "sessions": sorted((s.title, s.room) for s in _db.session.query(ProgrammeSession)),
            "tracks": sorted((t.name, t.position) for t in _db.session.query(Track)),
            "speakers": sorted((s.name, s.bio) for s in _db.session.query(Speaker)),
            "grants": _db.session.query(EventGrant).count(),
            "events": _db.session.query(Event).count(),
        }


@pytest.mark.parametrize("role", ROLES)
def test_permission_table_of_every_api_call(app, client, world, role):
    before = snapshot(app)
    for method, url, body, allowed, success in api_calls(world["ids"]):
        response = call(client, world, role, method, url, body)
        if role == "anonymous":
            expected = 401
        elif role in allowed:
            expected = success
        else:
            expected = 403
        assert response.status_code == expected, (
            method,
            url,
            response.status_code,
            response.get_data(as_text=True),
        )
        if expected >= 400:
            assert response.get_json()["error"]["code"] == (
                "unauthorized" if expected == 401 else "forbidden"
            )
    after = snapshot(app)
    if role in MANAGERS:
        assert after["event"] is None and after["events"] == (2 if role == "admin" else 1)
    else:
        assert after == before


def test_without_any_credentials_reads_are_401_and_writes_refused(app, client, world):
    before = snapshot(app)
    for method, url, body, _allowed, _success in api_calls(world["ids"]):
        response = client.open(url, method=method, json=body)
        # Writes without a bearer token meet the CSRF check first (400), reads the login check (401).
        assert response.status_code == (401 if method == "GET" else 400), (method, url)
    assert snapshot(app) == before


def test_a_browser_session_needs_its_csrf_token_for_the_api(app, login, world):
    client = login(app.test_client(), world["cast"]["organiser"])
    response = client.post("/api/v1/events/sym/tracks", json={"name": "Data"})
    assert response.status_code == 400 and response.get_json()["error"]["code"] == "csrf_failed"


def test_the_api_creates_a_draft_in_utc_and_names_its_organiser(app, client, world):
    response = call(
        client,
        world,
        "admin",
        "POST",
        "/api/v1/events",
        event_payload(organiser_email=world["cast"]["attendee"].email),
    )
    assert response.status_code == 201
    body = response.get_json()
    assert body["published"] is False and body["starts_at"] == "2031-03-10T00:00:00Z"
    assert body["languages"] == ["en", "ko"]
    patched = call(client, world, "admin", "PATCH", "/api/v1/events/dg-forum", {"languages": ["fr", "en"]})
    assert patched.status_code == 200 and patched.get_json()["languages"] == ["fr", "en"]
    bad = call(client, world, "admin", "PATCH", "/api/v1/events/dg-forum", {"languages": [1, 2]})
    assert bad.status_code == 400 and "languages" in bad.get_json()["error"]["details"]["fields"]
    # The named organiser now manages it; the public does not see it.
    assert call(client, world, "attendee", "GET", "/api/v1/events/dg-forum/settings").status_code == 200
    assert client.get("/api/v1/events/dg-forum").status_code == 404
    assert call(client, world, "admin", "POST", "/api/v1/events/dg-forum/publish").status_code == 200
    assert client.get("/api/v1/events/dg-forum").status_code == 200


def test_an_instant_with_an_offset_is_honoured(app, client, world):
    response = call(
        client,
        world,
        "organiser",
        "POST",
        "/api/v1/events/sym/sessions",
        session_payload(starts_at="2030-05-07T05:00:00Z", ends_at="2030-05-07T14:30"),
    )
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert body["starts_at"] == "2030-05-07T05:00:00Z" and body["ends_at"] == "2030-05-07T05:30:00Z"


def test_the_api_refuses_what_the_forms_refuse_with_the_field_named(app, client, world):
    before = snapshot(app)
    clash = call(
        client,
        world,
        "organiser",
        "POST",
        "/api/v1/events/sym/sessions",
        session_payload(room="Hall A", starts_at="2030-05-06T09:30", ends_at="2030-05-06T10:00"),
    )
    assert clash.status_code == 409
    error = clash.get_json()["error"]
    assert error["code"] == "room_taken" and "room" in error["details"]["fields"]
    outside = call(
        client,
        world,
        "organiser",
        "POST",
        "/api/v1/events/sym/sessions",
        session_payload(starts_at="2030-05-09T09:00", ends_at="2030-05-09T10:00"),
    )
    assert outside.status_code == 400 and outside.get_json()["error"]["code"] == "outside_event"
    slug = call(client, world, "organiser", "PATCH", "/api/v1/events/sym", {"slug": "other"})
    assert slug.status_code == 409 and "slug" in slug.get_json()["error"]["details"]["fields"]
    zone = call(client, world, "organiser", "PATCH", "/api/v1/events/sym", {"timezone": "Asia/Atlantis"})
    assert zone.status_code == 400 and "timezone" in zone.get_json()["error"]["details"]["fields"]
    with app.app_context():
        foreign_track = _db.session.query(Track).filter(Track.event_id != world["event"].id).first().id
    track = call(
        client,
        world,
        "organiser",
        "PATCH",
        f"/api/v1/events/sym/sessions/{world['ids']['ethics']}",
        {"track_id": foreign_track},
    )
    assert track.status_code == 400 and track.get_json()["error"]["code"] == "track_not_in_event"
    assert snapshot(app) == before


def test_patching_a_session_room_announces_the_move(app, client, world):
    heard = []

    def listener(sender, **kwargs):
        heard.append((sender, kwargs["session_id"], kwargs["changes"]))

    hooks.session_changed.connect(listener)
    try:
        response = call(
            client,
            world,
            "organiser",
            "PATCH",
            f"/api/v1/events/sym/sessions/{world['ids']['ethics']}",
            {"room": "Room 2", "starts_at": "2030-05-06T10:30"},
        )
    finally:
        hooks.session_changed.disconnect(listener)
    assert response.status_code == 200 and response.get_json()["room"] == "Room 2"
    assert heard == [
        (
            world["event"].id,
            world["ids"]["ethics"],
            {
                "room": ("Room 1", "Room 2"),
                "starts_at": (
                    datetime(2030, 5, 6, 2, 0, tzinfo=UTC),
                    datetime(2030, 5, 6, 1, 30, tzinfo=UTC),
                ),
            },
        )
    ]


JUNK = [
    ("not json at all", "text/plain"),
    ("[1, 2, 3]", "application/json"),
    ('"a string"', "application/json"),
    ("{broken", "application/json"),
    ("null", "application/json"),
]


@pytest.mark.parametrize(("raw", "content_type"), JUNK)
def test_non_object_bodies_are_400(app, client, world, raw, content_type):
    headers = {"Authorization": f"Bearer {world['tokens']['organiser']}", "Content-Type": content_type}
    for url in (
        "/api/v1/events/sym/sessions",
        "/api/v1/events/sym/tracks",
        "/api/v1/events/sym/speakers",
        "/api/v1/events/sym/grants",
        "/api/v1/events",
    ):
        response = client.post(url, data=raw, headers=headers)
        assert response.status_code in (400, 403), (url, response.status_code)
        assert response.get_json()["error"]["code"] in ("invalid_json", "forbidden")
    response = client.patch("/api/v1/events/sym", data=raw, headers=headers)
    assert response.status_code == 400


BAD_FIELDS = [
    ("sessions", {"title": 12}, "title"),
    ("sessions", {"title": "x" * 100_000}, "title"),
    ("sessions", {"kind": ["plenary"]}, "kind"),
    ("sessions", {"capacity": 2**63}, "capacity"),
    ("sessions", {"capacity": -1}, "capacity"),
    ("sessions", {"track_id": 2**31}, "track_id"),
    ("sessions", {"parent_id": 2**40}, "parent_id"),
    ("sessions", {"starts_at": "yesterday"}, "starts_at"),
    ("sessions", {"starts_at": "9999-12-31T23:59:59-12:00"}, "starts_at"),
    ("sessions", {"starts_at": 1e300}, "starts_at"),
    ("sessions", {"stream_url": "javascript:alert(1)"}, "stream_url"),
    ("sessions", {"language": "<script>"}, "language"),
    ("sessions", {"title": "nul\x00byte"}, "title"),
    ("sessions", {"questions_moderated": "perhaps"}, "questions_moderated"),
    ("sessions", {"unknown_key": 1}, "unknown_key"),
    ("tracks", {"name": "Data", "colour": "javascript"}, "colour"),
    ("tracks", {"name": "Data", "position": 2**31}, "position"),
    ("speakers", {"name": "X", "session_ids": [2**31]}, "session_ids"),
    ("speakers", {"name": "X", "session_ids": "1,2"}, "session_ids"),
    ("speakers", {"name": {"first": "X"}}, "name"),
    ("grants", {"email": "x@example.org", "role": "emperor"}, "role"),
    ("grants", {"email": "x@example.org", "role": "moderator", "session_id": 2**31}, "session_id"),
]


@pytest.mark.parametrize(("collection", "change", "field"), BAD_FIELDS)
def test_junk_fields_are_400_with_the_field_named_and_change_nothing(
    app, client, world, collection, change, field
):
    base = {"sessions": session_payload(), "tracks": {}, "speakers": {}, "grants": {}}[collection]
    before = snapshot(app)
    response = call(
        client, world, "organiser", "POST", f"/api/v1/events/sym/{collection}", {**base, **change}
    )
    assert response.status_code == 400, response.get_data(as_text=True)
    error = response.get_json()["error"]
    assert error["code"] == "invalid_request" and field in error["details"]["fields"], error
    assert snapshot(app) == before


def test_ids_past_the_database_range_in_urls_are_404(app, client, world):
    for method in ("PATCH", "DELETE"):
        for kind in ("sessions", "tracks", "speakers", "grants"):
            if kind == "grants" and method == "PATCH":
                continue
            response = call(client, world, "organiser", method, f"/api/v1/events/sym/{kind}/{2**31}", {})
            # werkzeug answers 405 when another method's rule would have matched the shape: no 500 either way.
            assert response.status_code in (404, 405), (method, kind, response.status_code)
    assert call(client, world, "organiser", "PATCH", "/api/v1/events/nope", {}).status_code == 404


def test_a_session_with_records_is_not_deleted_by_the_api(app, client, world, make_user):
    from conference.rooms.models import ChatMessage

    with app.app_context():
        _db.session.add(ChatMessage(session_id=world["ids"]["ethics"], user_id=make_user().id, text="hi"))
        _db.session.commit()
    response = call(
        client, world, "organiser", "DELETE", f"/api/v1/events/sym/sessions/{world['ids']['ethics']}"
    )
    assert response.status_code == 409
    assert response.get_json()["error"]["details"]["records"] == ["chat messages"]


def test_grants_through_the_api_follow_who_names_whom(app, client, world):
    organiser_grant = {"email": world["cast"]["attendee"].email, "role": "organiser"}
    assert (
        call(client, world, "organiser", "POST", "/api/v1/events/sym/grants", organiser_grant).status_code
        == 403
    )
    created = call(client, world, "admin", "POST", "/api/v1/events/sym/grants", organiser_grant)
    assert created.status_code == 201 and created.get_json()["role"] == "organiser"
    unknown = call(
        client,
        world,
        "organiser",
        "POST",
        "/api/v1/events/sym/grants",
        {"email": "ghost@example.org", "role": "staff"},
    )
    assert unknown.status_code == 400 and "email" in unknown.get_json()["error"]["details"]["fields"]
    listing = call(client, world, "organiser", "GET", "/api/v1/events/sym/grants").get_json()["grants"]
    assert [g["role"] for g in listing] == ["organiser", "organiser", "moderator", "staff"]
