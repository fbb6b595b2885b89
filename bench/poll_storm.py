"""A storm of poll votes: N Socket.IO clients (default 1,000) in one live room vote within a few seconds.

    .venv/bin/python bench/poll_storm.py [--clients N] [--spread SECONDS] [--processes P]
    .venv/bin/python bench/poll_storm.py --url http://host:port --database-url URL   # a running server

Without --url it starts `conference serve` (eventlet, the production mode) on a temporary SQLite
database and stops it at the end. With --url, --database-url must name that server's database: the
benchmark adds an event, a session, N attendees with API tokens and a moderator to it (nothing else
is touched).

The clients are green threads (eventlet) spread over P worker processes (default 2): one Python
process cannot read the frames of a thousand sockets fast enough to answer the server's pings in
time. All processes run on this machine, so their wall clocks agree for the latency figures.

Clients join at --join-rate per second (every join broadcasts `presence` to the whole room, so the
join phase costs N² frames; joining all at once is a different benchmark), then all vote within
--spread seconds.

It prints: votes sent / accepted / lost (must be 0: every acknowledged vote is in the exact final
`poll:closed` count and in the database), tally updates (`poll:results`) received per client and in
any client's busiest second, and the time from a vote's ack to the moment a tally including it (by
`version`) reached each of the other clients, p50 / p99 / max.
"""

from __future__ import annotations

import warnings

warnings.filterwarnings("ignore", message=r"(?s).*Eventlet is deprecated")
import eventlet  # noqa: E402

if __name__ == "__main__":  # the benchmark and its client processes run green; bench/live_engine.py
    eventlet.monkey_patch()  # imports seed() and ballots_in_database() without patching itself

import argparse  # noqa: E402
import bisect  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import random  # noqa: E402
import secrets  # noqa: E402
import socket  # noqa: E402
import statistics  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from datetime import timedelta  # noqa: E402
from pathlib import Path  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import socketio  # noqa: E402

LIVE = "/live"
OPTIONS = ["Health", "Education", "Climate", "Trade"]


# =========================================================================== worker process


class Participant:
    """One attendee's socket: votes once and records every tally it receives (wall-clock times)."""

    def __init__(self, token: str):
        self.token = token
        self.sio = socketio.Client(reconnection=False)
        self.tallies: list[tuple[float, int]] = []  # (arrival, version)
        self.closed_total: int | None = None
        self.dropped: str | None = None
        self.ack: dict = {}
        self.sio.on("poll:results", self._on_results, namespace=LIVE)
        self.sio.on("poll:closed", self._on_closed, namespace=LIVE)
        self.sio.on("disconnect", self._on_disconnect, namespace=LIVE)

    def _on_results(self, tally):
        self.tallies.append((time.time(), tally["version"]))

    def _on_closed(self, data):
        if data.get("results"):
            self.closed_total = data["results"]["total"]

    def _on_disconnect(self, reason=None):
        self.dropped = str(reason)

    def top_version(self) -> int:
        return max((v for _, v in self.tallies), default=-1)

    def connect(self, url: str, session_id: int) -> bool:
        try:
            self.sio.connect(
                url, namespaces=[LIVE], auth={"token": self.token}, transports=["websocket"], wait_timeout=60
            )
            return bool(
                self.sio.call("join", {"session_id": session_id}, namespace=LIVE, timeout=120).get("ok")
            )
        except Exception as exc:  # noqa: BLE001 -- any failure is a dropped client, reported in the figures
            self.dropped = f"connect failed: {exc}"
            return False

    def vote(self, poll: dict, at: float) -> None:
        eventlet.sleep(max(0.0, at - time.time()))
        if self.dropped or not self.sio.connected:
            self.ack = {"ok": False, "code": "socket_dropped_before_voting", "sent": None, "acked": None}
            return
        choice = random.choice(poll["options"])["id"]
        sent = time.time()
        try:
            ack = self.sio.call(
                "poll:vote", {"poll_id": poll["id"], "choices": [choice]}, namespace=LIVE, timeout=120
            )
        except Exception as exc:  # noqa: BLE001 -- a timeout or a dead socket: a lost vote, reported by the coordinator
            ack = {"ok": False, "error": {"code": type(exc).__name__}}
        self.ack = {
            "ok": bool(ack.get("ok")),
            "code": (ack.get("error") or {}).get("code"),
            "version": ack.get("version"),
            "sent": sent,
            "acked": time.time(),
            "dropped_meanwhile": bool(self.dropped),
        }

    def result(self) -> dict:
        return {
            "ack": self.ack,
            "tallies": self.tallies,
            "closed_total": self.closed_total,
            "dropped": self.dropped,
        }


