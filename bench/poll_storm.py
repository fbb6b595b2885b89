"""A storm of poll votes: N Socket.IO clients (default 1,000) in one live room vote within a few seconds.

    .venv/bin/python bench/poll_storm.py [--clients N] [--spread SECONDS]
    .venv/bin/python bench/poll_storm.py --url http://host:port --database-url URL   # a running server

Without --url it starts `conference serve` (eventlet, the production mode) on a temporary SQLite
database and stops it at the end. With --url, --database-url must name that server's database: the
benchmark adds an event, a session, N attendees with API tokens and a moderator to it (nothing else
is touched). The clients are green threads (eventlet) in this one process, all with the same clock.

It prints: votes sent / accepted / lost (must be 0: every acknowledged vote is in the final count and
in the database), tally updates (`poll:results`) received per client and per second, and the time
from a vote's ack to the moment a tally including it (by `version`) reached each of the other clients,
p50 / p99 / max.
"""
from __future__ import annotations

import eventlet

eventlet.monkey_patch()

import argparse  # noqa: E402
import bisect  # noqa: E402
import os  # noqa: E402
import random  # noqa: E402
import secrets  # noqa: E402
import socket  # noqa: E402
import statistics  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
import warnings  # noqa: E402
from datetime import timedelta  # noqa: E402
from pathlib import Path  # noqa: E402

warnings.filterwarnings("ignore", message=".*Eventlet is deprecated.*")
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import socketio  # noqa: E402

LIVE = "/live"
OPTIONS = ["Health", "Education", "Climate", "Trade"]


# --------------------------------------------------------------------------- set-up

def seed(database_url: str, n: int) -> dict:
    """An event, a session, n registered attendees with tokens and a moderator; returns the ids."""
    from sqlalchemy import inspect

    from conference import create_app
    from conference.accounts.models import ApiToken, User
    from conference.accounts.services import _digest
    from conference.cli import upgrade_schema
    from conference.db_types import utcnow
    from conference.extensions import db
    from conference.programme.models import Event, ProgrammeSession
    from conference.registrations.models import Registration

    app = create_app({"SQLALCHEMY_DATABASE_URI": database_url, "SECRET_KEY": "bench-" + "x" * 40,
                      "SOCKETIO_ASYNC_MODE": "threading"})
    with app.app_context():
        if "users" not in inspect(db.engine).get_table_names():
            upgrade_schema()
        tag = secrets.token_hex(4)
        now = utcnow()
        event = Event(slug=f"storm-{tag}", title="Poll storm", timezone="UTC",
                      starts_at=now - timedelta(hours=1), ends_at=now + timedelta(hours=5))
        db.session.add(event)
        db.session.flush()
        session = ProgrammeSession(event_id=event.id, title="Storm plenary", kind="plenary",
                                   starts_at=now, ends_at=now + timedelta(hours=1))
        db.session.add(session)
        users = [User(email=f"storm{i}-{tag}@example.org", name=f"Storm {i}", role="attendee") for i in range(n)]
        moderator = User(email=f"storm-mod-{tag}@example.org", name="Storm moderator", role="moderator")
        db.session.add_all(users + [moderator])
        db.session.flush()
        db.session.add_all(Registration(user_id=u.id, event_id=event.id, mode="online") for u in users)
        tokens = []
        for user in users + [moderator]:
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
        count = connection.execute(text("SELECT count(*) FROM poll_ballots WHERE poll_id = :p"), {"p": poll_id}).scalar()
    engine.dispose()
    return count


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_server(database_url: str, clients: int):
    port = free_port()
    env = {**os.environ, "CONFERENCE_DATABASE_URL": database_url, "CONFERENCE_SECRET_KEY": "bench-" + "y" * 40,
           "CONFERENCE_ASYNC_MODE": "eventlet"}
    command = [str(Path(sys.executable).with_name("conference")), "serve", "--port", str(port),
               "--max-connections", str(clients + 100)]
    server = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, cwd=str(ROOT))
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if server.poll() is not None:
            sys.exit("the server did not start:\n" + server.stderr.read().decode()[-2000:])
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return server, f"http://127.0.0.1:{port}"
        except OSError:
            time.sleep(0.2)
    server.kill()
    sys.exit("the server did not open its port within 30 s")


