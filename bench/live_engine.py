"""The live engine under load (issue #13): this project beside a bare Flask-SocketIO app and Node's
socket.io, the same scenarios in one run, the table written to bench/RESULTS.md.

    .venv/bin/python bench/live_engine.py --quick            # every scenario, small, < 2 minutes
    .venv/bin/python bench/live_engine.py                    # the full run, < 20 minutes on 2 cores
    .venv/bin/python bench/live_engine.py --scenarios vote,qa --targets project,bare --clients 1000

Targets: `project` (`conference serve`, eventlet, SQLite), `gevent` (the same server with
`--async-mode gevent`: item 5 of the issue asks the benchmarks which mode is faster), `bare` (bench/reference/bare_flask_socketio.py,
eventlet, in memory), `node` (bench/reference/node/server.js, Node's socket.io, in memory).

Scenarios (each against every target unless said):
- join: N clients (--clients, 2,000) connect and join one room at once: time until the last join ack.
- vote: the N clients vote in one poll at once: votes/s, ack p50/p99, lost (acknowledged but not in
  the exact final tally or, for the project, the database), time until every client holds the exact total.
- qa: in the same room, 50 questions and 500 upvotes a second (scaled by N / 2,000) for --qa-seconds:
  ack p99 of both, and delivery p99 of each new question to every client. The targets do not send
  the same packets: this project (eventlet or gevent) batches the room-wide Q&A fan-out (the
  questions of 0.25 s in one `questions:new`, the upvote totals of 0.25 s in one `questions:updated`:
  ROOMS_QUESTION_FANOUT_SECONDS, ROOMS_UPVOTE_COALESCE_SECONDS), while the bare and Node references
  send each question (`question:new`) and each upvote's total (`question:updated`) as a packet of
  its own to the whole room, the naive fan-out. The fleet counts a question once whichever packet
  carries it.
- idle: --idle-clients (10,000) connect and join, then sit: server RSS per client.
- checkin (project): --scanners (16) concurrent scanners POST /api/v1/checkin/scan: scans/s, p99; on one
  worker and SQLite, then on --checkin-workers (2) workers on PostgreSQL and Redis behind nginx.
- workers (project): `conference serve --workers 1|2|4` on PostgreSQL and Redis behind nginx with
  deploy/nginx/conference.conf; --worker-clients in one room, a chat storm: deliveries/s.
- profile (project): py-spy attached to the server during a join storm and a vote storm; the
  summary goes into RESULTS.md (item 4 of the issue).

The clients are a Node socket.io-client fleet (bench/fleet/fleet.js, --fleet-processes processes; its
CPU time is reported so one can see it was not the bottleneck). node_modules of bench/fleet and
bench/reference/node are installed with `npm ci` when missing. The file-descriptor limit is raised to
the hard limit for this process and its children; the script stops at once if that is too low.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import re
import resource
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from datetime import UTC, datetime
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
sys.path.insert(0, str(BENCH))
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from serve_support import start_nginx, stop  # noqa: E402  -- the tests' nginx and process helpers

from conference.cli import DESCRIPTORS_PER_SOCKET, raise_open_file_limit  # noqa: E402  -- as `conference serve` counts

FLEET_DIR = BENCH / "fleet"
NODE_DIR = BENCH / "reference" / "node"
BARE_APP = BENCH / "reference" / "bare_flask_socketio.py"
RESULTS = BENCH / "RESULTS.md"
SCENARIOS = ("join", "vote", "qa", "idle", "checkin", "workers", "profile")
TARGETS = ("project", "gevent", "bare", "node")
TARGET_NAMES = {
    "project": "this project",
    "gevent": "this project on gevent",
    "bare": "bare Flask-SocketIO + eventlet",
    "node": "Node socket.io",
}
SECRET = "bench-live-engine-" + "k" * 32
POLL_OPTIONS = ["Health", "Education", "Climate", "Trade"]
PG_ADMIN = "host=127.0.0.1 port=5432 user=postgres dbname=test connect_timeout=3"
START_TIMEOUT = 90


def now_ms() -> float:
    return time.time() * 1000


def log(message: str) -> None:
    print(f"[{datetime.now(UTC):%H:%M:%S}] {message}", flush=True)


# =========================================================================== figures


def merge(histograms) -> Counter:
    total: Counter = Counter()
    for histogram in histograms:
        total.update({int(k): v for k, v in histogram.items()})
    return total


def percentile(histogram: Counter, q: float) -> float | None:
    n = sum(histogram.values())
    if not n:
        return None
    rank = max(1, round(q * n))
    seen = 0
    for ms in sorted(histogram):
        seen += histogram[ms]
        if seen >= rank:
            return float(ms)
    return float(max(histogram))


def merged_errors(answers: list[dict], key: str = "errors") -> dict[str, int]:
    total: Counter = Counter()
    for answer in answers:
        total.update(answer[key])
    return dict(total)


def fmt_ms(value: float | None) -> str:
    return "–" if value is None else f"{value:,.0f} ms"


def fmt_s(value: float | None) -> str:
    return "–" if value is None else f"{value:,.2f} s"


# =========================================================================== processes


def raise_fd_limit(needed: int) -> int:
    """The limit raised as `conference serve` raises its own (`cli.raise_open_file_limit`), to twice
    `needed` (gevent's WebSockets hold two descriptors each); children inherit it. Exit clearly if
    even that is too low."""
    soft = raise_open_file_limit(needed * DESCRIPTORS_PER_SOCKET["gevent"])
    if soft < needed:
        hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
        sys.exit(
            f"the file-descriptor limit is {soft} (hard limit {hard}), but {needed} are needed for "
            f"the idle scenario's sockets: raise the hard limit (ulimit -Hn, limits.conf, "
            f"LimitNOFILE=) or pass a smaller --idle-clients"
        )
    return soft


def ensure_node_modules() -> None:
    if not shutil.which("node") or not shutil.which("npm"):
        sys.exit("node and npm are needed (Debian: apt-get install nodejs npm)")
    for folder in (FLEET_DIR, NODE_DIR):
        if not (folder / "node_modules").is_dir():
            log(f"npm ci in {folder.relative_to(ROOT)}")
            subprocess.run(["npm", "ci", "--no-audit", "--no-fund"], cwd=folder, check=True)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def free_ports(count: int) -> int:
    """A port P with P .. P+count-1 all free (`conference serve --workers` uses consecutive ports)."""
    for _ in range(200):
        base = random.randint(20000, 60000 - count)
        try:
            for port in range(base, base + count):
                with socket.socket() as probe:
                    probe.bind(("127.0.0.1", port))
            return base
        except OSError:
            continue
    sys.exit(f"no {count} consecutive free ports")


def wait_for_http(url: str, process: subprocess.Popen, logfile: Path | None) -> None:
    import requests

    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            tail = logfile.read_text()[-3000:] if logfile else ""
            sys.exit(f"the server for {url} ended with {process.returncode}:\n{tail}")
        try:
            requests.get(url + "/", timeout=2)
            return
        except requests.RequestException:
            time.sleep(0.2)
    process.kill()
    sys.exit(f"{url} did not answer within {START_TIMEOUT} s")


def process_tree(pid: int) -> list[int]:
    """pid and its descendants (a `--workers N` supervisor's workers)."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            ppid = int(stat.rsplit(")", 1)[1].split()[1])
            children.setdefault(ppid, []).append(int(entry.name))
    tree, todo = [], [pid]
    while todo:
        current = todo.pop()
        tree.append(current)
        todo.extend(children.get(current, []))
    return tree


def cpu_seconds(pid: int) -> float:
    """User + system CPU of pid and its descendants that are alive now."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for p in process_tree(pid):
        try:
            fields = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += (int(fields[11]) + int(fields[12])) / ticks
    return total


def rss_kb(pid: int) -> int:
    total = 0
    for p in process_tree(pid):
        try:
            status = Path(f"/proc/{p}/status").read_text()
        except OSError:
            continue
        match = re.search(r"VmRSS:\s+(\d+) kB", status)
        total += int(match.group(1)) if match else 0
    return total


def stop_process(process: subprocess.Popen | None) -> None:
    if process is not None:
        stop(process)  # tests/serve_support.py: SIGTERM, then SIGKILL after 10 s


# =========================================================================== servers


class Server:
    """One server under test: started on a free port, its pid for CPU and RSS, stopped at the end."""

    name = "?"

    def __init__(self, workdir: Path):
        self.workdir = workdir
        self.process: subprocess.Popen | None = None
        self.url = ""
        self.logfile = workdir / f"{self.name}-{secrets.token_hex(3)}.log"

    def command(self, port: int) -> list[str]:
        raise NotImplementedError

    def env(self) -> dict[str, str]:
        return dict(os.environ)

    def start(self) -> str:
        port = free_port()
        with self.logfile.open("w") as output:
            self.process = subprocess.Popen(
                self.command(port), cwd=str(ROOT), env=self.env(), stdout=output, stderr=subprocess.STDOUT
            )
        self.url = f"http://127.0.0.1:{port}"
        wait_for_http(self.url, self.process, self.logfile)
        return self.url

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    def stop(self) -> None:
        stop_process(self.process)

    # What the fleet needs to speak to it: tokens, the room, a moderator.
    def prepare(self, n: int) -> dict:
        return {
            "tokens": [f"bench-{secrets.token_hex(6)}" for _ in range(n)],
            "moderator_token": f"mod-{secrets.token_hex(6)}",
            "session_id": random.randint(1, 10**6),
        }

    def ballots(self, poll_id: int) -> int | None:
        return None  # in memory: the final tally is all there is


class ProjectServer(Server):
    """`conference serve` (eventlet unless async_mode says) on a database of its own (SQLite unless
    database_url says)."""

    name = "project"

    def __init__(
        self,
        workdir: Path,
        database_url: str | None = None,
        workers: int = 1,
        async_mode: str = "eventlet",
        **env: str,
    ):
        super().__init__(workdir)
        self.database_url = database_url or f"sqlite:///{workdir / f'project-{secrets.token_hex(4)}.db'}"
        self.workers = workers
        self.async_mode = async_mode
        self.extra_env = env
        self.max_connections = 10000

    def command(self, port: int) -> list[str]:
        return [
            sys.executable,
            "-m",
            "conference",
            "serve",
            "--port",
            str(port),
            "--workers",
            str(self.workers),
            "--max-connections",
            str(self.max_connections),
        ]

    def env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("CONFERENCE_")}
        env.update(
            CONFERENCE_ENV="production",
            CONFERENCE_SECRET_KEY=SECRET,
            CONFERENCE_PUBLIC_BASE_URL="http://127.0.0.1",
            CONFERENCE_ASYNC_MODE=self.async_mode,
            CONFERENCE_DATABASE_URL=self.database_url,
            CONFERENCE_MAIL_BACKGROUND_SENDER="0",
            **self.extra_env,
        )
        return env

    def prepare(self, n: int) -> dict:
        from poll_storm import seed

        self.max_connections = max(self.max_connections, n + 500)
        return seed(self.database_url, n)

    def ballots(self, poll_id: int) -> int | None:
        from poll_storm import ballots_in_database

        return ballots_in_database(self.database_url, poll_id)


class BareServer(Server):
    name = "bare"

    def command(self, port: int) -> list[str]:
        return [sys.executable, str(BARE_APP), str(port)]


class NodeServer(Server):
    name = "node"

    def command(self, port: int) -> list[str]:
        return ["node", str(NODE_DIR / "server.js"), str(port)]


def make_server(target: str, workdir: Path) -> Server:
    """A server for the target; the project's share one SQLite file (migrated once, an event each)."""
    if target in ("project", "gevent"):
        mode = "gevent" if target == "gevent" else "eventlet"
        return ProjectServer(workdir, f"sqlite:///{workdir / 'project.db'}", async_mode=mode)
    return {"bare": BareServer, "node": NodeServer}[target](workdir)


# =========================================================================== the fleet


class Fleet:
    """P Node processes holding the clients; every command goes to all and each answers one line."""

    def __init__(self, processes: int):
        self.processes = [
            subprocess.Popen(
                ["node", str(FLEET_DIR / "fleet.js")],
                cwd=str(FLEET_DIR),
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                text=True,
            )
            for _ in range(processes)
        ]
        self.cpu = [0.0] * processes

    def __len__(self) -> int:
        return len(self.processes)

    def each(self, orders: list[dict]) -> list[dict]:
        for process, order in zip(self.processes, orders, strict=True):
            process.stdin.write(json.dumps(order) + "\n")
            process.stdin.flush()
        answers = []
        for process in self.processes:
            line = process.stdout.readline()
            if not line:
                sys.exit("a fleet process died (see its output above)")
            answer = json.loads(line)
            if "error" in answer:
                sys.exit(f"a fleet process failed: {answer['error']}")
            answers.append(answer)
        return answers

    def all(self, order: dict) -> list[dict]:
        return self.each([order] * len(self.processes))

    def cpu_since(self, answers: list[dict], before: list[float]) -> float:
        return sum(a["cpu_s"] - b for a, b in zip(answers, before, strict=True))

    def cpu_now(self, answers: list[dict]) -> list[float]:
        return [a["cpu_s"] for a in answers]

    def close(self) -> None:
        with suppress(OSError, SystemExit, ValueError):
            self.all({"cmd": "close"})
        for process in self.processes:
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()


def connect(
    fleet: Fleet,
    url: str,
    tokens: list[str],
    session_id: int,
    concurrency: int,
    cookies: str | None = None,
    retries: int = 3,
) -> dict:
    """All tokens connect and join at once (`concurrency` handshakes in flight per fleet process)."""
    start_at = now_ms() + 300
    shares = [tokens[i :: len(fleet)] for i in range(len(fleet))]
    answers = fleet.each(
        [
            {
                "cmd": "connect",
                "url": url,
                "tokens": share,
                "session_id": session_id,
                "concurrency": concurrency,
                "timeout_ms": 60000,
                "retries": retries,
                "start_at": start_at,
                "cookies": bool(cookies),
                "cookie_prefix": f"{cookies}-{i}",
            }
            for i, share in enumerate(shares)
        ]
    )
    hist = merge(a["hist"] for a in answers)
    errors = merged_errors(answers)
    return {
        "joined": sum(a["joined"] for a in answers),
        "failed": sum(a["failed"] for a in answers),
        "retried": sum(a["retried"] for a in answers),
        "errors": errors,
        "seconds": (max(a["finished"] for a in answers) - start_at) / 1000,
        "p50": percentile(hist, 0.5),
        "p99": percentile(hist, 0.99),
        "answers": answers,
    }


def storm(fleet: Fleet, pid: int, pause: float, **order) -> tuple[float, float, list[dict]]:
    """After `pause` seconds (the room settles), every fleet process starts `order` one second later;
    returns the server's CPU seconds before, the start (wall-clock ms) and the answers."""
    time.sleep(pause)
    cpu0, start_at = cpu_seconds(pid), now_ms() + 1000
    return cpu0, start_at, fleet.all({**order, "start_at": start_at})


class Moderator:
    """The moderator's socket (python-socketio, threading): creates, opens and closes the poll."""

    def __init__(self, url: str, token: str, session_id: int):
        import socketio

        self.client = socketio.Client(reconnection=False)
        self.client.connect(url, namespaces=["/live"], auth={"token": token}, transports=["websocket"])
        self.session_id = session_id
        self.call("join", {"session_id": session_id})

    def call(self, event: str, payload: dict) -> dict:
        ack = self.client.call(event, payload, namespace="/live", timeout=120)
        if not ack.get("ok"):
            raise RuntimeError(f"the moderator's {event} was refused: {ack}")
        return ack

    def close(self) -> None:
        self.client.disconnect()


# =========================================================================== scenarios


class Bench:
    def __init__(self, args: argparse.Namespace, workdir: Path):
        self.args = args
        self.workdir = workdir
        self.results: dict[str, dict] = {}
        self.notes: list[str] = []

    def record(self, scenario: str, target: str, figures: dict) -> None:
        self.results.setdefault(scenario, {})[target] = figures
        shown = {k: v for k, v in figures.items() if not isinstance(v, list) and v != {}}
        log(f"{scenario} / {target}: {shown}")

    # ------------------------------------------------------------------ join, vote, Q&A in one room

    def serve(self, target: str, clients: int) -> tuple[Server, dict, str, Fleet]:
        """A fresh server of the target with `clients` attendees, and a fresh fleet."""
        server = make_server(target, self.workdir)
        log(f"{target}: preparing {clients} attendees")
        ids = server.prepare(clients)
        url = server.start()
        log(f"{target}: serving on {url} (pid {server.pid}, log {server.logfile})")
        return server, ids, url, Fleet(self.args.fleet_processes)

    def room_scenarios(self, target: str) -> None:
        args = self.args
        server, ids, url, fleet = self.serve(target, args.clients)
        moderator = None
        try:
            cpu0, fleet0 = cpu_seconds(server.pid), [0.0] * len(fleet)
            joined = connect(fleet, url, ids["tokens"], ids["session_id"], args.connect_concurrency)
            fleet1 = fleet.cpu_now(joined["answers"])
            self.record(
                "join",
                target,
                {
                    "clients": args.clients,
                    "joined": joined["joined"],
                    "failed": joined["failed"],
                    "retried": joined["retried"],
                    "errors": joined["errors"],
                    "seconds": joined["seconds"],
                    "p50_ms": joined["p50"],
                    "p99_ms": joined["p99"],
                    "server_cpu_s": cpu_seconds(server.pid) - cpu0,
                    "fleet_cpu_s": fleet.cpu_since(joined["answers"], fleet0),
                    "server_rss_kb": rss_kb(server.pid),
                },
            )
            moderator = Moderator(url, ids["moderator_token"], ids["session_id"])
            if "vote" in args.scenarios:
                fleet1 = self.vote_storm(target, server, fleet, moderator, ids, fleet1)
            if "qa" in args.scenarios:
                self.qa_burst(target, server, fleet, moderator, ids, fleet1)
        finally:
            if moderator is not None:
                moderator.close()
            fleet.close()
            server.stop()

    def vote_storm(self, target, server, fleet, moderator, ids, fleet_before) -> list[float]:
        args = self.args
        created = moderator.call(
            "poll:create",
            {
                "session_id": ids["session_id"],
                "title": "Storm poll",
                "kind": "single",
                "options": POLL_OPTIONS,
            },
        )
        poll = moderator.call("poll:open", {"poll_id": created["poll"]["id"]})["poll"]
        time.sleep(1.0)  # poll:opened reaches everyone before the storm
        cpu0 = cpu_seconds(server.pid)
        start_at = now_ms() + 1000
        answers = fleet.all(
            {
                "cmd": "vote",
                "poll_id": poll["id"],
                "option_ids": [o["id"] for o in poll["options"]],
                "start_at": start_at,
                "spread_ms": args.spread * 1000,
                "timeout_ms": 120000,
            }
        )
        accepted = sum(a["ok"] for a in answers)
        last_ack = max(a["last_ack"] for a in answers)
        hist = merge(a["hist"] for a in answers)
        errors = merged_errors(answers)
        exact = fleet.all({"cmd": "exact", "total": accepted, "timeout_ms": 60000})
        cpu1 = cpu_seconds(server.pid)
        exact_last = max((a["last"] for a in exact if a["last"]), default=None)
        closed = moderator.call("poll:close", {"poll_id": poll["id"]})
        final = closed["results"]["total"]
        got_closed = fleet.all({"cmd": "closed", "timeout_ms": 30000})
        holding_final = sum(a["totals"].get(str(final), 0) for a in got_closed)
        in_db = server.ballots(poll["id"])
        counted = final if in_db is None else min(final, in_db)
        self.record(
            "vote",
            target,
            {
                "clients": args.clients,
                "accepted": accepted,
                "errors": errors,
                "votes_per_s": accepted / max(0.001, (last_ack - start_at) / 1000) if accepted else 0.0,
                "p50_ms": percentile(hist, 0.5),
                "p99_ms": percentile(hist, 0.99),
                "lost": max(0, accepted - counted),
                "final_total": final,
                "ballots_in_db": in_db,
                "exact_s": None if exact_last is None else (exact_last - start_at) / 1000,
                "not_exact": sum(a["missing"] for a in exact),
                "closed_exact": holding_final,
                "server_cpu_s": cpu1 - cpu0,
                "server_cpu_ms_per_vote": 1000 * (cpu1 - cpu0) / max(1, accepted),
                "fleet_cpu_s": fleet.cpu_since(exact, fleet_before),
                "dropped": sum(a["dropped"] for a in got_closed),
            },
        )
        return fleet.cpu_now(got_closed)

    def qa_burst(self, target, server, fleet, moderator, ids, fleet_before) -> None:
        args = self.args
        moderator.call("room:settings", {"session_id": ids["session_id"], "moderated": False})
        scale = args.clients / 2000
        ask_rate, upvote_rate = 50 * scale, 500 * scale
        cpu0, _, answers = storm(
            fleet,
            server.pid,
            1,
            cmd="qa",
            session_id=ids["session_id"],
            duration_ms=args.qa_seconds * 1000,
            ask_rate=ask_rate / len(fleet),
            upvote_rate=upvote_rate / len(fleet),
            upvote_delay_ms=500,
            timeout_ms=60000,
        )
        asked = sum(a["asked"] for a in answers)
        drained = fleet.all({"cmd": "qa_drain", "expected": asked, "timeout_ms": 60000})
        cpu1 = cpu_seconds(server.pid)
        errors = merged_errors(answers)
        asks, ups = merge(a["ask_hist"] for a in answers), merge(a["upvote_hist"] for a in answers)
        delivered = merge(a["hist"] for a in drained)
        self.record(
            "qa",
            target,
            {
                "clients": args.clients,
                "seconds": args.qa_seconds,
                "questions_per_s": ask_rate,
                "upvotes_per_s": upvote_rate,
                "asked": asked,
                "upvoted": sum(a["upvoted"] for a in answers),
                "skipped_no_question_yet": sum(a["skipped"] for a in answers),
                "errors": errors,
                "ask_p50_ms": percentile(asks, 0.5),
                "ask_p99_ms": percentile(asks, 0.99),
                "upvote_p50_ms": percentile(ups, 0.5),
                "upvote_p99_ms": percentile(ups, 0.99),
                "ack_p99_ms": percentile(asks + ups, 0.99),
                "delivery_p50_ms": percentile(delivered, 0.5),
                "delivery_p99_ms": percentile(delivered, 0.99),
                "deliveries": sum(a["deliveries"] for a in drained),
                "deliveries_expected": asked * args.clients,
                "server_cpu_s": cpu1 - cpu0,
                "fleet_cpu_s": fleet.cpu_since(drained, fleet_before),
            },
        )

    # ------------------------------------------------------------------ idle clients

    def idle(self, target: str) -> None:
        args = self.args
        server, ids, url, fleet = self.serve(target, args.idle_clients)
        warm = min(100, args.idle_clients // 10)
        try:
            connect(fleet, url, ids["tokens"][:warm], ids["session_id"], args.connect_concurrency)
            time.sleep(2)
            before = rss_kb(server.pid)
            rest = connect(fleet, url, ids["tokens"][warm:], ids["session_id"], args.connect_concurrency)
            time.sleep(args.idle_settle)
            after = rss_kb(server.pid)
            held = fleet.all({"cmd": "exact", "total": 0, "timeout_ms": 0})  # a no-op: who is still there
            dropped = sum(a["dropped"] for a in held)
            added = max(1, rest["joined"])
            self.record(
                "idle",
                target,
                {
                    "clients": args.idle_clients,
                    "joined": rest["joined"] + warm,
                    "failed": rest["failed"],
                    "retried": rest["retried"],
                    "errors": rest["errors"],
                    "dropped": dropped,
                    "join_seconds": rest["seconds"],
                    "rss_before_kb": before,
                    "rss_after_kb": after,
                    "kb_per_client": (after - before) / added,
                },
            )
        finally:
            fleet.close()
            server.stop()

    # ------------------------------------------------------------------ check-in rush

    def checkin(self) -> None:
        """One worker on SQLite (the embedded default), then --checkin-workers workers on PostgreSQL and
        Redis behind nginx (the production recipe): 16 scanners are HTTP clients, any worker serves them."""
        from checkin_storm import prepare

        server = ProjectServer(self.workdir)
        codes, list_id, token = prepare(server.database_url, scratch=True)
        url = server.start()
        try:
            self.checkin_rush("project", server.pid, url, codes, list_id, token)
        finally:
            server.stop()
        count = self.args.checkin_workers
        if count > 1:
            with self.postgres_and_redis("checkin") as database_url:
                if database_url is None:
                    return
                codes, list_id, token = prepare(database_url, scratch=True)
                server, nginx, url = self.start_workers(
                    count, database_url, connections=4 * self.args.scanners
                )
                try:
                    self.checkin_rush(f"{count} workers", server.pid, url, codes, list_id, token)
                finally:
                    server.stop()
                    stop_process(nginx)

    def checkin_rush(self, label: str, pid: int, url: str, codes: list[str], list_id: int, token) -> None:
        from checkin_storm import plan

        args = self.args
        fleet = Fleet(min(len(codes) and args.fleet_processes, 2))
        try:
            items = [{**item, "list": list_id} for item in plan(codes, args.scans, random.Random(2030))]
            shares = [items[i :: len(fleet)] for i in range(len(fleet))]
            cpu0 = cpu_seconds(pid)
            start_at = now_ms() + 300
            answers = fleet.each(
                [
                    {
                        "cmd": "scan",
                        "base": url,
                        "token": token,
                        "items": share,
                        "concurrency": args.scanners // len(fleet),
                        "start_at": start_at,
                    }
                    for share in shares
                ]
            )
            elapsed = (max(a["finished"] for a in answers) - start_at) / 1000
            hist = merge(a["hist"] for a in answers)
            results = merged_errors(answers, "results")
            scans = sum(a["scans"] for a in answers)
            self.record(
                "checkin",
                label,
                {
                    "scanners": args.scanners,
                    "scans": scans,
                    "badges": len(codes),
                    "scans_per_s": scans / elapsed,
                    "p50_ms": percentile(hist, 0.5),
                    "p99_ms": percentile(hist, 0.99),
                    "results": results,
                    "server_errors": sum(v for k, v in results.items() if k.startswith("http_5")),
                    "server_cpu_s": cpu_seconds(pid) - cpu0,
                    "fleet_cpu_s": sum(a["cpu_s"] for a in answers),
                },
            )
        finally:
            fleet.close()

    # ------------------------------------------------------------------ 1, 2, 4 workers

    def workers(self) -> None:
        with self.postgres_and_redis("workers") as database_url:
            if database_url is None:
                return
            for count in self.args.worker_counts:
                self.workers_run(count, database_url)

    @contextmanager
    def postgres_and_redis(self, scenario: str) -> Iterator[str | None]:
        """A scratch PostgreSQL database's URL (dropped afterwards), or None with a note when PostgreSQL
        or Redis is not there."""
        import psycopg

        try:
            import redis

            redis.Redis.from_url(self.args.redis_url, socket_connect_timeout=2).ping()
            admin = psycopg.connect(PG_ADMIN, autocommit=True)
        except Exception as exc:  # noqa: BLE001 -- any failure: the scenario cannot run here, say why
            self.notes.append(f"{scenario}: not run, PostgreSQL or Redis unavailable ({exc})")
            log(self.notes[-1])
            yield None
            return
        name = f"bench_{secrets.token_hex(6)}"
        admin.execute(f'CREATE DATABASE "{name}"')
        try:
            yield f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"
        finally:
            admin.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
            admin.close()

    def start_workers(
        self, count: int, database_url: str, connections: int, server: ProjectServer | None = None
    ) -> tuple[ProjectServer, subprocess.Popen, str]:
        """`conference serve --workers count` on the database and Redis, behind nginx: (server, nginx, url)."""
        if server is None:
            server = ProjectServer(
                self.workdir,
                database_url,
                workers=count,
                CONFERENCE_MESSAGE_QUEUE=self.args.redis_url,
                CONFERENCE_SOCKETIO_CHANNEL=f"bench-{secrets.token_hex(6)}",
            )
        port = free_ports(count)
        with server.logfile.open("w") as output:
            server.process = subprocess.Popen(
                server.command(port), cwd=str(ROOT), env=server.env(), stdout=output, stderr=subprocess.STDOUT
            )
        for i in range(count):
            wait_for_http(f"http://127.0.0.1:{port + i}", server.process, server.logfile)
        nginx_dir = Path(tempfile.mkdtemp(prefix="nginx-", dir=self.workdir))
        listen = free_port()
        nginx = start_nginx(
            nginx_dir, listen, [port + i for i in range(count)], worker_connections=connections + 256
        )
        return server, nginx, f"http://127.0.0.1:{listen}"

    def workers_run(self, count: int, database_url: str) -> None:
        args = self.args
        channel = f"bench-{secrets.token_hex(6)}"
        server = ProjectServer(
            self.workdir,
            database_url,
            workers=count,
            CONFERENCE_MESSAGE_QUEUE=args.redis_url,
            CONFERENCE_SOCKETIO_CHANNEL=channel,
        )
        log(f"workers={count}: preparing {args.worker_clients} attendees on PostgreSQL")
        ids = server.prepare(args.worker_clients)
        server, nginx, url = self.start_workers(count, database_url, 4 * args.worker_clients, server)
        fleet = Fleet(args.fleet_processes)
        try:
            joined = connect(
                fleet, url, ids["tokens"], ids["session_id"], args.worker_connect_concurrency, cookies=channel
            )
            senders = max(len(fleet), int(args.worker_clients * args.chat_senders))
            per_process = senders // len(fleet)
            cpu0, start_at, sent = storm(
                fleet,
                server.pid,
                2,
                cmd="chat",
                session_id=ids["session_id"],
                senders=per_process,
                per_sender=3,
                interval_ms=700,  # within the chat limit (5 lines / 3 s per person)
                timeout_ms=120000,
            )
            expected = sum(a["sent"] for a in sent)
            drained = fleet.all({"cmd": "chat_drain", "expected": expected, "timeout_ms": 180000})
            cpu1 = cpu_seconds(server.pid)
            errors = merged_errors(sent)
            deliveries = sum(a["deliveries"] for a in drained)
            last = max(a["last"] for a in drained)
            hist = merge(a["hist"] for a in drained)
            self.record(
                "workers",
                str(count),
                {
                    "workers": count,
                    "clients": args.worker_clients,
                    "joined": joined["joined"],
                    "join_errors": joined["errors"],
                    "join_seconds": joined["seconds"],
                    "messages": expected,
                    "errors": errors,
                    "deliveries": deliveries,
                    "deliveries_expected": expected * args.worker_clients,
                    "clients_short": sum(
                        a["short"] for a in drained
                    ),  # still missing lines at the drain's end
                    "deliveries_per_s": deliveries / max(0.001, (last - start_at) / 1000),
                    "delivery_p50_ms": percentile(hist, 0.5),
                    "delivery_p99_ms": percentile(hist, 0.99),
                    "server_cpu_s": cpu1 - cpu0,
                    "fleet_cpu_s": sum(a["cpu_s"] for a in drained),
                    "server_rss_kb": rss_kb(server.pid),
                },
            )
        finally:
            fleet.close()
            server.stop()
            stop_process(nginx)

    # ------------------------------------------------------------------ py-spy profiles

    def profile(self) -> None:
        args = self.args
        pyspy = shutil.which("py-spy") or str(Path(sys.executable).with_name("py-spy"))
        if not Path(pyspy).exists():
            self.notes.append("profile: not run, py-spy is not installed (pip install -e '.[bench]')")
            log(self.notes[-1])
            return
        server, ids, url, fleet = self.serve("project", args.clients)
        moderator = None
        profiles = {}
        try:
            with spying(self, pyspy, server.pid, "join") as path:
                connect(fleet, url, ids["tokens"], ids["session_id"], args.connect_concurrency)
            profiles["join"] = path
            moderator = Moderator(url, ids["moderator_token"], ids["session_id"])
            created = moderator.call(
                "poll:create",
                {
                    "session_id": ids["session_id"],
                    "title": "Profiled",
                    "kind": "single",
                    "options": POLL_OPTIONS,
                },
            )
            poll = moderator.call("poll:open", {"poll_id": created["poll"]["id"]})["poll"]
            time.sleep(1)
            with spying(self, pyspy, server.pid, "vote") as path:
                accepted = sum(
                    a["ok"]
                    for a in fleet.all(
                        {
                            "cmd": "vote",
                            "poll_id": poll["id"],
                            "option_ids": [o["id"] for o in poll["options"]],
                            "start_at": now_ms() + 500,
                            "spread_ms": args.spread * 1000,
                            "timeout_ms": 120000,
                        }
                    )
                )
                fleet.all({"cmd": "exact", "total": accepted, "timeout_ms": 60000})
            profiles["vote"] = path
        finally:
            if moderator is not None:
                moderator.close()
            fleet.close()
            server.stop()
        for phase, path in profiles.items():
            if path is None or not path.exists() or not path.stat().st_size:
                self.notes.append(f"profile {phase}: py-spy wrote nothing (see {self.workdir})")
                continue
            self.record("profile", phase, summarise_profile(path.read_text()) | {"raw": str(path)})


@contextmanager
def spying(bench: Bench, pyspy: str, pid: int, phase: str) -> Iterator[Path | None]:
    """py-spy recording `pid` (raw collapsed stacks, 100 Hz, not pausing it) for the block; yields the
    file, or None when py-spy could not attach (the reason goes into the notes)."""
    path = bench.workdir / f"py-spy-{phase}.txt"
    command = [
        pyspy,
        "record",
        "--pid",
        str(pid),
        "--format",
        "raw",
        "--rate",
        "100",
        "--nonblocking",
        "--gil",
        "--function",
    ]
    process = subprocess.Popen(
        [*command, "--output", str(path)], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    time.sleep(1.0)
    if process.poll() is not None:
        bench.notes.append(
            f"profile {phase}: py-spy could not attach ({process.stdout.read().strip()[:300]}); "
            "ptrace may be forbidden here: profile in-process (yappi) instead"
        )
        yield None
        return
    try:
        yield path
    finally:
        process.send_signal(signal.SIGINT)  # py-spy writes its file when interrupted
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()


# Where a sample's time goes: the innermost frame that belongs to one of these (first match wins,
# in stack order from the leaf), and whether the stack passes through it at all.
PROFILE_GROUPS = {
    "database driver (sqlite3, psycopg2)": ("sqlite3/", "psycopg"),
    "SQLAlchemy": ("sqlalchemy/",),
    "JSON (json/, orjson)": ("json/", "orjson"),
    "pydantic validation": ("pydantic",),
    "Flask contexts and request copies (flask/, werkzeug/)": ("flask/", "werkzeug/"),
    "Flask-SocketIO dispatch (flask_socketio/)": ("flask_socketio/",),
    "python-socketio / engineio packets": ("socketio/", "engineio/"),
    "eventlet hub, green sockets, tpool": ("eventlet/",),
    "this project (conference/)": ("conference/",),
}


def frame_group(frame: str) -> str | None:
    for group, needles in PROFILE_GROUPS.items():
        if any(needle in frame for needle in needles):
            return group
    return None


def summarise_profile(raw: str) -> dict:
    """py-spy raw output (`frame;frame;... count` a line, outermost first) -> what takes the time."""
    total = 0
    own: Counter = Counter()
    inclusive: Counter = Counter()
    group_own: Counter = Counter()
    group_inclusive: Counter = Counter()
    for line in raw.splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack or not count.isdigit():
            continue
        n = int(count)
        total += n
        frames = stack.split(";")
        own[frames[-1]] += n
        for frame in set(frames):
            if "conference/" in frame:
                inclusive[frame] += n
        groups = [frame_group(frame) for frame in frames]
        innermost = next((g for g in reversed(groups) if g), "other (standard library, C code)")
        group_own[innermost] += n
        for group in set(groups) - {None}:
            group_inclusive[group] += n
    if not total:
        return {"samples": 0}

    def share(n: int) -> float:
        return round(100 * n / total, 1)

    return {
        "samples": total,
        "groups": [(g, share(n), share(group_inclusive.get(g, n))) for g, n in group_own.most_common()],
        "top_own": [(f, share(n)) for f, n in own.most_common(12)],
        "top_project": [(f, share(n)) for f, n in inclusive.most_common(12)],
    }


# =========================================================================== RESULTS.md


def versions() -> dict[str, str]:
    from importlib.metadata import PackageNotFoundError, version

    found = {"Python": platform.python_version()}
    for package in (
        "Flask",
        "Flask-SocketIO",
        "python-socketio",
        "python-engineio",
        "eventlet",
        "SQLAlchemy",
    ):
        try:
            found[package] = version(package)
        except PackageNotFoundError:
            found[package] = "not installed"
    found["psycopg2"] = _version_or("psycopg2-binary")
    for label, command in (
        ("Node", ["node", "--version"]),
        ("nginx", ["nginx", "-v"]),
        ("PostgreSQL", ["psql", "--version"]),
        ("Redis", ["redis-server", "--version"]),
    ):
        try:
            out = subprocess.run(command, capture_output=True, text=True, check=False, timeout=10)
            found[label] = (out.stdout + out.stderr).strip().splitlines()[0]
        except (OSError, IndexError, subprocess.TimeoutExpired):
            found[label] = "not found"
    for label, folder, package in (
        ("socket.io (server)", NODE_DIR, "socket.io"),
        ("socket.io-client (fleet)", FLEET_DIR, "socket.io-client"),
    ):
        lock = json.loads((folder / "package-lock.json").read_text())
        found[label] = lock["packages"][f"node_modules/{package}"]["version"]
    return found


def _version_or(package: str) -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(package)
    except PackageNotFoundError:
        return "not installed"


def machine() -> str:
    model = "unknown CPU"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            model = line.split(":", 1)[1].strip()
            break
    memory = int(re.search(r"MemTotal:\s+(\d+)", Path("/proc/meminfo").read_text()).group(1)) // 1024
    return f"{os.cpu_count()} CPUs ({model}), {memory:,} MiB RAM, Linux {platform.release()}"


def git_commit() -> str:
    try:
        head = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True, check=False
        )
        dirty = subprocess.run(
            ["git", "status", "--porcelain"], cwd=ROOT, capture_output=True, text=True, check=False
        )
        return head.stdout.strip() + (" (with uncommitted changes)" if dirty.stdout.strip() else "")
    except OSError:
        return "unknown"


def verdict(ok: bool | None, why: str) -> str:
    if ok is None:
        return "not measured"
    return "met" if ok else f"missed — {why}"


def run_facts(started: float, load: tuple[float, float, float], argv: list[str]) -> dict:
    """When, where and what ran: the header of RESULTS.md (kept in RESULTS.json with the figures)."""
    return {
        "date": f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC",
        "minutes": round((time.time() - started) / 60, 1),
        "load": list(load),
        "machine": machine(),
        "commit": git_commit(),
        "versions": versions(),
        "argv": argv,
    }


def write_results(bench: Bench, facts: dict, path: Path) -> None:
    args, r = bench.args, bench.results
    load = facts["load"]
    lines = [
        "# Live engine benchmark (issue #13)",
        "",
        "Written by `bench/live_engine.py`; re-run it to replace this file.",
        "",
    ]
    loaded = load[0] > (os.cpu_count() or 1)  # more runnable work than cores when it started
    if args.quick or loaded:
        what = "A quick run" if args.quick else "A run"
        where = (
            f" on a loaded machine (load average {load[0]:.1f} on {os.cpu_count()} cores)" if loaded else ""
        )
        size = "Small numbers of clients (`--quick`)" if args.quick else "Full size"
        beside = ", with other work running beside it" if loaded else ""
        lines += [
            f"> **{what}{where}.** {size}{beside}: these figures prove the script end to end and are "
            "**not** the issue's measurements. Re-run `bench/live_engine.py` (full size) on a quiet machine.",
            "",
        ]
    lines += [
        f"- Date: {facts['date']}, the run took {facts['minutes']:.1f} min",
        f"- Machine: {facts['machine']}; load average when it started {load[0]:.2f} / {load[1]:.2f} / {load[2]:.2f}",
        f"- Git commit: {facts['commit']}",
        "- Versions: " + ", ".join(f"{k} {v}" for k, v in facts["versions"].items()),
        f"- Command: `{' '.join(['bench/live_engine.py', *facts['argv']])}`",
        f"- Fleet: {args.fleet_processes} Node socket.io-client processes, WebSocket transport, "
        f"{args.connect_concurrency} handshakes in flight per process; a failed connect or join is retried "
        "after 1 s, 3 times (as a page reconnects), the retries are counted",
        "",
    ]
    targets = [t for t in TARGETS if t in args.targets]
    cell = lambda scenario, target, fn: (  # noqa: E731
        fn(r[scenario][target]) if target in r.get(scenario, {}) else "–"
    )
    if r.get("join") or r.get("vote") or r.get("qa"):
        lines += [f"## {args.clients:,} clients in one room", ""]
        lines += ["| | " + " | ".join(TARGET_NAMES[t] for t in targets) + " |"]
        lines += ["| --- |" + " --- |" * len(targets)]
        rows = [
            ("join", "connect + join (all at once)", lambda f: f"{f['seconds']:.1f} s"),
            ("join", "join p50 / p99", lambda f: f"{fmt_ms(f['p50_ms'])} / {fmt_ms(f['p99_ms'])}"),
            (
                "join",
                "joined / failed (connect retries)",
                lambda f: f"{f['joined']} / {f['failed']} ({f['retried']})",
            ),
            (
                "join",
                "server CPU / fleet CPU",
                lambda f: f"{f['server_cpu_s']:.1f} s / {f['fleet_cpu_s']:.1f} s",
            ),
            ("vote", "votes per second", lambda f: f"{f['votes_per_s']:,.0f}"),
            ("vote", "vote ack p50 / p99", lambda f: f"{fmt_ms(f['p50_ms'])} / {fmt_ms(f['p99_ms'])}"),
            ("vote", "votes accepted / lost", lambda f: f"{f['accepted']} / {f['lost']}"),
            ("vote", "every client holds the exact total", lambda f: fmt_s(f["exact_s"])),
            ("vote", "server CPU per vote", lambda f: f"{f['server_cpu_ms_per_vote']:.2f} ms"),
            (
                "vote",
                "server CPU / fleet CPU",
                lambda f: f"{f['server_cpu_s']:.1f} s / {f['fleet_cpu_s']:.1f} s",
            ),
            (
                "qa",
                "Q&A: questions / upvotes a second",
                lambda f: f"{f['questions_per_s']:g} / {f['upvotes_per_s']:g}",
            ),
            (
                "qa",
                "Q&A: ask ack p50 / p99",
                lambda f: f"{fmt_ms(f['ask_p50_ms'])} / {fmt_ms(f['ask_p99_ms'])}",
            ),
            (
                "qa",
                "Q&A: upvote ack p50 / p99",
                lambda f: f"{fmt_ms(f['upvote_p50_ms'])} / {fmt_ms(f['upvote_p99_ms'])}",
            ),
            (
                "qa",
                "Q&A: new question delivery p50 / p99",
                lambda f: f"{fmt_ms(f['delivery_p50_ms'])} / {fmt_ms(f['delivery_p99_ms'])}",
            ),
            (
                "qa",
                "Q&A: deliveries received / expected",
                lambda f: f"{f['deliveries']:,} / {f['deliveries_expected']:,}",
            ),
            (
                "qa",
                "Q&A: refused (by code)",
                lambda f: ", ".join(f"{k} {v}" for k, v in f["errors"].items()) or "none",
            ),
        ]
        for scenario, label, fn in rows:
            if r.get(scenario):
                lines.append(f"| {label} | " + " | ".join(cell(scenario, t, fn) for t in targets) + " |")
        lines.append("")
    if r.get("idle"):
        lines += [f"## {args.idle_clients:,} idle clients (connected and joined)", ""]
        lines += [
            "| | " + " | ".join(TARGET_NAMES[t] for t in targets) + " |",
            "| --- |" + " --- |" * len(targets),
        ]
        for label, fn in (
            ("server RSS per client", lambda f: f"{f['kb_per_client']:.1f} KB"),
            (
                "RSS before / after",
                lambda f: f"{f['rss_before_kb'] / 1024:.0f} / {f['rss_after_kb'] / 1024:.0f} MiB",
            ),
            (
                "joined / failed / dropped (connect retries)",
                lambda f: f"{f['joined']} / {f['failed']} / {f['dropped']} ({f['retried']})",
            ),
            ("time to connect and join", lambda f: f"{f['join_seconds']:.1f} s"),
        ):
            lines.append(f"| {label} | " + " | ".join(cell("idle", t, fn) for t in targets) + " |")
        lines.append("")
    if r.get("checkin"):
        first = next(iter(r["checkin"].values()))
        lines += [f"## Check-in rush ({first['scanners']} concurrent scanners over HTTP, this project)", ""]
        for label, f in r["checkin"].items():
            lines += [
                f"- **{checkin_setting(label)}**: {f['scans']:,} scans ({f['badges']} badges, repeats and forged "
                f"codes included): **{f['scans_per_s']:,.0f} scans/s**, p50 {fmt_ms(f['p50_ms'])}, "
                f"**p99 {fmt_ms(f['p99_ms'])}**; server CPU {f['server_cpu_s']:.1f} s "
                f"({1000 * f['server_cpu_s'] / max(1, f['scans']):.1f} ms a scan), fleet CPU "
                f"{f['fleet_cpu_s']:.1f} s; results: "
                + ", ".join(f"{k} {v}" for k, v in sorted(f["results"].items())),
            ]
        lines.append("")
    if r.get("workers"):
        lines += [
            "## Workers: `conference serve --workers N`, PostgreSQL + Redis, nginx (deploy/nginx/conference.conf)",
            "",
            "A chat storm in one room: every client receives every line (broadcast throughput).",
            "",
            "| workers | joined / clients | lines | deliveries/s | delivery p50 / p99 | received / expected | server CPU | fleet CPU |",
            "| --- | --- | --- | --- | --- | --- | --- | --- |",
        ]
        for count, f in sorted(r["workers"].items(), key=lambda item: int(item[0])):
            lines.append(
                f"| {count} | {f['joined']} / {f['clients']} | {f['messages']} | {f['deliveries_per_s']:,.0f} | "
                f"{fmt_ms(f['delivery_p50_ms'])} / {fmt_ms(f['delivery_p99_ms'])} | "
                f"{f['deliveries']:,} / {f['deliveries_expected']:,} | {f['server_cpu_s']:.1f} s | {f['fleet_cpu_s']:.1f} s |"
            )
        lines.append("")
    lines += targets_table(bench)
    if r.get("profile"):
        lines += [
            "## Profiles (py-spy, 100 Hz, samples holding the GIL, attached to the project's server)",
            "",
        ]
        for phase, f in r["profile"].items():
            lines += [
                f"### {phase} storm ({f['samples']:,} samples; raw stacks in `bench/profiles/{Path(f['raw']).name}`, not committed)",
                "",
            ]
            lines += ["| where the time goes (innermost) | own % | on the stack % |", "| --- | --- | --- |"]
            lines += [f"| {group} | {own} | {incl} |" for group, own, incl in f.get("groups", [])]
            lines += ["", "Most own time (the innermost frame):", ""]
            lines += [f"- {pct} % `{frame}`" for frame, pct in f.get("top_own", [])]
            lines += ["", "The project's functions by inclusive time:", ""]
            lines += [f"- {pct} % `{frame}`" for frame, pct in f.get("top_project", [])]
            lines.append("")
    for scenario, by_target in r.items():
        for target, figures in by_target.items():
            for key in ("errors", "join_errors"):
                if figures.get(key):
                    codes = ", ".join(f"{code} {n}" for code, n in figures[key].items())
                    bench.notes.append(f"{scenario} / {target}: refused or failed ({key}): {codes}")
    if bench.notes:
        lines += ["## Notes", ""] + [f"- {note}" for note in bench.notes] + [""]
    path.write_text("\n".join(lines))


def profile_hint(bench: Bench, phase: str) -> str:
    """What the py-spy profile of that storm shows, in one clause (or where to look)."""
    f = bench.results.get("profile", {}).get(phase)
    if not f or not f.get("samples"):
        return f"no {phase} profile in this run (scenario `profile`)"
    groups = ", ".join(f"{group.split(' (')[0]} {own} %" for group, own, _ in f["groups"][:3])
    wrappers = (
        "conference/realtime.py",
        "conference/socket_edges.py",
        "conference/websocket_transport.py",  # the WebSocket's entry: on every stack of the socket
        "LiveSocket._websocket_handler (conference/live_connections.py",  # the socket's reader loop
        "conference/offload.py",
        "database.py",
    )
    project = [(frame, pct) for frame, pct in f["top_project"] if not any(w in frame for w in wrappers)]
    heaviest = (
        f"; the heaviest project function (the event wrappers aside): `{project[0][0]}` ({project[0][1]} %)"
        if project
        else ""
    )
    return f"py-spy ({phase} storm), where the server's Python time goes: {groups}{heaviest}"


def per_event(figures: dict, key: str, count_key: str) -> float | None:
    count = figures.get(count_key) or 0
    return 1000 * figures[key] / count if count and figures.get(key) is not None else None


def checkin_setting(label: str) -> str:
    """The check-in rush's server set-up by its results key: "project" or "<n> workers"."""
    return "one worker, SQLite" if label == "project" else f"{label}, PostgreSQL + Redis behind nginx"


def gevent_rows(r: dict) -> list[tuple[str, str, str]]:
    """Item 5: eventlet stays the default; the same run says by how much gevent is faster or slower."""
    compared = [
        ("join", "seconds", "join storm time", lambda v: f"{v:.1f} s", False),
        ("vote", "votes_per_s", "votes per second", lambda v: f"{v:,.0f}", True),
        ("vote", "exact_s", "every client exact", lambda v: f"{v:.2f} s", False),
        ("idle", "kb_per_client", "RSS per idle client", lambda v: f"{v:.0f} KB", False),
        ("idle", "join_seconds", "idle clients connected and joined", lambda v: f"{v:.0f} s", False),
    ]
    rows = []
    for scenario, key, label, show, more_is_better in compared:
        eventlet = r.get(scenario, {}).get("project", {}).get(key)
        gevent = r.get(scenario, {}).get("gevent", {}).get(key)
        if not eventlet or not gevent:
            continue
        ratio = gevent / eventlet if more_is_better else eventlet / gevent
        rows.append(
            (
                f"gevent beside eventlet: {label}",
                f"gevent {show(gevent)} vs eventlet {show(eventlet)}",
                f"measured — gevent holds {gevent / eventlet:.2f}× eventlet's memory per client"
                if key == "kb_per_client"
                else f"measured — gevent is {ratio:.2f}× as fast",
            )
        )
    return rows


def targets_table(bench: Bench) -> list[str]:
    """The issue's targets beside the measured figures, with met / missed — why (from the figures
    and the profiles of this run)."""
    r = bench.results

    def get(scenario: str, target: str, key: str):
        return r.get(scenario, {}).get(target, {}).get(key)

    rows = []
    votes, bare_votes = get("vote", "project", "votes_per_s"), get("vote", "bare", "votes_per_s")
    cpu, bare_cpu = (
        get("vote", "project", "server_cpu_ms_per_vote"),
        get("vote", "bare", "server_cpu_ms_per_vote"),
    )
    if votes is not None and bare_votes is not None:
        why = f"server CPU {cpu:.1f} ms per vote against the bare stack's {bare_cpu:.1f} ms; " + profile_hint(
            bench, "vote"
        )
        rows.append(
            (
                "vote storm: votes/s ≥ the bare stack's",
                f"{votes:,.0f} vs {bare_votes:,.0f}",
                verdict(votes >= bare_votes, why),
            )
        )
    lost = get("vote", "project", "lost")
    if lost is not None:
        rows.append(
            (
                "vote storm: 0 lost",
                str(lost),
                verdict(lost == 0, "acknowledged votes are missing from the tally or the database"),
            )
        )
    exact, bare_exact = get("vote", "project", "exact_s"), get("vote", "bare", "exact_s")
    if exact is not None and bare_exact:
        p99 = get("vote", "project", "p99_ms")
        why = f"the last acks come late (p99 {fmt_ms(p99)}), and the tally follows them; " + profile_hint(
            bench, "vote"
        )
        rows.append(
            (
                "vote storm: every client exact within 1.5× the bare stack's time",
                f"{exact:.2f} s vs {bare_exact:.2f} s ({exact / bare_exact:.2f}×)",
                verdict(exact <= 1.5 * bare_exact, why),
            )
        )
    join, bare_join = get("join", "project", "seconds"), get("join", "bare", "seconds")
    if join is not None and bare_join:
        project_join = r["join"]["project"]
        bare_cpu_join = r["join"]["bare"]
        why = (
            f"server CPU {per_event(project_join, 'server_cpu_s', 'joined'):.1f} ms per join against the bare "
            f"stack's {per_event(bare_cpu_join, 'server_cpu_s', 'joined'):.1f} ms; "
            + profile_hint(bench, "join")
        )
        rows.append(
            (
                "join storm within 1.2× the bare stack's time",
                f"{join:.1f} s vs {bare_join:.1f} s ({join / bare_join:.2f}×)",
                verdict(join <= 1.2 * bare_join, why),
            )
        )
    per_client, bare_client = get("idle", "project", "kb_per_client"), get("idle", "bare", "kb_per_client")
    if per_client is not None:
        why = (
            f"the bare Flask-SocketIO + eventlet app holds {bare_client:.0f} KB per client by itself (Node: "
            f"{get('idle', 'node', 'kb_per_client') or 0:.0f} KB), and it keeps almost nothing per socket "
            f"itself: most of the cost is eventlet + Flask-SocketIO's own per-connection state; "
            + (
                f"the project adds {per_client - bare_client:.0f} KB"
                if per_client >= bare_client
                else f"the project holds {bare_client - per_client:.0f} KB less: it declines the "
                "permessage-deflate the bare app's eventlet accepts (a zlib compressor per socket), "
                "makes eventlet's HTTP write buffer only when a response is written, lets go of the "
                "read buffer and parsed headers once the connection is a WebSocket, pings every "
                "socket from one task and runs a socket's writer task only while frames wait in its "
                "queue (conference/live_connections.py); what is left is the stack's: the reader's "
                "green thread (its saved C stack, about 5 KB by tracemalloc, and its Python frames), "
                "eventlet's per-connection objects and the request's environ (twice: Flask-SocketIO "
                "copies it)"
            )
            if bare_client is not None
            else "per-socket state (no bare run to compare with)"
        )
        rows.append(
            (
                "idle clients held at ≤ 50 KB each",
                f"{per_client:.1f} KB ({bench.args.idle_clients:,} clients)",
                verdict(per_client <= 50, why),
            )
        )
    qa = get("qa", "project", "ack_p99_ms")
    if qa is not None:
        f = r["qa"]["project"]
        events = f["asked"] + f["upvoted"]
        why = (
            f"server CPU {1000 * f['server_cpu_s'] / max(1, events):.1f} ms per question or upvote "
            f"(each broadcast to {f['clients']:,} clients) against the bare stack's "
            f"{1000 * get('qa', 'bare', 'server_cpu_s') / max(1, events):.1f} ms"
            if get("qa", "bare", "server_cpu_s") is not None
            else "see the server CPU per event"
        )
        rows.append(("Q&A burst p99 ≤ 500 ms (ask and upvote acks)", fmt_ms(qa), verdict(qa <= 500, why)))
    for label, f in r.get("checkin", {}).items():
        rate, p99 = f["scans_per_s"], f["p99_ms"]
        per_scan = 1000 * f["server_cpu_s"] / max(1, f["scans"])
        workers = 1 if label == "project" else int(label.split()[0])
        why = (
            f"server CPU {per_scan:.1f} ms per scan: {workers} worker(s) with one hub each can do at most "
            f"{1000 * min(workers, os.cpu_count() or 1) / per_scan:,.0f} scans/s on this machine's "
            f"{os.cpu_count()} cores, and the scanners queue behind each other"
        )
        rows.append(
            (
                f"check-in rush ≥ 400 scans/s, p99 ≤ 100 ms ({checkin_setting(label)})",
                f"{rate:,.0f} scans/s, p99 {fmt_ms(p99)}",
                verdict(rate >= 400 and (p99 or 0) <= 100, why),
            )
        )
    rows += gevent_rows(r)
    one = get("workers", "1", "deliveries_per_s")
    most = max((int(k) for k in r.get("workers", {})), default=0)
    top = get("workers", str(most), "deliveries_per_s")
    if one and top is not None and most > 1:
        f = r["workers"][str(most)]
        why = (
            f"{os.cpu_count()} cores are shared by {most} workers, nginx, Redis, PostgreSQL and the fleet "
            f"(fleet CPU {f['fleet_cpu_s']:.1f} s, servers {f['server_cpu_s']:.1f} s in the storm)"
        )
        rows.append(
            (
                f"four workers ≥ 2× one worker's broadcast throughput (here {most} workers)",
                f"{top:,.0f} vs {one:,.0f} deliveries/s ({top / one:.2f}×)",
                verdict(top >= 2 * one, why),
            )
        )
    if not rows:
        return []
    out = ["## The issue's targets", "", "| target | measured | met / missed — why |", "| --- | --- | --- |"]
    out += [f"| {a} | {b} | {c} |" for a, b, c in rows]
    if bench.args.quick:
        out += ["", "(A quick run: the targets are stated for 2,000 / 10,000 clients on a quiet machine.)"]
    return [*out, ""]


# =========================================================================== main


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes: every scenario in < 2 minutes")
    parser.add_argument("--clients", type=int, help="clients in the room (join, vote, qa, profile); 2000")
    parser.add_argument("--idle-clients", type=int, help="idle clients; 10000")
    parser.add_argument(
        "--scenarios", default=",".join(SCENARIOS), help=f"comma-separated: {','.join(SCENARIOS)}"
    )
    parser.add_argument("--targets", default=",".join(TARGETS), help=f"comma-separated: {','.join(TARGETS)}")
    parser.add_argument("--fleet-processes", type=int, default=4, help="Node processes holding the clients")
    parser.add_argument(
        "--connect-concurrency", type=int, default=100, help="handshakes in flight per process"
    )
    parser.add_argument(
        "--worker-connect-concurrency",
        type=int,
        default=25,
        help="handshakes in flight per process in the workers scenario (its join is not what is measured)",
    )
    parser.add_argument("--spread", type=float, default=0.0, help="votes are sent within this many seconds")
    parser.add_argument("--qa-seconds", type=float, help="length of the Q&A burst; 10")
    parser.add_argument("--scanners", type=int, default=16)
    parser.add_argument("--scans", type=int, help="check-in scans in the rush; 4000")
    parser.add_argument(
        "--checkin-workers",
        type=int,
        default=2,
        help="the rush again on this many workers (PostgreSQL, Redis, nginx); 1: one worker on SQLite only",
    )
    parser.add_argument("--worker-counts", help="worker counts to compare; 1,2,4")
    parser.add_argument("--worker-clients", type=int, help="clients in the workers' room; 1000")
    parser.add_argument("--chat-senders", type=float, default=0.2, help="share of those clients sending chat")
    parser.add_argument("--idle-settle", type=float, default=5.0, help="seconds before the idle RSS is read")
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/0")
    parser.add_argument("--output", type=Path, default=RESULTS)
    parser.add_argument(
        "--render", metavar="RESULTS.json", help="only write RESULTS.md again from a run's RESULTS.json"
    )
    parser.add_argument("--keep-workdir", action="store_true", help="keep the servers' logs and databases")
    args = parser.parse_args(argv)
    full = {"clients": 2000, "idle_clients": 10000, "qa_seconds": 10.0, "scans": 4000, "worker_clients": 1000}
    quick = {"clients": 100, "idle_clients": 300, "qa_seconds": 2.0, "scans": 300, "worker_clients": 100}
    for key, value in (quick if args.quick else full).items():
        if getattr(args, key) is None:
            setattr(args, key, value)
    if args.worker_counts is None:
        args.worker_counts = "1,2" if args.quick else "1,2,4"
    args.worker_counts = [int(n) for n in args.worker_counts.split(",")]
    args.scenarios = [s.strip() for s in args.scenarios.split(",") if s.strip()]
    args.targets = [t.strip() for t in args.targets.split(",") if t.strip()]
    for name, chosen, allowed in (("scenario", args.scenarios, SCENARIOS), ("target", args.targets, TARGETS)):
        unknown = set(chosen) - set(allowed)
        if unknown:
            parser.error(f"unknown {name}(s): {', '.join(sorted(unknown))}; choose from {', '.join(allowed)}")
    if args.scanners % 2:
        parser.error("--scanners must be even (the scanners are split over two fleet processes)")
    return args


def render(path: Path) -> None:
    """Write RESULTS.md again from a RESULTS.json (after changing the report, without re-running)."""
    saved = json.loads(path.read_text())
    bench = Bench(parse_args(saved["facts"]["argv"]), path.parent)
    bench.results, bench.notes = saved["results"], saved["notes"]
    write_results(bench, saved["facts"], path.with_suffix(".md"))


def main(argv: list[str] | None = None) -> None:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["--render"]:
        return render(Path(argv[1]))
    args = parse_args(argv)
    # A SIGTERM ends the run through the `finally` blocks: servers, nginx and the fleet are stopped.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit("stopped by SIGTERM"))
    started, load = time.time(), os.getloadavg()
    needed = max(args.clients, args.idle_clients if "idle" in args.scenarios else 0) + 1000
    limit = raise_fd_limit(needed)
    log(f"file-descriptor limit {limit} (needed {needed})")
    ensure_node_modules()
    with tempfile.TemporaryDirectory(prefix="live-engine-") as tmp:
        workdir = Path(tmp)
        if args.keep_workdir:
            workdir = Path(tempfile.mkdtemp(prefix="live-engine-kept-"))
            log(f"server logs and profiles are kept in {workdir}")
        bench = Bench(args, workdir)
        per_socket = DESCRIPTORS_PER_SOCKET["gevent"]  # simple-websocket keeps a dup() of each socket
        gevent_idle = per_socket * args.idle_clients + 1000
        if "idle" in args.scenarios and "gevent" in args.targets and limit < gevent_idle:
            bench.notes.append(
                f"idle / gevent: the file-descriptor limit is {limit}, and gevent's server holds "
                f"{per_socket} descriptors a WebSocket ({gevent_idle} needed): connects past about "
                f"{(limit - 1000) // per_socket:,} sockets fail with EMFILE (raise the hard limit to compare)"
            )
            log(bench.notes[-1])
        room = [s for s in ("join", "vote", "qa") if s in args.scenarios]
        for target in args.targets:
            if room:
                bench.room_scenarios(target)
        if "idle" in args.scenarios:
            for target in args.targets:
                bench.idle(target)
        if "checkin" in args.scenarios and "project" in args.targets:
            bench.checkin()
        if "workers" in args.scenarios and "project" in args.targets:
            bench.workers()
        if "profile" in args.scenarios and "project" in args.targets:
            bench.profile()
            keep = args.output.parent / "profiles"
            keep.mkdir(exist_ok=True)
            for raw in workdir.glob("py-spy-*.txt"):
                shutil.copy(raw, keep / raw.name)
        facts = run_facts(started, load, argv)
        saved = {"facts": facts, "results": bench.results, "notes": bench.notes}
        args.output.with_suffix(".json").write_text(json.dumps(saved, indent=1) + "\n")
        write_results(bench, facts, args.output)
    log(f"wrote {args.output} in {(time.time() - started) / 60:.1f} min")


if __name__ == "__main__":
    main()