def say(message: dict) -> None:
    sys.stdout.write(json.dumps(message) + "\n")
    sys.stdout.flush()


def hear() -> dict:
    return json.loads(sys.stdin.readline())


def wait_until(condition, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and not condition():
        eventlet.sleep(0.05)


def worker() -> None:
    """Driven by the coordinator over stdin/stdout, one JSON message a line."""
    orders = hear()
    people = [Participant(token) for token in orders["tokens"]]
    interval = 1.0 / orders["join_rate"]  # this process's share of the joins per second

    def connect(indexed):
        i, p = indexed
        eventlet.sleep(i * interval)
        return p.connect(orders["url"], orders["session_id"])

    joined = sum(eventlet.GreenPool(len(people) or 1).imap(connect, enumerate(people)))
    say({"joined": joined})
    storm = hear()  # {"poll": ..., "start_at": epoch seconds, "spread": s}
    votes = [
        eventlet.spawn(p.vote, storm["poll"], storm["start_at"] + random.uniform(0, storm["spread"]))
        for p in people
    ]
    for v in votes:
        v.wait()
    say({"top_version": max((p.ack.get("version") or 0 for p in people), default=0)})
    top = hear()["top_version"]
    wait_until(lambda: all(p.top_version() >= top or p.dropped for p in people), 30)
    say({"caught_up": True})
    hear()  # the poll is closed
    wait_until(lambda: all(p.closed_total is not None or p.dropped for p in people), 30)
    say({"results": [p.result() for p in people]})
    for p in people:
        if p.sio.connected:
            p.sio.disconnect()


# =========================================================================== coordinator


def seed(database_url: str, n: int) -> dict:
    """An event, a session, n registered attendees with tokens and a moderator; returns the ids."""
    from sqlalchemy import inspect

    from conference import create_app
    from conference.accounts.models import ApiToken, User
    from conference.accounts.services import _digest
    from conference.cli import upgrade_schema
    from conference.db_types import utcnow
    from conference.extensions import db
    from conference.grants.services import grant
    from conference.programme.models import Event, ProgrammeSession
    from conference.registrations.models import Registration

    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": database_url,
            "SECRET_KEY": "bench-" + "x" * 40,
            "SOCKETIO_ASYNC_MODE": "threading",
        }
    )
    with app.app_context():
        if "users" not in inspect(db.engine).get_table_names():
            upgrade_schema()
        tag = secrets.token_hex(4)
        now = utcnow()
        event = Event(
            slug=f"storm-{tag}",
            title="Poll storm",
            timezone="UTC",
            starts_at=now - timedelta(hours=1),
            ends_at=now + timedelta(hours=5),
        )
        db.session.add(event)
        db.session.flush()
        session = ProgrammeSession(
            event_id=event.id,
            title="Storm plenary",
            kind="plenary",
            starts_at=now,
            ends_at=now + timedelta(hours=1),
        )
        db.session.add(session)
        users = [
            User(email=f"storm{i}-{tag}@example.org", name=f"Storm {i}", role="attendee") for i in range(n)
        ]
        moderator = User(email=f"storm-mod-{tag}@example.org", name="Storm moderator", role="attendee")
        db.session.add_all([*users, moderator])
        db.session.flush()
        grant(db.session, event, moderator, "moderator", commit=False)  # roles at an event are grants
        db.session.add_all(Registration(user_id=u.id, event_id=event.id, mode="online") for u in users)
        tokens = []
        for user in [*users, moderator]:
            token = "cf_" + secrets.token_urlsafe(32)
            db.session.add(ApiToken(user_id=user.id, token_hash=_digest(token), label="poll storm"))
            tokens.append(token)
        db.session.commit()
        ids = {"session_id": session.id, "tokens": tokens[:-1], "moderator_token": tokens[-1]}
        db.session.remove()
        db.engine.dispose()
    return ids


