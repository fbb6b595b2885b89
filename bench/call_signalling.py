"""The signalling load of calls on the server: R rooms of P people (default 50 rooms of 6) set up
their peer-to-peer mesh at once.

    .venv/bin/python bench/call_signalling.py [--rooms 50] [--people 6] [--candidates 8]

It starts `conference serve` (eventlet, the production mode) on a temporary SQLite database with R
interactive sessions and R×P registered people with API tokens, connects every person over /live
(green threads in this process), joins their room and its call, and then, in every room at once,
every pair does what two browsers do: an offer and an answer (a 5 KB SDP each) and `--candidates`
ICE candidates each way, all relayed by the server to one member at a time.

It prints: signals sent and delivered (every one must arrive, at the right member only), signals
per second through the server, relay latency (emit → the receiver's handler) p50 / p99 / max, and
the CPU seconds the server and this client process used. Figures from the loaded 2-core machine
the project is developed on vary from run to run; compare runs on the same machine.
"""

from __future__ import annotations

import warnings

warnings.filterwarnings("ignore", message=r"(?s).*Eventlet is deprecated")
import eventlet  # noqa: E402

eventlet.monkey_patch()

import argparse  # noqa: E402
import os  # noqa: E402
import resource  # noqa: E402
import secrets  # noqa: E402
import statistics  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from datetime import timedelta  # noqa: E402
from pathlib import Path  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import socketio  # noqa: E402
from poll_storm import start_server  # noqa: E402

LIVE = "/live"
SDP = "v=0\r\n" + "a=x-padding:" + "x" * 5000 + "\r\n"  # the size of a real audio+video offer
CANDIDATE = {
    "candidate": "candidate:1 1 udp 2122260223 10.0.0.2 50000 typ host",
    "sdpMid": "0",
    "sdpMLineIndex": 0,
}


def seed(database_url: str, rooms: int, people: int) -> list[dict]:
    """R interactive sessions with P registered people each; [{session_id, tokens}]."""
    from conference import create_app
    from conference.accounts.models import ApiToken, User
    from conference.accounts.services import _digest
    from conference.cli import upgrade_schema
    from conference.db_types import utcnow
    from conference.extensions import db
    from conference.programme.models import Event, ProgrammeSession
    from conference.registrations.models import Registration

    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": database_url,
            "SECRET_KEY": "bench-" + "x" * 40,
            "SOCKETIO_ASYNC_MODE": "threading",
        }
    )
    plan = []
    with app.app_context():
        upgrade_schema()
        now = utcnow()
        event = Event(
            slug="calls-bench",
            title="Calls",
            timezone="UTC",
            starts_at=now - timedelta(hours=1),
            ends_at=now + timedelta(hours=5),
        )
        db.session.add(event)
        db.session.flush()
        for r in range(rooms):
            session = ProgrammeSession(
                event_id=event.id,
                title=f"Table {r}",
                kind="workshop",
                interactive=True,
                starts_at=now,
                ends_at=now + timedelta(hours=1),
            )
            db.session.add(session)
            db.session.flush()
            tokens = []
            for p in range(people):
                user = User(email=f"t{r}p{p}@example.org", name=f"Table {r} person {p}", role="attendee")
                db.session.add(user)
                db.session.flush()
                db.session.add(Registration(user_id=user.id, event_id=event.id, mode="online"))
                token = "cf_" + secrets.token_urlsafe(32)
                db.session.add(ApiToken(user_id=user.id, token_hash=_digest(token), label="bench"))
                tokens.append(token)
            plan.append({"session_id": session.id, "tokens": tokens})
        db.session.commit()
        db.session.remove()
        db.engine.dispose()
    return plan


