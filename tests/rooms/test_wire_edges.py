"""The wire vocabulary at the edges: the same validation-error shape from a /live ack and from the
HTTP API, strict ids in every /live schema (breakouts too), and the limits every page carries."""

from __future__ import annotations

import html
import json
import re

import pytest
from rooms.support import call

from conference import wire


def test_a_socket_ack_and_an_api_answer_share_one_error_shape(app, cast, live_client, make_token):
    ack = call(live_client(cast.alice), "join", {"session_id": "5"})
    assert ack["ok"] is False
    socket_error = ack["error"]
    assert socket_error["code"] == "invalid_payload"
    assert list(socket_error["details"]["fields"]) == ["session_id"]
    assert socket_error["message"].startswith("session_id: ")

    response = app.test_client().post(
        "/api/v1/checkin/scan",
        json={"code": "x", "list": "5", "scan_id": "abcdefgh-1"},
        headers={"Authorization": f"Bearer {make_token(cast.alice)}"},
    )
    assert response.status_code == 400
    http_error = response.get_json()["error"]
    assert http_error["code"] == "invalid_request"
    assert list(http_error["details"]["fields"]) == ["list"]
    assert set(http_error) == set(socket_error) == {"code", "message", "details"}
    assert all(isinstance(m, list) for m in http_error["details"]["fields"].values())
    assert all(isinstance(m, list) for m in socket_error["details"]["fields"].values())


@pytest.mark.parametrize("round_id", [True, "1", 1.0, 0, -1])
def test_breakout_payloads_refuse_what_is_not_an_id(cast, live_client, round_id):
    """Before the wire vocabulary the breakouts schema read `true` as round 1 and "1" as 1."""
    moderator = live_client(cast.moderator)
    assert call(moderator, "join", {"session_id": cast.plenary})["ok"]
    created = call(moderator, "breakout:create", {"session_id": cast.plenary, "rooms": [{"name": "A"}]})
    assert created["ok"] and created["round"]["id"] == 1, created
    ack = call(moderator, "breakout:start", {"round_id": round_id})
    assert ack["ok"] is False and ack["error"]["code"] == "invalid_payload", ack
    assert list(ack["error"]["details"]["fields"]) == ["round_id"]


def test_every_page_carries_the_limits_and_the_live_page_uses_them(app, cast, logged_in_client):
    with app.app_context():
        from conference.extensions import db
        from conference.programme.models import Event

        slug = db.session.get(Event, cast.event.id).slug
    client = logged_in_client(cast.alice)
    for url in ("/", f"/events/{slug}/sessions/{cast.plenary}/live"):
        page = client.get(url).get_data(as_text=True)
        carried = re.search(r'<body[^>]* data-limits="([^"]*)"', page)
        assert carried, url
        assert json.loads(html.unescape(carried.group(1))) == wire.LIMITS
    assert f'id="ask-text" name="text" maxlength="{wire.QUESTION_MAX}"' in page
    assert f'id="chat-text" name="text" maxlength="{wire.CHAT_MAX}"' in page