def ballots_in_database(database_url: str, poll_id: int) -> int:
    from sqlalchemy import create_engine, text

    engine = create_engine(database_url)
    with engine.connect() as connection:
        count = connection.execute(
            text("SELECT count(*) FROM poll_ballots WHERE poll_id = :p"), {"p": poll_id}
        ).scalar()
    engine.dispose()
    return count


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_server(database_url: str, clients: int):
    port = free_port()
    env = {
        **os.environ,
        "CONFERENCE_DATABASE_URL": database_url,
        "CONFERENCE_SECRET_KEY": "bench-" + "y" * 40,
        "CONFERENCE_ASYNC_MODE": "eventlet",
    }
    command = [
        str(Path(sys.executable).with_name("conference")),
        "serve",
        "--port",
        str(port),
        "--max-connections",
        str(clients + 100),
    ]
    # The server's log goes to a file: an unread pipe would fill up and stall the server.
    log = open(  # noqa: SIM115 -- the server writes to it for as long as the bench runs
        Path(tempfile.gettempdir()) / f"poll-storm-server-{port}.log", "w+b"
    )
    server = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT, cwd=str(ROOT))
    server.log_path = log.name
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if server.poll() is not None:
            log.seek(0)
            sys.exit("the server did not start:\n" + log.read().decode()[-2000:])
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return server, f"http://127.0.0.1:{port}"
        except OSError:
            time.sleep(0.2)
    server.kill()
    sys.exit("the server did not open its port within 30 s")


class Worker:
    def __init__(self, tokens: list[str], url: str, session_id: int, join_rate: float):
        self.process = subprocess.Popen(
            [sys.executable, __file__, "--worker"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            cwd=str(ROOT),
        )
        self.tell({"tokens": tokens, "url": url, "session_id": session_id, "join_rate": join_rate})

    def tell(self, message: dict) -> None:
        self.process.stdin.write(json.dumps(message) + "\n")
        self.process.stdin.flush()

    def answer(self) -> dict:
        line = self.process.stdout.readline()
        if not line:
            sys.exit("a worker process died")
        return json.loads(line)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=1000)
    parser.add_argument("--spread", type=float, default=3.0, help="votes are sent within this many seconds")
    parser.add_argument("--processes", type=int, default=2, help="worker processes holding the clients")
    parser.add_argument(
        "--join-rate",
        type=float,
        default=12.0,
        help="joins per second before the storm: every join broadcasts presence to the whole "
        "room, so joining 1,000 at once floods the server and the clients (not what is measured)",
    )
    parser.add_argument("--url", help="a running server (needs --database-url)")
    parser.add_argument(
        "--database-url", help="the running server's database (for set-up and the final check)"
    )
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        return worker()
    if args.url and not args.database_url:
        sys.exit("--url needs --database-url: the benchmark creates its attendees and tokens there")
    tmp = tempfile.TemporaryDirectory()
    database_url = args.database_url or f"sqlite:///{Path(tmp.name) / 'storm.db'}"

    print(f"seeding {args.clients} attendees …", flush=True)
    ids = seed(database_url, args.clients)
    server, url = None, args.url
    if url is None:
        server, url = start_server(database_url, args.clients)
        print(
            f"started `conference serve` (eventlet) on {url}, database {database_url}, log {server.log_path}",
            flush=True,
        )
    try:
        run(args, url, ids, database_url)
    finally:
        if server is not None:
            server.terminate()
            server.wait(timeout=10)


def run(args, url: str, ids: dict, database_url: str) -> None:
    started = time.time()
    tokens = ids["tokens"]
    workers = [
        Worker(tokens[i :: args.processes], url, ids["session_id"], args.join_rate / args.processes)
        for i in range(args.processes)
    ]
    joined = sum(w.answer()["joined"] for w in workers)
    print(
        f"{joined}/{len(tokens)} clients connected and joined in {time.time() - started:.1f} s "
        f"({args.processes} processes)",
        flush=True,
    )

    moderator = socketio.Client(reconnection=False)
    moderator.connect(
        url, namespaces=[LIVE], auth={"token": ids["moderator_token"]}, transports=["websocket"]
    )
    moderator.call("join", {"session_id": ids["session_id"]}, namespace=LIVE, timeout=120)
    created = moderator.call(
        "poll:create",
        {"session_id": ids["session_id"], "title": "Storm poll", "kind": "single", "options": OPTIONS},
        namespace=LIVE,
        timeout=60,
    )
    poll = moderator.call("poll:open", {"poll_id": created["poll"]["id"]}, namespace=LIVE, timeout=60)["poll"]

    print(f"voting: {len(tokens)} votes within {args.spread:g} s …", flush=True)
    start_at = time.time() + 1.0
    for w in workers:
        w.tell({"poll": poll, "start_at": start_at, "spread": args.spread})
    top = max(w.answer()["top_version"] for w in workers)
    for w in workers:
        w.tell({"top_version": top})
    for w in workers:
        w.answer()
    caught_up = time.time()
    closed = moderator.call("poll:close", {"poll_id": poll["id"]}, namespace=LIVE, timeout=60)
    for w in workers:
        w.tell({"closed": True})
    results = [r for w in workers for r in w.answer()["results"]]
    for w in workers:
        w.process.wait(timeout=30)
    moderator.disconnect()
    report(results, closed, poll, database_url, start_at, caught_up)


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def busiest_second(times: list[float]) -> int:
    """The most arrivals within any one-second window."""
    times = sorted(times)
    return max((bisect.bisect_left(times, t + 1.0) - i for i, t in enumerate(times)), default=0)