class Person:
    def __init__(self, url: str, token: str, session_id: int):
        self.sio = socketio.Client(reconnection=False)
        self.session_id = session_id
        self.member_id: int | None = None
        self.received: list[tuple[int, str, float]] = []  # (from, kind, sent_at)
        self.latencies: list[float] = []
        self.sio.on("call:signal", self._on_signal, namespace=LIVE)
        self.sio.connect(
            url, namespaces=[LIVE], auth={"token": token}, transports=["websocket"], wait_timeout=30
        )
        assert self.sio.call("join", {"session_id": session_id}, namespace=LIVE, timeout=60)["ok"]
        ack = self.sio.call("call:join", {"session_id": session_id}, namespace=LIVE, timeout=60)
        assert ack["ok"], ack
        self.member_id = ack["call"]["me"]["id"]

    def _on_signal(self, message):
        sent_at = (
            float(message.get("sdp", "").split("@", 1)[0] or 0)
            if message["kind"] != "candidate"
            else float(message["candidate"]["usernameFragment"])
        )
        self.latencies.append(time.time() - sent_at)
        self.received.append((message["from"], message["kind"], sent_at))

    def send(self, to: int, kind: str, candidates: int) -> int:
        """What one browser sends another while connecting; the number of signals."""
        sent = 0
        if kind in ("offer", "answer"):
            body = {"session_id": self.session_id, "to": to, "kind": kind, "sdp": f"{time.time()}@{SDP}"}
            ack = self.sio.call("call:signal", body, namespace=LIVE, timeout=60)
            assert ack["ok"], ack
            sent += 1
        for _ in range(candidates):
            candidate = {**CANDIDATE, "usernameFragment": str(time.time())}
            body = {"session_id": self.session_id, "to": to, "kind": "candidate", "candidate": candidate}
            ack = self.sio.call("call:signal", body, namespace=LIVE, timeout=60)
            assert ack["ok"], ack
            sent += 1
        return sent


def cpu_seconds(pid: int) -> float:
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rooms", type=int, default=50)
    parser.add_argument("--people", type=int, default=6)
    parser.add_argument("--candidates", type=int, default=8)
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="calls-bench-"))
    database_url = f"sqlite:///{folder / 'bench.db'}"
    plan = seed(database_url, args.rooms, args.people)
    server, url = start_server(database_url, args.rooms * args.people)
    try:
        started = time.time()
        pool = eventlet.GreenPool(200)
        rooms = [
            list(pool.imap(lambda t, s=room["session_id"]: Person(url, t, s), room["tokens"]))
            for room in plan
        ]
        print(
            f"{args.rooms * args.people} people connected, in their rooms and calls in {time.time() - started:.1f} s"
        )

        server_cpu, client_cpu = cpu_seconds(server.pid), resource.getrusage(resource.RUSAGE_SELF)
        jobs = []
        for people in rooms:
            for i, caller in enumerate(people):
                for callee in people[:i]:  # the newcomer offers to those already there
                    jobs.append((caller, callee.member_id, "offer"))
                    jobs.append((callee, caller.member_id, "answer"))
        started = time.time()
        sent = sum(pool.imap(lambda job: job[0].send(job[1], job[2], args.candidates), jobs))
        deadline = time.time() + 60
        everyone = [p for people in rooms for p in people]
        while sum(len(p.received) for p in everyone) < sent and time.time() < deadline:
            eventlet.sleep(0.05)
        elapsed = time.time() - started
        delivered = sum(len(p.received) for p in everyone)
        misdelivered = sum(
            1
            for people in rooms
            for p in people
            for sender, _kind, _at in p.received
            if sender not in {q.member_id for q in people} or sender == p.member_id
        )
        latencies = sorted(ms for p in everyone for ms in p.latencies)
        usage = resource.getrusage(resource.RUSAGE_SELF)
        print(f"signals sent {sent}, delivered {delivered}, to a wrong member {misdelivered}")
        print(
            f"{sent / elapsed:.0f} signals/s through the server ({elapsed:.1f} s for the whole mesh set-up)"
        )
        print(
            f"relay latency p50 {1000 * statistics.median(latencies):.1f} ms, p99 {1000 * latencies[int(0.99 * (len(latencies) - 1))]:.1f} ms, max {1000 * latencies[-1]:.1f} ms"
        )
        print(
            f"CPU: server {cpu_seconds(server.pid) - server_cpu:.1f} s, this client "
            f"{usage.ru_utime + usage.ru_stime - client_cpu.ru_utime - client_cpu.ru_stime:.1f} s"
        )
        for p in everyone:
            p.sio.disconnect()
    finally:
        server.terminate()
        server.wait(timeout=10)


if __name__ == "__main__":
    main()