# --------------------------------------------------------------------------- clients

class Participant:
    def __init__(self, token: str):
        self.token = token
        self.sio = socketio.Client(reconnection=False)
        self.tallies: list[tuple[float, int]] = []  # (arrival, version)
        self.opened = eventlet.event.Event()
        self.closed: dict | None = None
        self.vote_sent = self.ack_at = None
        self.ack: dict | None = None
        self.sio.on("poll:results", self._on_results, namespace=LIVE)
        self.sio.on("poll:opened", lambda data: self.opened.ready() or self.opened.send(data), namespace=LIVE)
        self.sio.on("poll:closed", self._on_closed, namespace=LIVE)

    def _on_results(self, tally):
        self.tallies.append((time.perf_counter(), tally["version"]))

    def _on_closed(self, data):
        if data.get("results"):
            self.closed = data

    def connect(self, url: str, session_id: int) -> None:
        self.sio.connect(url, namespaces=[LIVE], auth={"token": self.token}, transports=["websocket"],
                         wait_timeout=60)
        ack = self.sio.call("join", {"session_id": session_id}, namespace=LIVE, timeout=120)
        if not ack.get("ok"):
            raise RuntimeError(f"join refused: {ack}")

    def vote(self, poll: dict, delay: float) -> None:
        eventlet.sleep(delay)
        choice = random.choice(poll["options"])["id"]
        self.vote_sent = time.perf_counter()
        try:
            self.ack = self.sio.call("poll:vote", {"poll_id": poll["id"], "choices": [choice]},
                                     namespace=LIVE, timeout=120)
        except Exception as exc:  # a timeout is a lost vote, reported below
            self.ack = {"ok": False, "error": {"code": type(exc).__name__}}
        self.ack_at = time.perf_counter()


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def busiest_second(times: list[float]) -> int:
    """The most arrivals within any one-second window."""
    times = sorted(times)
    return max((bisect.bisect_left(times, t + 1.0) - i for i, t in enumerate(times)), default=0)


def delivery_latencies(people: list[Participant]) -> list[float]:
    """For every accepted vote and every other client: first tally with version >= the vote's, minus ack."""
    votes = [(p, p.ack_at, p.ack["version"]) for p in people if p.ack and p.ack.get("ok")]
    latencies = []
    for observer in people:
        times, best = [], []
        top = -1
        for arrived, version in observer.tallies:  # running maximum: a tally includes all below it
            top = max(top, version)
            times.append(arrived)
            best.append(top)
        for voter, acked, version in votes:
            if voter is observer:
                continue
            i = bisect.bisect_left(best, version)
            if i < len(best):
                latencies.append(max(0.0, times[i] - acked))
    return latencies


# --------------------------------------------------------------------------- the run

def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=1000)
    parser.add_argument("--spread", type=float, default=3.0, help="votes are sent within this many seconds")
    parser.add_argument("--url", help="a running server (needs --database-url)")
    parser.add_argument("--database-url", help="the running server's database (for set-up and the final check)")
    args = parser.parse_args()
    if args.url and not args.database_url:
        sys.exit("--url needs --database-url: the benchmark creates its attendees and tokens there")
    tmp = tempfile.TemporaryDirectory()
    database_url = args.database_url or f"sqlite:///{Path(tmp.name) / 'storm.db'}"

    print(f"seeding {args.clients} attendees …", flush=True)
    ids = seed(database_url, args.clients)
    server = None
    url = args.url
    if url is None:
        server, url = start_server(database_url, args.clients)
        print(f"started `conference serve` (eventlet) on {url}, database {database_url}", flush=True)
    try:
        run(args, url, ids, database_url)
    finally:
        if server is not None:
            server.terminate()
            server.wait(timeout=10)