def delivery_latencies(results: list[dict]) -> list[float]:
    """For every accepted vote and every other client: first tally with version >= the vote's, minus ack."""
    votes = [(i, r["ack"]["acked"], r["ack"]["version"]) for i, r in enumerate(results) if r["ack"].get("ok")]
    latencies = []
    for j, observer in enumerate(results):
        times, best, top = [], [], -1
        for arrived, version in observer["tallies"]:  # running maximum: a tally includes every lower version
            top = max(top, version)
            times.append(arrived)
            best.append(top)
        for i, acked, version in votes:
            if i != j:
                k = bisect.bisect_left(best, version)
                if k < len(best):
                    latencies.append(max(0.0, times[k] - acked))
    return latencies


def report(results, closed, poll, database_url, start_at, caught_up) -> None:
    sent = len(results)
    accepted = [r for r in results if r["ack"].get("ok")]
    final_total = closed["results"]["total"] if closed.get("ok") else 0
    in_db = ballots_in_database(database_url, poll["id"])
    refused: dict[str, int] = {}
    for r in results:
        if not r["ack"].get("ok"):
            code = r["ack"].get("code") or "no_ack"
            refused[code] = refused.get(code, 0) + 1
    not_sent = sum(1 for r in results if r["ack"].get("sent") is None)
    # A client-side exception (TimeoutError, BadNamespaceError...) rather than the server's error code.
    unanswered = sum(
        1
        for r in results
        if r["ack"].get("sent") is not None
        and not r["ack"].get("ok")
        and (r["ack"].get("code") or "X")[:1].isupper()
    )
    # Lost: acknowledged but missing from the exact final count or the database.
    lost = max(0, len(accepted) - min(final_total, in_db))
    dropped = sum(1 for r in results if r["dropped"])
    exact_close = sum(1 for r in results if r["closed_total"] == final_total)
    updates = [len(r["tallies"]) for r in results]
    busiest = max(busiest_second([t for t, _ in r["tallies"]]) for r in results)
    last_ack = max((r["ack"]["acked"] for r in accepted), default=start_at)
    ack_times = [r["ack"]["acked"] - r["ack"]["sent"] for r in accepted] or [0.0]
    latencies = delivery_latencies(results)

    print()
    print(
        f"clients: {sent}; votes sent: {sent - not_sent}, last ack {last_ack - start_at:.2f} s after the first vote"
        + (f"; not sent because the client's socket had dropped: {not_sent}" if not_sent else "")
    )
    print(
        f"votes accepted: {len(accepted)} (exact final tally: {final_total}; ballots in the database: {in_db})"
    )
    print(
        f"votes lost (acknowledged but not counted): {lost}; sent but never acknowledged: {unanswered}"
        + (f"  (failures by code: {refused})" if refused else "")
    )
    print(
        f"sockets dropped: {dropped}; clients that received the exact final poll:closed: {exact_close}/{sent}"
    )
    print(
        f"vote round trip (send -> ack): p50 {1000 * percentile(ack_times, 0.5):.0f} ms, "
        f"p99 {1000 * percentile(ack_times, 0.99):.0f} ms"
    )
    print(
        f"tally updates per client: min {min(updates)}, median {statistics.median(updates):g}, max {max(updates)} "
        f"in {caught_up - start_at:.1f} s; busiest second of any client: {busiest} updates"
    )
    if latencies:
        print(
            f"ack -> tally including the vote at the other clients ({len(latencies)} deliveries): "
            f"p50 {1000 * percentile(latencies, 0.5):.0f} ms, p99 {1000 * percentile(latencies, 0.99):.0f} ms, "
            f"max {1000 * max(latencies):.0f} ms"
        )


if __name__ == "__main__":
    main()
