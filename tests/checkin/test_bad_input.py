"""Input no handler can use gets a clear 4xx with the JSON error shape, never a 500 (issue #14 item 8):
a /sync batch mixing zoned and unzoned scan times, scan times outside what UTC can hold, JSON nested
50,000 deep on every check-in call, and NUL characters (on SQLite here, on PostgreSQL in
test_bad_input_postgres.py)."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import func, select

from conference.checkin.models import Checkin, ScanRecord
from conference.extensions import db as _db

API = "/api/v1/checkin"
DEEP = 50_000


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


def _error(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.data[:300]
    error = response.get_json()["error"]
    assert error["code"] == code and error["message"], error
    return error


def test_a_sync_batch_mixing_zoned_and_unzoned_times_answers_each_scan(
    client, app, venue, attendee_badge, staff_token
):
    _registration_id, code = attendee_badge(venue)
    _other_id, other_code = attendee_badge(venue)
    batch = {
        "scans": [
            {"code": code, "list": venue.entrance_id, "scan_id": _sid(), "scanned_at": "2026-01-01T09:00:00"},
            {
                "code": other_code,
                "list": venue.entrance_id,
                "scan_id": _sid(),
                "scanned_at": "2026-01-01T09:00:00Z",
                "offline_result": "ok",
            },
        ]
    }
    response = client.post(f"{API}/sync", json=batch, headers=_auth(staff_token))
    assert response.status_code == 200, response.data[:300]
    results = {item["scan_id"]: item for item in response.json["results"]}
    unzoned, zoned = (results[item["scan_id"]] for item in batch["scans"])
    assert unzoned["result"] == "error" and unzoned["error"]["code"] == "invalid_scanned_at"
    assert zoned["result"] == "ok"
    assert _rows(app, Checkin) == 1


@pytest.mark.parametrize(
    "moment", ["0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-14:00", "1900-01-01T00:00:00Z"]
)
def test_scan_times_outside_the_plausible_years_are_a_400(
    client, app, venue, attendee_badge, staff_token, moment
):
    _registration_id, code = attendee_badge(venue)
    item = {"code": code, "list": venue.entrance_id, "scan_id": _sid(), "scanned_at": moment}
    error = _error(client.post(f"{API}/scan", json=item, headers=_auth(staff_token)), 400, "invalid_request")
    assert "scanned_at" in error["details"]["fields"]
    _error(
        client.post(f"{API}/sync", json={"scans": [item]}, headers=_auth(staff_token)), 400, "invalid_request"
    )
    assert _rows(app, ScanRecord) == 0


@pytest.mark.parametrize("path", ["scan", "undo", "sync"])
@pytest.mark.parametrize("shape", ["[", '{"a":'])
def test_json_nested_fifty_thousand_deep_is_a_400(client, app, venue, staff_token, path, shape):
    body = shape * DEEP + "1" + ("]" if shape == "[" else "}") * DEEP
    response = client.post(
        f"{API}/{path}", data=body, content_type="application/json", headers=_auth(staff_token)
    )
    _error(response, 400, "invalid_json")
    assert _rows(app, ScanRecord) == 0


def test_deep_json_is_refused_on_other_json_calls_too(client, make_user, make_token, make_event):
    event = make_event()
    token = make_token(make_user("organiser"))
    body = "[" * DEEP + "]" * DEEP
    response = client.patch(
        f"/api/v1/events/{event.slug}", data=body, content_type="application/json", headers=_auth(token)
    )
    _error(response, 400, "invalid_json")


def test_nul_characters_in_the_address_query_and_forms_are_a_400(client, app, venue, staff_token):
    _error(client.get("/api/v1/events/gov%00x"), 400, "invalid_characters")
    _error(client.get(f"{API}/lists?event=a%00b", headers=_auth(staff_token)), 400, "invalid_characters")
    page = client.get("/events/gov%00x")
    assert page.status_code == 400 and b"contains a character that is not allowed" in page.data
    login = client.post("/login", data={"email": "a\x00@example.org", "password": "x"})
    assert login.status_code == 400
