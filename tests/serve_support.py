"""`conference serve` (eventlet, as in production) in a subprocess, for tests that need the real
server: cooperative scheduling, the message queue, what it writes to stderr."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import requests
from browser_support import free_port

ROOT = Path(__file__).resolve().parents[1]


@contextmanager
def conference_serve(database_url: str, **environment: str) -> Iterator[tuple[str, Path]]:
    """Start `conference serve` on a free port with `database_url` and extra CONFERENCE_* variables;
    yields (base URL, the file its stderr goes to). Stopped (SIGTERM, then SIGKILL) afterwards."""
    port = free_port()
    env = {
        **os.environ,
        "CONFERENCE_ENV": "development",
        "CONFERENCE_DATABASE_URL": database_url,
        "CONFERENCE_ASYNC_MODE": "eventlet",
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
            cwd=str(ROOT),
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
