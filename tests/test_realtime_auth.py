"""The /live namespace's door: who may connect, and what happens after signing out."""
from __future__ import annotations

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


def test_after_logout_the_users_socket_events_are_refused(app, make_user, logged_in_client):
    from conference.realtime import LIVE, live_event

    @socketio.on("test:whoami", namespace=LIVE)
    @live_event()
    def whoami(user, _payload):
        return {"ok": True, "email": user.email}

    try:
        user = make_user()
        http = logged_in_client(user)
        sock = socketio.test_client(app, namespace="/live", flask_test_client=http)
        assert sock.emit("test:whoami", {}, namespace="/live", callback=True) == {"ok": True, "email": user.email}
        post_form(http, "/logout", {})
        ack = sock.emit("test:whoami", {}, namespace="/live", callback=True)
        assert ack["ok"] is False and ack["error"]["code"] == "unauthenticated"
    finally:
        socketio.handlers = [h for h in socketio.handlers if h[0] != "test:whoami"]