def run(args, url: str, ids: dict, database_url: str) -> None:
    people = [Participant(token) for token in ids["tokens"]]
    started = time.perf_counter()
    pool = eventlet.GreenPool(100)
    failures = [p for p, ok in zip(people, pool.imap(lambda p: _connected(p, url, ids["session_id"]), people)) if not ok]
    if failures:
        sys.exit(f"{len(failures)} clients could not connect and join")
    print(f"{len(people)} clients connected and joined in {time.perf_counter() - started:.1f} s", flush=True)

    moderator = Participant(ids["moderator_token"])
    moderator.connect(url, ids["session_id"])
    created = moderator.sio.call("poll:create", {"session_id": ids["session_id"], "title": "Storm poll",
                                                 "kind": "single", "options": OPTIONS}, namespace=LIVE, timeout=60)
    opened = moderator.sio.call("poll:open", {"poll_id": created["poll"]["id"]}, namespace=LIVE, timeout=60)
    poll = opened["poll"]
    for p in people:
        p.opened.wait(timeout=60)

    print(f"voting: {len(people)} votes within {args.spread:g} s …", flush=True)
    storm_start = time.perf_counter()
    voters = [eventlet.spawn(p.vote, poll, random.uniform(0, args.spread)) for p in people]
    for v in voters:
        v.wait()
    last_ack = time.perf_counter()
    accepted = [p for p in people if p.ack and p.ack.get("ok")]
    top_version = max((p.ack["version"] for p in accepted), default=0)
    # Let the last coalesced tally reach everyone before closing.
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and not all(p.tallies and max(v for _, v in p.tallies) >= top_version
                                                    for p in people):
        eventlet.sleep(0.1)
    storm_end = time.perf_counter()
    closed = moderator.sio.call("poll:close", {"poll_id": poll["id"]}, namespace=LIVE, timeout=60)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and not all(p.closed for p in people):
        eventlet.sleep(0.1)

    report(people, accepted, closed, poll, database_url, storm_start, last_ack, storm_end)
    for p in people + [moderator]:
        p.sio.disconnect()


def _connected(p: Participant, url: str, session_id: int) -> bool:
    try:
        p.connect(url, session_id)
        return True
    except Exception as exc:
        print(f"connect failed: {exc}", file=sys.stderr)
        return False


def report(people, accepted, closed, poll, database_url, storm_start, last_ack, storm_end) -> None:
    sent = len(people)
    final_total = closed["results"]["total"] if closed.get("ok") else None
    in_db = ballots_in_database(database_url, poll["id"])
    refused = {}
    for p in people:
        if not (p.ack and p.ack.get("ok")):
            code = (p.ack or {}).get("error", {}).get("code", "no_ack")
            refused[code] = refused.get(code, 0) + 1
    lost = sent - len(accepted) + max(0, len(accepted) - min(final_total or 0, in_db))
    closed_seen = sum(1 for p in people if p.closed and p.closed["results"]["total"] == final_total)
    updates = [len(p.tallies) for p in people]
    window = storm_end - storm_start
    busiest = max(busiest_second([t for t, _ in p.tallies]) for p in people)
    latencies = delivery_latencies(people)
    ack_times = [p.ack_at - p.vote_sent for p in accepted]

    print()
    print(f"clients: {sent}, votes sent: {sent} within {last_ack - storm_start:.2f} s")
    print(f"votes accepted: {len(accepted)}  (final tally total {final_total}, ballots in database {in_db})")
    print(f"votes lost: {lost}" + (f"  refused/failed: {refused}" if refused else ""))
    print(f"exact final poll:closed received by {closed_seen}/{sent} clients")
    print(f"vote ack time: p50 {1000 * percentile(ack_times, .5):.0f} ms, p99 {1000 * percentile(ack_times, .99):.0f} ms")
    print(f"tally updates per client: min {min(updates)}, median {statistics.median(updates):g}, max {max(updates)} "
          f"over {window:.2f} s; busiest second of any client: {busiest} updates")
    if latencies:
        print(f"ack -> tally at the other clients ({len(latencies)} deliveries): "
              f"p50 {1000 * percentile(latencies, .5):.0f} ms, p99 {1000 * percentile(latencies, .99):.0f} ms, "
              f"max {1000 * max(latencies):.0f} ms")


if __name__ == "__main__":
    main()
