"""The check-in HTTP API and pages: scans with a staff token or a staff session with CSRF, bad input,
badge images decoded by a real QR decoder (zxing-cpp), and live numbers over Socket.IO."""

from __future__ import annotations

import io
import re
import uuid

import pytest
from conftest import csrf_token
from PIL import Image, ImageDraw
from sqlalchemy import func, select

from conference.checkin.models import Checkin, CheckinMovement, ScanRecord
from conference.extensions import db as _db
from conference.extensions import socketio

SCAN = "/api/v1/checkin/scan"


def _sid() -> str:
    return str(uuid.uuid4())


def _auth(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


def _rows(app, model) -> int:
    with app.app_context():
        return _db.session.scalar(select(func.count()).select_from(model))


@pytest.fixture()
def staff_token(venue, make_token):
    return make_token(venue.staff)


def test_a_staff_token_scans_ok_then_already_checked_in(client, venue, attendee_badge, staff_token):
    _registration_id, code = attendee_badge(venue, name="Mele Tupou", country="TO")
    first = client.post(
        SCAN,
        json={"code": code, "list": venue.entrance_id, "scan_id": _sid(), "gate": "A"},
        headers=_auth(staff_token),
    )
    assert first.status_code == 200, first.json
    assert first.json["result"] == "ok" and first.json["attendee"]["name"] == "Mele Tupou"
    assert first.json["attendee"]["country_name"] == "Tonga"
    second = client.post(
        SCAN,
        json={"code": code, "list": venue.entrance_id, "scan_id": _sid(), "gate": "B"},
        headers=_auth(staff_token),
    )
    assert second.status_code == 200
    assert second.json["result"] == "already_checked_in"
    assert (
        second.json["first_checked_in_gate"] == "A" and second.json["first_checked_in_by"] == venue.staff.name
    )


def test_a_repeated_scan_id_gets_the_same_answer(client, app, venue, attendee_badge, staff_token):
    _registration_id, code = attendee_badge(venue)
    body = {"code": code, "list": venue.entrance_id, "scan_id": _sid()}
    first = client.post(SCAN, json=body, headers=_auth(staff_token))
    again = client.post(SCAN, json=body, headers=_auth(staff_token))
    assert again.json == first.json and again.status_code == 200
    assert _rows(app, ScanRecord) == 1


@pytest.mark.parametrize(
    "mangle",
    [
        lambda c: c[:-6] + ("AAAAAA" if not c.endswith("AAAAAA") else "BBBBBB"),  # altered signature
        lambda c: c[:40],  # truncated
        lambda c: c * 3,  # oversized
        lambda c: c[:-1] + "ß",  # non-ASCII
        lambda c: "WIFI:S:venue;T:WPA;P:secret;;",  # some other QR code
    ],
)
def test_codes_that_are_not_valid_badges_get_422_and_change_nothing(
    client, app, venue, attendee_badge, staff_token, mangle
):
    _registration_id, code = attendee_badge(venue)
    response = client.post(
        SCAN,
        json={"code": mangle(code), "list": venue.entrance_id, "scan_id": _sid()},
        headers=_auth(staff_token),
    )
    assert response.status_code == 422
    assert response.json["result"] == "invalid_badge" and response.json["reason"]
    assert _rows(app, Checkin) == 0 and _rows(app, CheckinMovement) == 0


@pytest.mark.parametrize(
    "body,content_type,code",
    [
        (b"{not json", "application/json", "invalid_json"),
        (b"[1, 2]", "application/json", "invalid_json"),
        (b"code=abc", "application/x-www-form-urlencoded", "invalid_json"),
        (b'{"list": 1, "scan_id": "abcdefgh-1"}', "application/json", "invalid_request"),
        (b'{"code": "x", "scan_id": "abcdefgh-1"}', "application/json", "invalid_request"),
        (b'{"code": "x", "list": 1}', "application/json", "invalid_request"),
        (b'{"code": 42, "list": 1, "scan_id": "abcdefgh-1"}', "application/json", "invalid_request"),
        (
            b'{"code": "x", "list": "entrance", "scan_id": "abcdefgh-1"}',
            "application/json",
            "invalid_request",
        ),
        (b'{"code": "x", "list": 1, "scan_id": "<script>"}', "application/json", "invalid_request"),
        (
            b'{"code": "x", "list": 1, "scan_id": "abcdefgh-1", "scanned_at": "yesterday"}',
            "application/json",
            "invalid_request",
        ),
        (
            b'{"code": "x", "list": 1, "scan_id": "abcdefgh-1", "direction": "sideways"}',
            "application/json",
            "invalid_request",
        ),
    ],
)
def test_malformed_requests_get_a_clear_400(client, app, venue, staff_token, body, content_type, code):
    response = client.post(SCAN, data=body, content_type=content_type, headers=_auth(staff_token))
    assert response.status_code == 400, response.data
    assert response.json["error"]["code"] == code and response.json["error"]["message"]
    assert _rows(app, ScanRecord) == 0


def test_an_unknown_list_is_404(client, app, venue, attendee_badge, staff_token):
    _registration_id, code = attendee_badge(venue)
    response = client.post(
        SCAN, json={"code": code, "list": 99999, "scan_id": _sid()}, headers=_auth(staff_token)
    )
    assert response.status_code == 404 and response.json["error"]["code"] == "list_not_found"
    assert _rows(app, ScanRecord) == 0


def test_attendees_other_events_staff_and_strangers_are_refused(
    client, app, venue, attendee_badge, make_user, make_token, make_event
):
    from conference.grants.services import grant
    from conference.programme.models import Event

    _registration_id, code = attendee_badge(venue)
    attendee, moderator, outsider = make_user(), make_user("moderator"), make_user()
    with app.app_context():
        grant(_db.session, _db.session.get(Event, make_event().id), _db.session.merge(outsider), "staff")
    body = {"code": code, "list": venue.entrance_id, "scan_id": _sid()}
    for user, status, error in (
        (attendee, 403, "forbidden"),
        (moderator, 403, "forbidden"),
        (outsider, 403, "forbidden"),
    ):
        response = client.post(SCAN, json=body, headers=_auth(make_token(user)))
        assert (response.status_code, response.json["error"]["code"]) == (status, error)
    response = client.post(SCAN, json=body)
    assert response.status_code in (400, 401)  # no identity: CSRF refuses a cookie-less POST first
    assert client.post(SCAN, json=body, headers=_auth("cf_not-a-token")).status_code == 401
    assert (
        client.get(
            f"/api/v1/checkin/lists/{venue.entrance_id}/stats", headers=_auth(make_token(outsider))
        ).status_code
        == 403
    )
    assert _rows(app, ScanRecord) == 0


def test_a_staff_session_needs_the_csrf_token(app, venue, attendee_badge, logged_in_client):
    _registration_id, code = attendee_badge(venue)
    http = logged_in_client(venue.staff)
    body = {"code": code, "list": venue.entrance_id, "scan_id": _sid()}
    refused = http.post(SCAN, json=body)
    assert refused.status_code == 400 and refused.json["error"]["code"] == "csrf_failed"
    assert _rows(app, ScanRecord) == 0
    accepted = http.post(SCAN, json=body, headers={"X-CSRFToken": csrf_token(http)})
    assert accepted.status_code == 200 and accepted.json["result"] == "ok"


def test_lists_stats_offline_snapshot_undo_and_sync(client, app, venue, attendee_badge, staff_token):
    _registration_id, code = attendee_badge(venue)
    lists = client.get("/api/v1/checkin/lists", headers=_auth(staff_token)).json["lists"]
    assert {item["id"] for item in lists} == {venue.entrance_id, venue.door_id, venue.online_list_id}
    scanned = client.post(
        SCAN, json={"code": code, "list": venue.door_id, "scan_id": _sid()}, headers=_auth(staff_token)
    ).json
    stats = client.get(f"/api/v1/checkin/lists/{venue.door_id}/stats", headers=_auth(staff_token)).json
    assert (stats["checked_in"], stats["inside_now"], stats["capacity"]) == (1, 1, 2)
    assert stats["scans_per_minute"] == 1
    offline = client.get(f"/api/v1/checkin/lists/{venue.door_id}/offline", headers=_auth(staff_token)).json
    assert offline["checked_in"] == [scanned["attendee"]["registration_id"]]
    # Offline, a badge shows the country's name as the online answer does, not its code (issue #16).
    person = offline["people"][str(scanned["attendee"]["registration_id"])]
    assert person[2] == scanned["attendee"]["country_name"] and len(person[2]) > 2
    undone = client.post(
        "/api/v1/checkin/undo", json={"scan_id": scanned["scan_id"]}, headers=_auth(staff_token)
    )
    assert undone.status_code == 200 and undone.json["result"] == "undone"
    again = client.post(
        "/api/v1/checkin/undo",
        json={"scan_id": scanned["scan_id"], "undo_id": _sid()},
        headers=_auth(staff_token),
    )
    assert again.status_code == 409
    batch = {
        "scans": [
            {
                "code": code,
                "list": venue.door_id,
                "scan_id": _sid(),
                "gate": "East",
                "offline_result": "ok",
                "scanned_at": "2020-01-01T10:00:00Z",
            },
            {
                "code": code,
                "list": venue.door_id,
                "scan_id": _sid(),
                "gate": "West",
                "offline_result": "ok",
                "scanned_at": "2020-01-01T10:01:00Z",
            },
            {
                "code": "garbage",
                "list": venue.door_id,
                "scan_id": _sid(),
                "scanned_at": "2020-01-01T10:02:00Z",
            },
        ]
    }
    synced = client.post("/api/v1/checkin/sync", json=batch, headers=_auth(staff_token))
    assert synced.status_code == 200
    assert [r["result"] for r in synced.json["results"]] == ["ok", "already_checked_in", "invalid_badge"]
    assert all(r["late"] for r in synced.json["results"])
    assert [c["gate"] for c in synced.json["conflicts"]] == ["West"]
    event_stats = client.get("/api/v1/checkin/events/event-1/stats", headers=_auth(staff_token)).json
    assert [c["gate"] for c in event_stats["conflicts"]] == ["West"]
    missing = client.post(
        "/api/v1/checkin/sync",
        json={"scans": [{"code": code, "list": venue.door_id, "scan_id": _sid()}]},
        headers=_auth(staff_token),
    )
    assert missing.status_code == 400 and "scanned_at" in missing.json["error"]["message"]


def test_reissue_makes_the_old_badge_refused(client, app, venue, attendee_badge, staff_token):
    registration_id, old_code = attendee_badge(venue)
    reissued = client.post(
        f"/api/v1/checkin/registrations/{registration_id}/reissue", headers=_auth(staff_token)
    )
    assert reissued.json == {"registration_id": registration_id, "version": 2}
    answer = client.post(
        SCAN,
        json={"code": old_code, "list": venue.entrance_id, "scan_id": _sid()},
        headers=_auth(staff_token),
    )
    assert answer.status_code == 422 and answer.json["reason"] == "reissued"


# --- badge images -----------------------------------------------------------------------------------


def _decode_png(data: bytes) -> str:
    import zxingcpp

    found = zxingcpp.read_barcodes(Image.open(io.BytesIO(data)).convert("L"))
    assert len(found) == 1
    return found[0].text


def _svg_to_bitmap(svg: bytes, scale: int = 8) -> Image.Image:
    """Draw the SVG's module squares (qrcode's path: `Mx,yH..V..H..z` per dark module) on white."""
    text = svg.decode()
    width, height = (int(float(v)) for v in re.search(r'viewBox="0 0 ([\d.]+) ([\d.]+)"', text).groups())
    image = Image.new("L", (width * scale, height * scale), 255)
    draw = ImageDraw.Draw(image)
    path = re.search(r'<path[^>]* d="([^"]+)"', text).group(1)
    squares = re.findall(r"M([\d.]+),([\d.]+)H([\d.]+)V([\d.]+)H([\d.]+)z", path)
    assert squares, "no modules found in the SVG"
    for x, y, x2, y2, _x3 in squares:
        draw.rectangle(
            [float(x) * scale, float(y) * scale, float(x2) * scale - 1, float(y2) * scale - 1], fill=0
        )
    return image


def test_png_and_svg_badges_decode_with_zxing_and_scan(
    client, app, venue, attendee_badge, staff_token, logged_in_client, make_user
):
    import zxingcpp

    registration_id, code = attendee_badge(venue, email="owner@example.org")
    from conference.accounts.models import User

    with app.app_context():
        owner = _db.session.scalars(select(User).where(User.email == "owner@example.org")).one()
        _db.session.expunge(owner)
    owner_http = logged_in_client(owner)
    png = owner_http.get(f"/badges/{registration_id}.png")
    assert png.status_code == 200 and png.mimetype == "image/png"
    assert _decode_png(png.data) == code
    svg = owner_http.get(f"/badges/{registration_id}.svg")
    assert svg.status_code == 200 and svg.mimetype == "image/svg+xml"
    found = zxingcpp.read_barcodes(_svg_to_bitmap(svg.data))
    assert [f.text for f in found] == [code]
    assert found[0].symbology_identifier.startswith("]Q")
    for decoded in (_decode_png(png.data), found[0].text):
        answer = client.post(
            SCAN,
            json={"code": decoded, "list": venue.entrance_id, "scan_id": _sid()},
            headers=_auth(staff_token),
        ).json
        assert answer["attendee"]["registration_id"] == registration_id
        assert answer["result"] in ("ok", "already_checked_in")
    # others see nothing; staff of the event see it
    assert logged_in_client(make_user()).get(f"/badges/{registration_id}.png").status_code == 404
    assert logged_in_client(venue.staff).get(f"/badges/{registration_id}.svg").status_code == 200
    assert client.get(f"/badges/{registration_id}.png").status_code in (302, 401)


def test_pages_for_staff_and_the_owners_badge_page(app, venue, attendee_badge, logged_in_client, make_user):
    from conference.accounts.models import User

    attendee_badge(venue, name="In Person Ian")
    attendee_badge(venue, name="Online Olga", mode="online")
    _id, _code = attendee_badge(venue, name="Owner Oscar", email="oscar@example.org")
    staff_http = logged_in_client(venue.staff)
    sheet = staff_http.get("/events/event-1/badges")
    assert sheet.status_code == 200
    assert b"In Person Ian" in sheet.data and b"Online Olga" not in sheet.data
    assert b"Online Olga" in staff_http.get("/events/event-1/badges?mode=online").data
    assert staff_http.get("/events/event-1/checkin").status_code == 200
    assert staff_http.get("/events/event-1/checkin/dashboard").status_code == 200
    attendee_http = logged_in_client(make_user())
    for page in ("/events/event-1/badges", "/events/event-1/checkin", "/events/event-1/checkin/dashboard"):
        assert attendee_http.get(page).status_code == 403
    with app.app_context():
        owner = _db.session.scalars(select(User).where(User.email == "oscar@example.org")).one()
        _db.session.expunge(owner)
    mine = logged_in_client(owner).get("/events/event-1/badge")
    assert mine.status_code == 200 and b"Owner Oscar" in mine.data and b"/badges/" in mine.data


# --- live numbers -----------------------------------------------------------------------------------


def test_staff_watching_receive_stats_after_each_scan_and_attendees_cannot_watch(
    app, client, venue, attendee_badge, staff_token, live_client, make_user
):
    _registration_id, code = attendee_badge(venue)
    watcher = live_client(venue.staff)
    ack = watcher.emit("checkin:watch", {"event_id": venue.event_id}, namespace="/live", callback=True)
    assert ack["ok"] and {s["list_id"] for s in ack["lists"]} == {
        venue.entrance_id,
        venue.door_id,
        venue.online_list_id,
    }
    outsider = live_client(make_user())
    refused = outsider.emit("checkin:watch", {"event_id": venue.event_id}, namespace="/live", callback=True)
    assert refused["ok"] is False and refused["error"]["code"] == "forbidden"
    watcher.get_received("/live")
    outsider.get_received("/live")
    client.post(
        SCAN, json={"code": code, "list": venue.door_id, "scan_id": _sid()}, headers=_auth(staff_token)
    )
    stats = [m["args"][0] for m in watcher.get_received("/live") if m["name"] == "checkin:stats"]
    assert len(stats) == 1
    assert stats[0]["list"]["inside_now"] == 1 and stats[0]["session_ids"] == [venue.session_id]
    assert outsider.get_received("/live") == []
    # a refused scan moves nothing and broadcasts nothing
    client.post(
        SCAN, json={"code": code, "list": venue.door_id, "scan_id": _sid()}, headers=_auth(staff_token)
    )
    assert watcher.get_received("/live") == []


@pytest.mark.parametrize(
    "body",
    [
        {"code": "abc\u0000def", "list": 1, "scan_id": "nul-in-code-1", "gate": "A\u0000B"},
        {"code": "\ud800\udfff\ud800", "list": 1, "scan_id": "surrogates-1", "gate": "\ud800"},
        {"code": "x", "list": 10**30, "scan_id": "huge-list-1"},
        {"code": "x", "list": -1, "scan_id": "negative-list"},
        {"code": ["x"], "list": 1, "scan_id": "code-is-a-list"},
        {"code": {"a": 1}, "list": 1, "scan_id": "code-is-object"},
        {"code": "x", "list": 1, "scan_id": "x" * 65},
        {"code": "x", "list": 1, "scan_id": "ok-scan-id-1", "scanned_at": "2030-13-45T99:00:00Z"},
        {"code": "x", "list": 1, "scan_id": "ok-scan-id-2", "scanned_at": "2020-01-01T10:00:00"},
        {"code": "x", "list": 1, "scan_id": "ok-scan-id-3", "gate": "g" * 81},
    ],
)
def test_odd_input_never_gives_a_500(client, venue, staff_token, body):
    response = client.post(SCAN, json=body, headers=_auth(staff_token))
    assert 200 <= response.status_code < 500, response.data
    assert response.is_json


def test_odd_urls_never_give_a_500(client, venue, staff_token, logged_in_client):
    huge = 10**30
    for url in (f"/api/v1/checkin/lists/{huge}/stats", f"/api/v1/checkin/lists/{huge}/offline"):
        assert client.get(url, headers=_auth(staff_token)).status_code == 404
    assert (
        client.post(f"/api/v1/checkin/registrations/{huge}/reissue", headers=_auth(staff_token)).status_code
        == 404
    )
    staff_http = logged_in_client(venue.staff)
    assert staff_http.get(f"/badges/{huge}.png").status_code == 404
    assert (
        client.post("/api/v1/checkin/sync", json={"scans": "nope"}, headers=_auth(staff_token)).status_code
        == 400
    )
    assert (
        client.post(
            "/api/v1/checkin/sync", json={"scans": [{}] * 501}, headers=_auth(staff_token)
        ).status_code
        == 400
    )
    assert client.post("/api/v1/checkin/undo", json={}, headers=_auth(staff_token)).status_code == 400


def test_the_moderators_of_a_door_list_session_get_the_numbers_and_participants_do_not(
    client, venue, attendee_badge, staff_token, live_client, make_user
):
    from conference.rooms.access import moderators_room, room_name

    _registration_id, code = attendee_badge(venue)
    moderator, participant = live_client(make_user("moderator")), live_client(make_user())
    # what the rooms feature's `join` does: moderators enter moderators:<id>, everyone session:<id>
    for sock, rooms in (
        (moderator, [moderators_room(venue.session_id), room_name(venue.session_id)]),
        (participant, [room_name(venue.session_id)]),
    ):
        sid = socketio.server.manager.sid_from_eio_sid(sock.eio_sid, "/live")
        for room in rooms:
            socketio.server.enter_room(sid, room, namespace="/live")
    client.post(
        SCAN, json={"code": code, "list": venue.door_id, "scan_id": _sid()}, headers=_auth(staff_token)
    )
    stats = [m["args"][0] for m in moderator.get_received("/live") if m["name"] == "checkin:stats"]
    assert len(stats) == 1 and stats[0]["list"]["inside_now"] == 1
    assert [m for m in participant.get_received("/live") if m["name"] == "checkin:stats"] == []


def test_staff_reissue_a_lost_badge_from_the_sheet(
    app, client, venue, attendee_badge, logged_in_client, staff_token, make_user
):
    from conftest import post_form

    registration_id, old_code = attendee_badge(venue, name="Lost Badge Lee")
    staff_http = logged_in_client(venue.staff)
    url = f"/events/event-1/badges/{registration_id}/reissue"
    assert staff_http.post(url).status_code == 400  # no CSRF token
    response = post_form(staff_http, url, {}, follow_redirects=True)
    assert (
        response.status_code == 200 and b"version 2" in response.data and b"Lost Badge Lee" in response.data
    )
    answer = client.post(
        SCAN,
        json={"code": old_code, "list": venue.entrance_id, "scan_id": _sid()},
        headers=_auth(staff_token),
    )
    assert answer.json["reason"] == "reissued"
    assert post_form(logged_in_client(make_user()), url, {}).status_code == 403
