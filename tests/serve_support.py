"""Real `conference serve` processes for the tests marked `real_server`: the command people run, on a
loopback port, on a database the test prepared, in the test's async mode (each such test runs once
in eventlet and once in gevent; `pytest --async-mode gevent` runs only one). Flask-SocketIO's test
client never goes through eventlet or gevent (it calls the handlers in the test's thread), so these
tests are the ones that show the two modes behave alike."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import requests
import socketio as socketio_client
from browser_support import free_port

PROJECT_DIR = Path(__file__).resolve().parents[1]
START_TIMEOUT = 60
NGINX_CONF = PROJECT_DIR / "deploy" / "nginx" / "conference.conf"
ASYNC_MODE = "eventlet"  # the test's mode, set by the `async_mode` fixture of tests/conftest.py


def serve_env(database_url: str, **extra: str) -> dict[str, str]:
    """The environment of a served process: the test's database, this run's async mode, nothing inherited."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("CONFERENCE_")}
    env.update(
        CONFERENCE_ENV="testing",  # the test's secret key and fast password hashing
        CONFERENCE_ASYNC_MODE=ASYNC_MODE,
        CONFERENCE_DATABASE_URL=database_url,
        # Production's coalescing (the testing config refreshes dashboards and presence at every change).
        CONFERENCE_ATTENDANCE_BROADCAST_SECONDS="5",
        CONFERENCE_ROOMS_PRESENCE_COALESCE_SECONDS="0.5",
    )
    env.update(extra)
    env.pop("PYTHONWARNINGS", None)
    return env


def start_server(database_url: str, port: int | None = None, *, args=(), **extra: str):
    """Start `conference serve` and wait until it answers HTTP; returns (process, base URL)."""
    [(process, url)] = start_servers(1, database_url, port, args=args, **extra)
    return process, url


def start_servers(count: int, database_url: str, port: int | None = None, *, args=(), **extra: str):
    """Start `count` `conference serve` processes at once (on `port`, `port + 1`, ... or free ports)
    and wait until each answers HTTP; returns [(process, base URL), ...]. Started together, they
    take the time of one start or little more."""
    started = []
    for index in range(count):
        served_port = port + index if port else free_port()
        process = subprocess.Popen(
            [sys.executable, "-m", "conference", "serve", "--port", str(served_port), *args],
            cwd=str(PROJECT_DIR),
            env=serve_env(database_url, **extra),
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        started.append((process, f"http://127.0.0.1:{served_port}"))
    try:
        for process, url in started:
            wait_until_up(process, url)
    except BaseException:
        for process, _ in started:
            stop(process)
        raise
    return started


def wait_until_up(process: subprocess.Popen, url: str) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"the server ended with {process.returncode}: {process.stdout.read()}")
        try:
            requests.get(url + "/", timeout=2)
            return
        except (requests.ConnectionError, requests.Timeout):  # not listening yet, or not answering yet
            time.sleep(0.1)
    stop(process)
    raise AssertionError(f"the server at {url} did not answer within {START_TIMEOUT} s")


def stop(process: subprocess.Popen) -> str:
    """Terminate the process (and wait for it); returns what it printed."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)
    if process.stdout is None:
        return ""
    with process.stdout:  # closed here, not by the garbage collector (a ResourceWarning)
        return process.stdout.read()


@contextmanager
def served(database_url: str, **extra: str) -> Iterator[str]:
    """One `conference serve` process for the block; yields its base URL."""
    process, url = start_server(database_url, **extra)
    try:
        yield url
    finally:
        output = stop(process)
        if "Traceback" in output:
            print(output)  # shown by pytest when the test fails


def live_client(url: str, token: str, **options) -> socketio_client.Client:
    """A python-socketio client connected to `url`'s /live over WebSocket with an API token."""
    client = socketio_client.Client(reconnection=options.pop("reconnection", False), **options)
    client.connect(
        url, namespaces=["/live"], transports=["websocket"], auth={"token": token}, wait_timeout=15
    )
    return client


