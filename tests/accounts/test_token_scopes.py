"""API tokens: scopes, what no token may do (sign-in machinery, tokens, sessions), expiry, last use,
and their sockets: revoking a token, signing out and losing a grant close the sockets that relied
on them (in this process here; tests/rooms/test_two_processes.py checks every process)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from conftest import PASSWORD, post_form
from sqlalchemy import select, update

from conference.accounts.models import ApiToken
from conference.accounts.services import create_api_token
from conference.db_types import utcnow
from conference.extensions import db as _db
from conference.extensions import socketio
from conference.grants.models import EventGrant
from conference.grants.services import revoke

LIVE = "/live"


def bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}", "Accept": "application/json"}


@pytest.fixture()
def token_with(app):
    def factory(user, *scopes, expires_at=None) -> str:
        with app.app_context():
            return create_api_token(
                _db.session, _db.session.merge(user), "scoped", scopes=scopes, expires_at=expires_at
            )

    return factory


def test_each_scope_opens_its_own_requests_only(app, client, make_event, make_user, token_with):
    make_event("symposium")
    organiser = make_user("organiser")
    read = token_with(organiser, "read")
    checkin = token_with(organiser, "checkin")
    manage = token_with(organiser, "manage")

    assert client.get("/api/v1/events/symposium/settings", headers=bearer(read)).status_code == 200
    refused = client.patch("/api/v1/events/symposium", json={"title": "Taken"}, headers=bearer(read))
    assert refused.status_code == 403
    assert refused.json["error"]["code"] == "insufficient_scope"
    assert refused.json["error"]["details"]["required_scope"] == "manage"
    assert client.get("/api/v1/checkin/lists?event=symposium", headers=bearer(read)).status_code == 403

    changed = client.patch("/api/v1/events/symposium", json={"title": "Renamed"}, headers=bearer(manage))
    assert changed.status_code == 200, changed.json
    assert client.get("/api/v1/events/symposium/settings", headers=bearer(manage)).status_code == 403

    lists = client.get("/api/v1/checkin/lists?event=symposium", headers=bearer(checkin))
    assert lists.status_code == 200, lists.json
    assert client.get("/api/v1/events/symposium/settings", headers=bearer(checkin)).status_code == 403


def test_no_token_signs_out_mints_or_revokes_tokens_or_changes_passwords(
    app, make_user, make_token, logged_in_client
):
    user = make_user()
    browser = logged_in_client(user)
    token = make_token(user)  # every scope
    with app.app_context():
        token_id = _db.session.scalar(select(ApiToken.id))
    for method, url, data in [
        ("POST", "/logout", {}),
        ("POST", "/account/tokens", {"label": "minted", "scopes": "manage"}),
        ("GET", "/account/tokens", None),
        ("POST", f"/account/tokens/{token_id}/revoke", {}),
        ("POST", "/account/password", {"current": PASSWORD, "password": "another password"}),
    ]:
        response = app.test_client().open(url, method=method, data=data, headers=bearer(token))
        assert response.status_code == 403, (url, response.status_code)
        assert response.json["error"]["code"] == "token_not_allowed"
    with app.app_context():
        assert _db.session.scalar(select(ApiToken.revoked_at)) is None
        assert len(_db.session.scalars(select(ApiToken)).all()) == 1  # nothing minted
    # The browser session is still signed in.
    assert browser.get("/account/tokens").status_code == 200


def test_an_expired_token_is_refused_and_the_page_shows_scopes_expiry_and_last_use(
    app, client, make_user, token_with, logged_in_client
):
    user = make_user()
    token = token_with(user, "read", expires_at=utcnow() + timedelta(days=1))
    assert client.get("/api/v1/events", headers=bearer(token)).status_code == 200
    page = logged_in_client(user).get("/account/tokens").get_data(as_text=True)
    assert "never" not in page.split('class="token-last-used"')[1][:40]  # used just now
    assert "read" in page.split('class="token-scopes"')[1][:20]
    with app.app_context():
        _db.session.execute(update(ApiToken).values(expires_at=utcnow() - timedelta(seconds=1)))
        _db.session.commit()
    expired = client.get("/api/v1/checkin/lists", headers=bearer(token))
    assert expired.status_code == 401 and expired.json["error"]["code"] == "unauthorized"
    page = logged_in_client(user).get("/account/tokens").get_data(as_text=True)
    assert "expired" in page.split('class="token-expires"')[1][:20]


def test_a_token_needs_a_scope_and_a_future_expiry(app, client, make_user, login):
    user = make_user()
    login(client, user)
    none = post_form(client, "/account/tokens", {"label": "nothing"})
    assert none.status_code == 400 and "Choose one or more of the scopes offered." in none.get_data(
        as_text=True
    )
    bad = post_form(client, "/account/tokens", {"label": "odd", "scopes": "root"})
    assert bad.status_code == 400
    assert (
        post_form(
            client, "/account/tokens", {"label": "x", "scopes": "read", "expires_in_days": "2"}
        ).status_code
        == 400
    )
    with app.app_context():
        assert _db.session.scalar(select(ApiToken)) is None


def _socket(app, token):
    return socketio.test_client(app, namespace=LIVE, auth={"token": token})


def test_socket_events_need_the_token_scope(app, make_event, make_user, token_with):
    make_event("symposium")
    staff = make_user("staff")
    reader = _socket(app, token_with(staff, "read"))
    assert reader.is_connected(LIVE)
    ack = reader.emit("checkin:watch", {"event_id": 1}, namespace=LIVE, callback=True)
    assert ack["error"]["code"] == "insufficient_scope"
    ack = reader.emit("attendance:subscribe", {"event_slug": "symposium"}, namespace=LIVE, callback=True)
    assert ack["ok"], ack
    ack = reader.emit("join", {"session_id": 1}, namespace=LIVE, callback=True)
    assert ack["error"]["code"] == "insufficient_scope"
    # the hot events (dispatched without Flask-SocketIO's request context) check the scope too
    for event, payload in [
        ("poll:vote", {"poll_id": 1, "choices": [1]}),
        ("question:vote", {"question_id": 1}),
        ("question:ask", {"session_id": 1, "text": "Why?"}),
        ("chat:send", {"session_id": 1, "text": "Hi"}),
    ]:
        ack = reader.emit(event, payload, namespace=LIVE, callback=True)
        assert ack["error"]["code"] == "insufficient_scope", (event, ack)
    manage_only = _socket(app, token_with(staff, "manage"))
    assert not manage_only.is_connected(LIVE)


def test_revoking_a_token_closes_its_sockets_and_only_those(app, make_user, make_token, logged_in_client):
    user = make_user()
    doomed, kept = make_token(user), make_token(user)
    doomed_socket, kept_socket = _socket(app, doomed), _socket(app, kept)
    browser = logged_in_client(user)
    cookie_socket = socketio.test_client(app, namespace=LIVE, flask_test_client=browser)
    assert doomed_socket.is_connected(LIVE) and kept_socket.is_connected(LIVE)
    with app.app_context():
        token_id = _db.session.scalar(select(ApiToken.id).order_by(ApiToken.id))
    response = post_form(browser, f"/account/tokens/{token_id}/revoke", {})
    assert response.status_code == 303
    assert not doomed_socket.is_connected(LIVE)
    assert kept_socket.is_connected(LIVE) and cookie_socket.is_connected(LIVE)
    for client in (kept_socket, cookie_socket):
        client.disconnect(namespace=LIVE)


def test_signing_out_closes_the_cookie_sockets_not_the_token_ones(
    app, make_user, make_token, logged_in_client
):
    user = make_user()
    browser = logged_in_client(user)
    cookie_socket = socketio.test_client(app, namespace=LIVE, flask_test_client=browser)
    token_socket = _socket(app, make_token(user))
    assert post_form(browser, "/logout", {}).status_code == 303
    assert not cookie_socket.is_connected(LIVE)
    assert token_socket.is_connected(LIVE)
    token_socket.disconnect(namespace=LIVE)


def test_losing_a_grant_stops_the_dashboard_at_once(app, make_event, make_user, live_client):
    event = make_event("symposium")
    staff = make_user("staff")
    dashboard = live_client(staff)
    ack = dashboard.emit("attendance:subscribe", {"event_slug": "symposium"}, namespace=LIVE, callback=True)
    assert ack["ok"]
    with app.app_context():
        grant_id = _db.session.scalar(select(EventGrant.id).where(EventGrant.user_id == staff.id))
        revoke(_db.session, _db.session.get(type(event), event.id), grant_id)
    assert not dashboard.is_connected(LIVE)
    again = live_client(staff)
    ack = again.emit("attendance:subscribe", {"event_slug": "symposium"}, namespace=LIVE, callback=True)
    assert ack["ok"] is False and ack["error"]["code"] == "forbidden"
