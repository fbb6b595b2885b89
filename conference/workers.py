"""`conference serve --workers N`: N eventlet worker processes, each a `conference serve` on its own port.

gunicorn (26 and later) has no eventlet worker, and a worker must keep every request of one
Socket.IO client (long-polling) to itself anyway, which a load balancer with sticky sessions does
best when each worker has its own address. So the supervisor starts worker i on PORT+i, restarts
a worker that dies (the others keep serving; its clients reconnect through the load balancer to
another worker and rebuild their state from `join`), and stops them all on SIGTERM or Ctrl-C.
deploy/nginx/conference.conf is a tested load-balancer configuration for these ports.
"""

from __future__ import annotations

import signal
import subprocess
import sys
import time

import click

RESTART_DELAY = 1.0  # seconds before a worker that died is started again
STOP_TIMEOUT = 10.0


def worker_command(host: str, port: int, max_connections: int) -> list[str]:
    return [
        sys.executable,
        "-m",
        "conference",
        "serve",
        "--host",
        host,
        "--port",
        str(port),
        "--max-connections",
        str(max_connections),
    ]


def supervise(host: str, port: int, workers: int, max_connections: int) -> None:
    """Start the workers, restart any that dies, stop them all on SIGTERM/SIGINT; returns when stopped."""
    stopping = False

    def stop(_signum, _frame) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)

    def start(i: int) -> subprocess.Popen:
        process = subprocess.Popen(worker_command(host, port + i, max_connections))
        click.echo(f"worker {i + 1}/{workers}: pid {process.pid} on http://{host}:{port + i}")
        return process

    processes = [start(i) for i in range(workers)]
    died_at: dict[int, float] = {}
    try:
        while not stopping:
            time.sleep(0.2)
            for i, process in enumerate(processes):
                if process.poll() is None:
                    continue
                if i not in died_at:
                    click.echo(
                        f"worker {i + 1}/{workers} (pid {process.pid}) ended with {process.returncode}"
                    )
                    died_at[i] = time.monotonic()
                elif time.monotonic() - died_at[i] >= RESTART_DELAY and not stopping:
                    del died_at[i]
                    processes[i] = start(i)
    finally:
        for process in processes:
            if process.poll() is None:
                process.terminate()
        deadline = time.monotonic() + STOP_TIMEOUT
        for process in processes:
            try:
                process.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        click.echo("all workers stopped")
