"""gunicorn's gevent worker serves the gevent mode (issue #13, item 6).

The README's gevent recipe, as written there: two `gunicorn -k gevent -w 1 wsgi:app` processes (one
worker each, on consecutive ports, each with its own CONFERENCE_INSTANCE_ID) sharing PostgreSQL and
the Redis message queue, behind the repository's deploy/nginx/conference.conf (only its ports
changed). People connect through nginx (long-polling first, then the upgrade to WebSocket, so the
sticky hash matters); one on the first worker votes, and one on the other worker receives the
tally through Redis. gunicorn is today's release (the test extra asks for >= 27), not an old pin.
"""

from __future__ import annotations

import subprocess
import sys
import threading
import uuid
from pathlib import Path

import requests
import socketio as socketio_client
from live_engine.test_workers import REDIS_URL, app, open_poll_for_voters  # noqa: F401 - the fixture: PostgreSQL, Redis, nginx
from serve_support import PROJECT_DIR, free_port, free_port_pair, serve_env, start_nginx, stop, wait_until_up
from sqlalchemy import select

from conference.extensions import db as _db
from conference.rooms.models import RoomPresence

# The README's options: the gevent worker, one per process, and no control socket (gunicorn 27
# opens one at a fixed path in the home folder by default: two gunicorns on one host would share it).
GUNICORN_OPTIONS = ["-k", "gevent", "-w", "1", "--no-control-socket"]
PEOPLE = 12  # through nginx's consistent hash, all 12 on one worker is about one chance in 2,000
WAIT = 20


def start_gunicorn(database_url: str, port: int, channel: str, instance: str, log: Path) -> subprocess.Popen:
    """The README's command for one gevent worker on `port`; its output goes to `log`."""
    with log.open("w") as output:
        process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", *GUNICORN_OPTIONS, "-b", f"127.0.0.1:{port}", "wsgi:app"],
            cwd=str(PROJECT_DIR),
            env=serve_env(
                database_url,
                CONFERENCE_ASYNC_MODE="gevent",
                CONFERENCE_MESSAGE_QUEUE=REDIS_URL,
                CONFERENCE_SOCKETIO_CHANNEL=channel,
                CONFERENCE_INSTANCE_ID=instance,
            ),
            stdout=output,
            stderr=subprocess.STDOUT,
            text=True,
        )
    try:
        wait_until_up(process, f"http://127.0.0.1:{port}")
    except AssertionError as exc:
        raise AssertionError(f"{exc}\n{log.read_text()[-5000:]}") from None
    return process


class Person:
    """A python-socketio client on /live, through nginx, that records the tallies it receives."""

    def __init__(self, url: str, token: str, key: str):
        self.client = socketio_client.Client(reconnection=False)
        self.tallies: list[dict] = []
        self.changed = threading.Condition()
        self.client.on("poll:results", self._tally, namespace="/live")
        # A stable key per person, as a browser's session cookie is, for nginx's sticky hash.
        self.client.connect(
            url,
            namespaces=["/live"],
            transports=["polling", "websocket"],
            auth={"token": token},
            headers={"Cookie": f"session={key}"},
            wait_timeout=WAIT,
        )

    def _tally(self, data: dict) -> None:
        with self.changed:
            self.tallies.append(data)
            self.changed.notify_all()

    def call(self, event: str, payload: dict) -> dict:
        return self.client.call(event, payload, namespace="/live", timeout=WAIT)

    def wait_for_total(self, total: int) -> dict | None:
        with self.changed:
            self.changed.wait_for(lambda: any(t["total"] == total for t in self.tallies), timeout=WAIT)
            return next((t for t in self.tallies if t["total"] == total), None)


def test_two_gunicorn_gevent_workers_behind_nginx_share_a_room(
    app, tmp_path, make_event, make_user, make_registration, make_token
):
    people, tokens, plenary_id, poll_id, (yes, _no) = open_poll_for_voters(
        app, PEOPLE, "Lunch?", make_event, make_user, make_registration, make_token
    )

    database_url = app.config["SQLALCHEMY_DATABASE_URI"]
    port, listen = free_port_pair(), free_port()
    channel = f"conference-test-{uuid.uuid4().hex[:10]}"
    instances = ["gunicorn-a", "gunicorn-b"]
    workers: list[subprocess.Popen] = []
    nginx = None
    clients: list[Person] = []
    try:
        for i, instance in enumerate(instances):
            workers.append(
                start_gunicorn(database_url, port + i, channel, instance, tmp_path / f"{instance}.log")
            )
        nginx = start_nginx(tmp_path, listen, [port, port + 1])
        url = f"http://127.0.0.1:{listen}"
        assert requests.get(f"{url}/readyz", timeout=WAIT).json()["checks"]["message_queue"]["ok"] is True

        for i, token in enumerate(tokens):
            clients.append(Person(url, token, f"person-{i}-{uuid.uuid4().hex}"))
        # Upgraded through nginx: the gevent worker's WebSocket (simple-websocket) works.
        assert all(person.client.transport() == "websocket" for person in clients)
        for person in clients:
            ack = person.call("join", {"session_id": plenary_id})
            assert ack["ok"], ack

        with app.app_context():
            where = dict(_db.session.execute(select(RoomPresence.user_id, RoomPresence.instance_id)).all())
        on = {
            instance: [i for i, p in enumerate(people) if where.get(p.id) == instance]
            for instance in instances
        }
        assert on[instances[0]] and on[instances[1]], f"nginx sent everyone to one worker: {where}"
        voter, listener = clients[on[instances[0]][0]], clients[on[instances[1]][0]]

        ack = voter.call("poll:vote", {"poll_id": poll_id, "choices": [yes]})
        assert ack["ok"], ack
        tally = listener.wait_for_total(1)
        assert tally is not None, f"the other worker's client got no tally: {listener.tallies}"
        assert tally["poll_id"] == poll_id
        assert voter.wait_for_total(1) is not None  # and the voter's own worker sends it too
    finally:
        for person in clients:
            person.client.disconnect()
        for process in workers:
            stop(process)
        if nginx is not None:
            nginx.terminate()
            nginx.wait(timeout=10)
            nginx.stdout.close()
        for instance in instances:
            log = tmp_path / f"{instance}.log"
            if log.exists():
                print(log.read_text()[-3000:])  # shown when the test fails
