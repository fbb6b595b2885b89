"""Socket.IO edge packets against a real server (`conference serve` in a subprocess, in this run's async
mode: eventlet, and gevent in .ci/run's second pass), sent as
raw engine.io long-polling requests (issue #14 item 14): an event that is not `["name", ...]` gets an
error ack (or, without an ack id, a clean disconnect), a binary packet without attachments closes the
connection instead of wedging it, JSON nested too deep closes it, and an oversized long-polling POST
is answered at once. After each, the same server keeps answering other sockets."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time

import pytest
import requests
import serve_support

from conference.extensions import db as _db
from conference.programme.models import ProgrammeSession

pytestmark = pytest.mark.real_server

WAIT = 10
JOIN_ID = 7


@pytest.fixture()
def server(app, tmp_path):
    """`conference serve` on a free loopback port, on the test's database."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {key: value for key, value in os.environ.items() if not key.startswith("CONFERENCE_")}
    env.update(
        CONFERENCE_DATABASE_URL=app.config["SQLALCHEMY_DATABASE_URI"],
        CONFERENCE_ASYNC_MODE=serve_support.ASYNC_MODE,
        CONFERENCE_SECRET_KEY="s" * 40,
        CONFERENCE_MAIL_OUTBOX_DIR=str(tmp_path / "outbox"),
        CONFERENCE_UPLOAD_DIR=str(tmp_path / "uploads"),
    )
    process = subprocess.Popen(
        [sys.executable, "-m", "conference", "serve", "--port", str(port)],
        env=env,
        cwd=tmp_path,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if requests.get(f"{base}/", timeout=2).status_code < 500:
                    break
            except requests.ConnectionError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"the server did not start: {process.stderr.read() if process.stderr else ''}")
            time.sleep(0.2)
        yield base
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()


class Polling:
    """One engine.io session over long-polling, connected to /live with a token."""

    def __init__(self, base: str, token: str):
        self.url = f"{base}/socket.io/"
        self.headers = {"Origin": base}
        opened = requests.get(
            self.url, params={"EIO": 4, "transport": "polling"}, headers=self.headers, timeout=WAIT
        )
        self.sid = json.loads(opened.text[1:])["sid"]
        assert self.post("40/live," + json.dumps({"token": token})).status_code == 200
        status, packets = self.get()
        assert status == 200 and packets[0].startswith("40/live,{"), packets

    def params(self) -> dict:
        return {"EIO": 4, "transport": "polling", "sid": self.sid}

    def post(self, *packets: str) -> requests.Response:
        body = "\x1e".join(packets).encode()
        return requests.post(self.url, params=self.params(), data=body, headers=self.headers, timeout=WAIT)

    def get(self) -> tuple[int, list[str]]:
        answer = requests.get(self.url, params=self.params(), headers=self.headers, timeout=WAIT)
        return answer.status_code, answer.text.split("\x1e")


def acks(packets: list[str]) -> dict[int, dict]:
    """{ack id: ack body} of the /live acks among `packets`."""
    found = {}
    for raw in packets:
        if raw.startswith("43/live,"):
            rest = raw[len("43/live,") :]
            digits = len(rest) - len(rest.lstrip("0123456789"))
            found[int(rest[:digits])] = json.loads(rest[digits:])[0]
    return found


def acks_until(client: Polling, *ack_ids: int, polls: int = 5) -> dict[int, dict]:
    """Poll until every one of `ack_ids` arrived (acks may come in separate long-polling answers)."""
    found: dict[int, dict] = {}
    for _ in range(polls):
        status, packets = client.get()
        assert status == 200, packets
        found.update(acks(packets))
        if all(ack_id in found for ack_id in ack_ids):
            break
    return found


def join(session_id: int) -> str:
    return f"42/live,{JOIN_ID}" + json.dumps(["join", {"session_id": session_id}])


@pytest.fixture()
def attendee(app, make_user, make_event, make_registration, make_token):
    event = make_event()
    user = make_user()
    make_registration(user, event, "online")
    with app.app_context():
        session_id = _db.session.scalar(
            _db.select(ProgrammeSession.id).where(ProgrammeSession.event_id == event.id).limit(1)
        )
    return make_token(user), session_id


def _still_serving(server, token, session_id) -> None:
    other = Polling(server, token)
    assert other.post(join(session_id)).status_code == 200
    assert acks_until(other, JOIN_ID)[JOIN_ID]["ok"] is True


# One server for every case: starting `conference serve` costs seconds.


def test_edge_packets_get_an_error_ack_or_a_clean_disconnect_and_never_wedge_the_server(server, attendee):
    token, session_id = attendee
    # An event without a name, with an ack id: the error ack, and the same socket keeps working.
    for payload in ("[]", "{}", '[{"a":1}]', "[1]", "[null]"):
        client = Polling(server, token)
        assert client.post(f"42/live,5{payload}", join(session_id)).status_code == 200
        answers = acks_until(client, 5, JOIN_ID)
        assert answers[5] == {
            "ok": False,
            "error": {
                "code": "invalid_event",
                "message": 'an event is ["name", payload]: the name is missing',
            },
        }, payload
        assert answers[JOIN_ID]["ok"] is True, (payload, answers[JOIN_ID])

    # Broken packets: the request is answered at once, the connection is closed, the server serves on.
    for packet in (
        "42/live,[]",  # no name and no ack id: nothing to answer
        "45/live,5",  # a binary event announcing no attachments
        "451-/live,5",  # one attachment announced, then a text packet instead
        "42/live,5" + "[" * 20_000 + "]" * 20_000,  # nested too deep to decode
    ):
        client = Polling(server, token)
        packets = [packet, join(session_id)] if packet.startswith("451-") else [packet]
        started = time.monotonic()
        assert client.post(*packets).status_code == 200, packet[:20]
        assert time.monotonic() - started < 5, packet[:20]
        status, answer = client.get()
        assert status == 400 or answer == ["1"], (packet[:20], status, answer)  # gone, or the close packet
        _still_serving(server, token, session_id)

    # A long-polling POST over the frame limit: a 413 at once (it used to hang), and the session closes.
    client = Polling(server, token)
    big = "42/live,9" + json.dumps(["chat:send", {"session_id": session_id, "text": "x" * 70_000}])
    started = time.monotonic()
    answer = client.post(big)
    assert time.monotonic() - started < 5
    assert answer.status_code == 413 and answer.json()["error"]["code"] == "payload_too_large"
    status, _packets = client.get()
    assert status == 400
    _still_serving(server, token, session_id)


def test_an_event_packet_is_decoded_once(app, live_client, make_user, monkeypatch):
    """The edge checks decode each text packet; an event is then dispatched from that decoding
    instead of being decoded again by python-socketio (a storm of joins or votes pays it once)."""
    from conference.extensions import socketio

    client = live_client(make_user(name="Dee Coder"))
    server = socketio.server
    decoded: list[str] = []
    packet_class = server.packet_class

    def counting(*args, **kwargs):
        if kwargs.get("encoded_packet") is not None:
            decoded.append(kwargs["encoded_packet"])
        return packet_class(*args, **kwargs)

    monkeypatch.setattr(server, "packet_class", counting)
    ack = client.emit("no-such-event", {"n": 1}, namespace="/live", callback=True)
    assert ack["ok"] is False and ack["error"]["code"] == "unknown_event"
    assert len([p for p in decoded if "no-such-event" in p]) == 1
