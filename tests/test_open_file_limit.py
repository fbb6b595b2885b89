"""`conference serve` raises the open-file limit to what its sockets need (two descriptors a socket
under gevent, whose simple-websocket keeps a dup() of each). Each case runs in a child process: the
limit is the process's own."""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys

HARD = resource.getrlimit(resource.RLIMIT_NOFILE)[1]


def limits_after(soft: int, hard: int, call: str) -> dict:
    """In a child whose limits start at (soft, hard): run `call`, return its result and the limits."""
    code = f"""
import json, resource
resource.setrlimit(resource.RLIMIT_NOFILE, ({soft}, {hard}))
from conference import cli
result = {call}
soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
print(json.dumps({{"result": result, "soft": soft, "hard": hard}}))
"""
    env = {key: value for key, value in os.environ.items() if not key.startswith("CONFERENCE_")}
    done = subprocess.run(
        [sys.executable, "-W", "ignore", "-c", code],
        check=False,
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_the_soft_limit_rises_to_what_is_wanted_within_the_hard_one():
    after = limits_after(1024, 8192, "cli.raise_open_file_limit(3000)")
    assert after == {"result": 3000, "soft": 3000, "hard": 8192}


def test_a_limit_high_enough_already_is_left_alone():
    after = limits_after(4096, 8192, "cli.raise_open_file_limit(3000)")
    assert after == {"result": 4096, "soft": 4096, "hard": 8192}


def may_raise_the_hard_limit() -> bool:
    """Whether a child may raise its hard limit (CAP_SYS_RESOURCE: root outside a container, mostly)."""
    code = """
import resource
resource.setrlimit(resource.RLIMIT_NOFILE, (1024, 2048))
try:
    resource.setrlimit(resource.RLIMIT_NOFILE, (3000, 3000))
    print("yes")
except ValueError:
    print("no")
"""
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True
    )
    return done.stdout.strip() == "yes"


def test_past_the_hard_limit_when_the_process_may_else_up_to_it():
    after = limits_after(1024, 2048, "cli.raise_open_file_limit(3000)")
    if may_raise_the_hard_limit():
        assert after == {"result": 3000, "soft": 3000, "hard": 3000}
    else:
        assert after == {"result": 2048, "soft": 2048, "hard": 2048}


def test_gevent_counts_two_descriptors_a_socket():
    sockets = min(5000, (HARD - 1100) // 2)  # both fit under this machine's hard limit
    eventlet = limits_after(1024, HARD, f"cli.prepare_process({sockets}, 'eventlet')")
    gevent = limits_after(1024, HARD, f"cli.prepare_process({sockets}, 'gevent')")
    assert eventlet["soft"] == sockets + 1024
    assert gevent["soft"] == 2 * sockets + 1024
