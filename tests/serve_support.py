"""Real `conference serve` processes for the live-engine tests: the production async mode (eventlet),
the command people run, on a loopback port, on a database the test prepared."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import requests
import socketio as socketio_client
from browser_support import free_port

PROJECT_DIR = Path(__file__).resolve().parents[1]
START_TIMEOUT = 60


def serve_env(database_url: str, **extra: str) -> dict[str, str]:
    """The environment of a served process: the test's database, the eventlet mode, nothing inherited."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("CONFERENCE_")}
    env.update(
        CONFERENCE_ENV="testing",  # the test's secret key and fast password hashing
        CONFERENCE_ASYNC_MODE="eventlet",
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
    port = port or free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "conference", "serve", "--port", str(port), *args],
        cwd=str(PROJECT_DIR),
        env=serve_env(database_url, **extra),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    url = f"http://127.0.0.1:{port}"
    wait_until_up(process, url)
    return process, url


def wait_until_up(process: subprocess.Popen, url: str) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"the server ended with {process.returncode}: {process.stdout.read()}")
        try:
            requests.get(url + "/", timeout=2)
            return
        except requests.ConnectionError:
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
    return process.stdout.read() if process.stdout else ""


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
