"""A morning rush at the doors: several scanner clients POST /api/v1/checkin/scan at once.

    .venv/bin/python bench/checkin_storm.py [--clients 8] [--scans 2000] [--database-url URL]
    .venv/bin/python bench/checkin_storm.py --url http://host:5000 --token TOKEN --database-url URL

Without --url it sets up a scratch database (a temporary SQLite file unless --database-url names an
empty one), loads the demo, and starts `conference serve` (eventlet) on a free port. With --url it
scans against that running server; --database-url must then point at the server's database (the
badge codes are computed from it, the way the badge sheet prints them) and --token be a staff token.

Each client sends its share of scans: in-person badges at the entrance (first "ok", then repeats
that answer "already_checked_in"), a few forged codes, and the same scan_id twice now and then.
Prints scans/s, p50/p90/p99 latency and the count of each result. Exits non-zero on any 5xx.
"""

from __future__ import annotations

import argparse
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def prepare(url: str, scratch: bool) -> tuple[list[str], int, str | None]:
    """Badge codes of the demo's in-person participants, the entrance list id, and a staff token."""
    os.environ.setdefault("CONFERENCE_ASYNC_MODE", "threading")
    from sqlalchemy import inspect, select

    from conference import create_app
    from conference.accounts.services import create_api_token, find_user_by_email
    from conference.checkin.badges import badge_token
    from conference.checkin.models import CheckinList
    from conference.cli import upgrade_schema
    from conference.demo import SLUG, load_demo
    from conference.extensions import db
    from conference.programme.services import get_event
    from conference.registrations.models import Registration

    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench-secret-key-bench-secret-key!"})
    with app.app_context():
        if scratch:
            if inspect(db.engine).get_table_names():
                sys.exit("refusing to run: the database is not empty (give a scratch database)")
            upgrade_schema()
            load_demo(db.session)
        event = get_event(db.session, SLUG)
        registrations = db.session.scalars(
            select(Registration).where(
                Registration.event_id == event.id,
                Registration.mode == "in_person",
                Registration.status == "confirmed",
            )
        ).all()
        codes = [badge_token(db.session, r) for r in registrations]
        entrance = db.session.scalars(
            select(CheckinList).where(CheckinList.event_id == event.id, CheckinList.scope == "event")
        ).first()
        token = (
            create_api_token(db.session, find_user_by_email(db.session, "staff1@symposium.example"), "bench")
            if scratch
            else None
        )
        db.engine.dispose()
        return codes, entrance.id, token


def start_server(url: str, port: int) -> subprocess.Popen:
    env = {
        **os.environ,
        "CONFERENCE_DATABASE_URL": url,
        "CONFERENCE_ASYNC_MODE": "eventlet",
        "CONFERENCE_SECRET_KEY": "bench-secret-key-bench-secret-key!",
    }
    server = subprocess.Popen(
        [sys.executable, "-m", "conference", "serve", "--port", str(port)],
        env=env,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    import requests

    for _ in range(100):
        try:
            requests.get(f"http://127.0.0.1:{port}/", timeout=1)
            return server
        except requests.ConnectionError:
            if server.poll() is not None:
                sys.exit(f"server exited: {server.stderr.read().decode()[-2000:]}")
            time.sleep(0.1)
    server.kill()
    sys.exit("server did not start")


def plan(codes: list[str], scans: int, rng: random.Random) -> list[dict]:
    """The scans to send: badges in a shuffled order (so repeats come after first entries), some forged."""
    items = []
    for n in range(scans):
        forged = n % 50 == 49  # a forged or damaged badge
        code = rng.choice(codes)[:-8] + "AAAAAAAA" if forged else codes[n % len(codes)]
        items.append({"code": code, "scan_id": str(uuid.uuid4()), "gate": f"gate-{n % 4}"})
    return items


def storm(
    base: str, token: str, list_id: int, items: list[dict], clients: int
) -> tuple[float, list[float], Counter]:
    import requests

    latencies: list[float] = []
    results: Counter = Counter()
    lock = threading.Lock()
    barrier = threading.Barrier(clients)
    shares = [items[i::clients] for i in range(clients)]

    def client(share: list[dict]) -> None:
        session = requests.Session()
        session.headers["Authorization"] = f"Bearer {token}"
        mine_latency, mine_results = [], Counter()
        barrier.wait()
        for n, item in enumerate(share):
            body = {**item, "list": list_id}
            for attempt in range(2 if n % 25 == 0 else 1):  # now and then the same scan twice (a retry)
                started = time.perf_counter()
                response = session.post(f"{base}/api/v1/checkin/scan", json=body, timeout=30)
                mine_latency.append(time.perf_counter() - started)
                prefix = "repeated scan_id: " if attempt else ""
                if response.status_code >= 500:
                    mine_results["http_5xx"] += 1
                else:
                    mine_results[prefix + response.json().get("result", f"http_{response.status_code}")] += 1
        with lock:
            latencies.extend(mine_latency)
            results.update(mine_results)

    threads = [threading.Thread(target=client, args=(share,)) for share in shares]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return time.perf_counter() - started, latencies, results


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--scans", type=int, default=2000)
    parser.add_argument("--url", help="a running server (default: start one on a scratch database)")
    parser.add_argument("--token", help="a staff API token for --url")
    parser.add_argument("--database-url", help="the server's database (with --url) or an empty scratch one")
    parser.add_argument("--seed", type=int, default=2030)
    args = parser.parse_args()
    if args.url and not (args.token and args.database_url):
        sys.exit("--url needs --token and --database-url")
    tmp = tempfile.TemporaryDirectory()
    db_url = args.database_url or f"sqlite:///{Path(tmp.name) / 'storm.db'}"
    codes, list_id, token = prepare(db_url, scratch=not args.url)
    server = None
    base = args.url
    if not base:
        port = free_port()
        server = start_server(db_url, port)
        base = f"http://127.0.0.1:{port}"
    try:
        items = plan(codes, args.scans, random.Random(args.seed))
        elapsed, latencies, results = storm(base, args.token or token, list_id, items, args.clients)
    finally:
        if server is not None:
            server.terminate()
            server.wait(timeout=10)
    database = db_url.split(":", 1)[0]
    print(
        f"checkin storm: {len(latencies)} scans by {args.clients} clients against {base} ({database}),"
        f" {len(codes)} badges"
    )
    print(f"  throughput: {len(latencies) / elapsed:,.0f} scans/s over {elapsed:.1f} s")
    print(
        f"  latency: p50 {percentile(latencies, 0.5) * 1000:.1f} ms, p90 {percentile(latencies, 0.9) * 1000:.1f} ms,"
        f" p99 {percentile(latencies, 0.99) * 1000:.1f} ms, mean {statistics.mean(latencies) * 1000:.1f} ms"
    )
    print("  results: " + ", ".join(f"{name} {count}" for name, count in sorted(results.items())))
    if results.get("http_5xx"):
        sys.exit(1)


if __name__ == "__main__":
    main()
