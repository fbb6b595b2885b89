"""Losing access closes a person's sockets in every server process, not only the one that served
the request: two processes share one Redis message queue and one database; the request goes to
process A, the socket sits on process B.

- revoking an API token closes the sockets opened with it;
- signing out closes that person's cookie sockets;
- removing a grant closes the person's sockets, so a dashboard (`attendance:subscribe`) stops
  receiving at once.
"""

from __future__ import annotations

import re
import threading
import time

import pytest
import requests
import socketio as socketio_client
from conftest import PASSWORD
from rooms.test_two_processes import WAIT, redis_available, two_servers  # noqa: F401 - fixtures
from sqlalchemy import select

from conference.accounts.models import ApiToken
from conference.extensions import db as _db
from conference.grants.models import EventGrant

pytestmark = pytest.mark.real_server

CSRF = re.compile(r'<meta name="csrf-token" content="([^"]+)"')


class Socket:
    """A python-socketio client on /live that records what it receives and when it is dropped."""

    def __init__(self, url: str, *, token: str | None = None, cookie: str | None = None):
        self.client = socketio_client.Client(reconnection=False)
        self.events: list[tuple[str, object]] = []
        self.dropped = threading.Event()
        self.client.on("*", lambda event, data=None: self.events.append((event, data)), namespace="/live")
        self.client.on("disconnect", lambda *args: self.dropped.set(), namespace="/live")
        self.client.connect(
            url,
            namespaces=["/live"],
            transports=["websocket"],
            auth={"token": token} if token else None,
            headers={"Cookie": cookie} if cookie else {},
            wait_timeout=WAIT,
        )

    def call(self, event: str, payload: dict) -> dict:
        return self.client.call(event, payload, namespace="/live", timeout=WAIT)

    def close(self) -> None:
        if self.client.connected:
            self.client.disconnect()


def signed_in(url: str, email: str) -> requests.Session:
    browser = requests.Session()
    token = CSRF.search(browser.get(f"{url}/login", timeout=WAIT).text).group(1)
    response = browser.post(
        f"{url}/login",
        data={"email": email, "password": PASSWORD, "csrf_token": token},
        allow_redirects=False,
        timeout=WAIT,
    )
    assert response.status_code == 303, response.text[:300]
    return browser


def csrf_of(browser: requests.Session, url: str) -> str:
    return CSRF.search(browser.get(f"{url}/login", timeout=WAIT).text).group(1)


def test_revoking_a_token_on_one_process_closes_its_socket_on_the_other(app, cast, make_token, two_servers):
    url_a, url_b = two_servers
    token = make_token(cast.alice)
    socket = Socket(url_b, token=token)
    try:
        assert socket.call("join", {"session_id": cast.thematic})["ok"]
        browser = signed_in(url_a, cast.alice.email)
        with app.app_context():
            token_id = _db.session.scalar(select(ApiToken.id).order_by(ApiToken.id.desc()))
        response = browser.post(
            f"{url_a}/account/tokens/{token_id}/revoke",
            data={"csrf_token": csrf_of(browser, url_a)},
            allow_redirects=False,
            timeout=WAIT,
        )
        assert response.status_code == 303
        assert socket.dropped.wait(WAIT), "the revoked token's socket on the other process stayed open"
    finally:
        socket.close()


def test_signing_out_on_one_process_closes_the_cookie_sockets_on_the_other(app, cast, two_servers):
    url_a, url_b = two_servers
    browser = signed_in(url_a, cast.bob.email)
    cookie = "; ".join(f"{c.name}={c.value}" for c in browser.cookies)
    socket = Socket(url_b, cookie=cookie)
    try:
        assert socket.call("join", {"session_id": cast.thematic})["ok"]
        response = browser.post(
            f"{url_a}/logout",
            data={"csrf_token": csrf_of(browser, url_a)},
            allow_redirects=False,
            timeout=WAIT,
        )
        assert response.status_code == 303
        assert socket.dropped.wait(WAIT), "the signed-out person's socket on the other process stayed open"
    finally:
        socket.close()


def test_losing_a_grant_stops_the_dashboard_on_the_other_process(
    app, cast, make_user, make_token, two_servers
):
    url_a, url_b = two_servers
    staff = make_user("staff", name="Sami Staff")
    organiser = make_user("organiser", name="Olu Organiser")
    dashboard = Socket(url_b, token=make_token(staff))
    try:
        ack = dashboard.call("attendance:subscribe", {"event_slug": cast.event.slug})
        assert ack["ok"], ack
        with app.app_context():
            grant_id = _db.session.scalar(select(EventGrant.id).where(EventGrant.user_id == staff.id))
        response = requests.delete(
            f"{url_a}/api/v1/events/{cast.event.slug}/grants/{grant_id}",
            headers={"Authorization": f"Bearer {make_token(organiser)}"},
            timeout=WAIT,
        )
        assert response.status_code in (200, 204), response.text
        assert dashboard.dropped.wait(WAIT), "the dashboard of someone without the grant stayed open"
        received_before = len(dashboard.events)
        # A change that refreshes the dashboards: the former staff member's socket gets nothing.
        other = Socket(url_a, token=make_token(cast.alice))
        try:
            assert other.call("join", {"session_id": cast.thematic})["ok"]
        finally:
            other.close()
        assert len(dashboard.events) == received_before
    finally:
        dashboard.close()


def test_a_room_closed_on_one_process_refuses_the_next_chat_on_the_other(app, cast, make_token, two_servers):
    """The hot events keep the room's state in memory (conference.rooms.hot): the close reaches the
    other process's memory over the message queue within moments, not after its cache's lifetime."""
    url_a, url_b = two_servers
    moderator = Socket(url_a, token=make_token(cast.moderator))
    alice = Socket(url_b, token=make_token(cast.alice))
    try:
        assert moderator.call("join", {"session_id": cast.thematic})["ok"]
        assert alice.call("join", {"session_id": cast.thematic})["ok"]
        assert alice.call("chat:send", {"session_id": cast.thematic, "text": "open?"})["ok"]  # now known on B
        assert moderator.call("room:close", {"session_id": cast.thematic})["ok"]
        deadline = time.monotonic() + 2.0
        while True:
            ack = alice.call("chat:send", {"session_id": cast.thematic, "text": "still open?"})
            if not ack["ok"] or time.monotonic() > deadline:
                break
            time.sleep(0.05)
        assert ack["ok"] is False and ack["error"]["code"] == "room_closed", ack
    finally:
        moderator.close()
        alice.close()