@contextmanager
def conference_serve(database_url: str, **environment: str) -> Iterator[tuple[str, Path]]:
    """Start `conference serve` on a free port with `database_url` and extra CONFERENCE_* variables;
    yields (base URL, the file its stderr goes to). Stopped (SIGTERM, then SIGKILL) afterwards."""
    port = free_port()
    env = {
        **os.environ,
        "CONFERENCE_ENV": "development",
        "CONFERENCE_DATABASE_URL": database_url,
        "CONFERENCE_ASYNC_MODE": ASYNC_MODE,
        "CONFERENCE_SECRET_KEY": "serve-support-secret-key-serve-support!",
        "CONFERENCE_MAIL_BACKGROUND_SENDER": "0",
        "CONFERENCE_CHECKIN_AUTO_CHECKOUT": "0",
        **environment,
    }
    with tempfile.NamedTemporaryFile("w+b", suffix=".log", delete=False) as log:
        stderr_path = Path(log.name)
        server = subprocess.Popen(
            [sys.executable, "-m", "conference", "serve", "--port", str(port)],
            env=env,
            cwd=str(PROJECT_DIR),
            stdout=subprocess.DEVNULL,
            stderr=log,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                requests.get(f"{base}/healthz", timeout=2)
                break
            except requests.ConnectionError:
                if server.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"server did not start: {stderr_path.read_text()[-3000:]}") from None
                time.sleep(0.2)
        yield base, stderr_path
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait(timeout=10)
        stderr_path.unlink(missing_ok=True)


def free_port_pair() -> int:
    """A port P with P+1 free too (the workers listen on consecutive ports)."""
    for _ in range(50):
        port = free_port()
        try:
            with socket.socket() as probe:
                probe.bind(("127.0.0.1", port + 1))
            return port
        except OSError:
            continue
    raise AssertionError("no two consecutive free ports")


def start_nginx(
    directory: Path, listen: int, worker_ports: list[int], worker_connections: int = 4096
) -> subprocess.Popen:
    """nginx (Debian's package) in the foreground with the repository's deploy/nginx/conference.conf,
    moved to loopback ports: it listens on `listen` and balances over one upstream line per worker
    port (the file lists two, for ports 5000 and 5001). Used by tests/live_engine/test_workers.py
    and bench/live_engine.py."""
    site = NGINX_CONF.read_text()
    upstream = [
        line for line in site.splitlines(keepends=True) if line.strip().startswith("server 127.0.0.1:")
    ]
    assert site.count("listen 80;") == 1, "deploy/nginx/conference.conf no longer has 'listen 80;'"
    assert [line.split()[1] for line in upstream] == ["127.0.0.1:5000", "127.0.0.1:5001"], (
        "deploy/nginx/conference.conf no longer lists the workers on 127.0.0.1:5000 and :5001"
    )
    servers = "".join(upstream[0].replace("127.0.0.1:5000", f"127.0.0.1:{port}") for port in worker_ports)
    site = site.replace(upstream[0] + upstream[1], servers).replace(
        "listen 80;", f"listen 127.0.0.1:{listen};"
    )
    (directory / "conference.conf").write_text(site)
    temp = {name: directory / name for name in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")}
    main = f"""
user root;
pid {directory}/nginx.pid;
error_log {directory}/error.log warn;
daemon off;
worker_processes 1;
worker_rlimit_nofile {2 * worker_connections + 64};
events {{ worker_connections {worker_connections}; }}
http {{
    access_log off;
    client_body_temp_path {temp["client_body"]};
    proxy_temp_path {temp["proxy"]};
    fastcgi_temp_path {temp["fastcgi"]};
    uwsgi_temp_path {temp["uwsgi"]};
    scgi_temp_path {temp["scgi"]};
    include {directory}/conference.conf;
}}
"""
    (directory / "nginx.conf").write_text(main)
    binary = shutil.which("nginx", path=os.environ.get("PATH", "") + ":/usr/sbin")
    assert binary, "no nginx binary (Debian's nginx package)"
    process = subprocess.Popen(
        [binary, "-p", str(directory), "-c", str(directory / "nginx.conf")],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    wait_until_up(process, f"http://127.0.0.1:{listen}")
    return process
