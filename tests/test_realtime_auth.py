"""The /live namespace's door: who may connect, and what happens after signing out."""

from __future__ import annotations

import pytest
from conftest import post_form

from conference.extensions import socketio


def test_a_socket_without_login_or_token_is_refused(app):
    client = socketio.test_client(app, namespace="/live")
    assert not client.is_connected("/live")


def test_a_socket_with_a_bad_token_is_refused(app):
    client = socketio.test_client(app, namespace="/live", auth={"token": "cf_forged"})
    assert not client.is_connected("/live")


def test_cookie_and_token_logins_connect(make_user, live_client):
    user = make_user()
    assert live_client(user).is_connected("/live")
    assert live_client(user, token=True).is_connected("/live")


@pytest.fixture()
def whoami():
    """A throw-away /live event that answers with the caller's e-mail."""
    from conference.realtime import LIVE, live_event

    @socketio.on("test:whoami", namespace=LIVE)
    @live_event()
    def handler(user, _payload):
        return {"ok": True, "email": user.email}

    yield "test:whoami"
    socketio.handlers = [h for h in socketio.handlers if h[0] != "test:whoami"]


def test_after_a_password_change_the_users_socket_events_are_refused(
    app, make_user, logged_in_client, whoami
):
    user = make_user()
    sock = socketio.test_client(app, namespace="/live", flask_test_client=logged_in_client(user))
    assert sock.emit(whoami, {}, namespace="/live", callback=True) == {"ok": True, "email": user.email}
    with app.app_context():  # e.g. changed from another browser: every browser session's rights end
        from conference.accounts.services import set_password
        from conference.extensions import db

        set_password(db.session, db.session.merge(user), "a brand new passphrase")
    ack = sock.emit(whoami, {}, namespace="/live", callback=True)
    assert ack["ok"] is False and ack["error"]["code"] == "unauthenticated"


def test_logout_closes_the_browsers_sockets_but_not_a_devices_token_socket(
    app, make_user, make_token, logged_in_client, whoami
):
    user = make_user()
    http = logged_in_client(user)
    tabs = [socketio.test_client(app, namespace="/live", flask_test_client=http) for _ in range(2)]
    device = socketio.test_client(app, namespace="/live", auth={"token": make_token(user)})
    assert all(tab.emit(whoami, {}, namespace="/live", callback=True)["ok"] for tab in tabs)
    post_form(http, "/logout", {})
    # Closed, so a shared browser hears no more broadcasts; signing out does not revoke a token.
    assert not any(tab.is_connected("/live") for tab in tabs)
    assert device.emit(whoami, {}, namespace="/live", callback=True) == {"ok": True, "email": user.email}
