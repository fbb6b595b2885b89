"""A real Janus server for tests: Debian's `janus` package, started on loopback ports with a config
of our own (HTTP API only, the videoroom and audiobridge plugins only, an admin key), stopped afterwards.

Without the package the tests skip with the reason, unless CI is set (.ci/run installs it): then a
missing Janus is a failure.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
import urllib.request
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

LIB = Path("/usr/lib/x86_64-linux-gnu/janus")
ADMIN_KEY = "test-admin-key"
PLUGINS = ("libjanus_videoroom.so", "libjanus_audiobridge.so")


@dataclass(frozen=True)
class JanusServer:
    url: str
    admin_key: str


def _require_janus() -> str:
    binary = shutil.which("janus")
    if binary is None or not all((LIB / "plugins" / plugin).exists() for plugin in PLUGINS):
        if os.environ.get("CI"):
            pytest.fail("Janus required in CI: apt-get install janus")
        pytest.skip("Debian's janus package is not installed (apt-get install janus)")
    return binary


def _write_config(folder: Path, port: int) -> None:
    other_plugins = sorted(p.name for p in (LIB / "plugins").glob("libjanus_*.so") if p.name not in PLUGINS)
    other_transports = sorted(
        p.name for p in (LIB / "transports").glob("libjanus_*.so") if p.name != "libjanus_http.so"
    )
    (folder / "janus.jcfg").write_text(
        f"""general: {{
  configs_folder = "{folder}"
  plugins_folder = "{LIB / "plugins"}"
  transports_folder = "{LIB / "transports"}"
  events_folder = "{LIB / "events"}"
  loggers_folder = "{LIB / "loggers"}"
  debug_level = 3
  server_name = "conference-tests"
  session_timeout = 60
}}
media: {{ rtp_port_range = "40000-49999" }}
nat: {{ nice_debug = false }}
plugins: {{ disable = "{",".join(other_plugins)}" }}
transports: {{ disable = "{",".join(other_transports)}" }}
events: {{ broadcast = false }}
loggers: {{ disable = "libjanus_jsonlog.so" }}
"""
    )
    (folder / "janus.transport.http.jcfg").write_text(
        f"""general: {{
  json = "compact"
  base_path = "/janus"
  http = true
  ip = "127.0.0.1"
  port = {port}
  https = false
}}
admin: {{ admin_http = false }}
cors: {{ }}
"""
    )
    (folder / "janus.plugin.videoroom.jcfg").write_text(
        f"""general: {{
  admin_key = "{ADMIN_KEY}"
  lock_rtp_forward = true
}}
"""
    )
    (folder / "janus.plugin.audiobridge.jcfg").write_text(
        f"""general: {{
  admin_key = "{ADMIN_KEY}"
  lock_rtp_forward = true
}}
"""
    )


@contextmanager
def running_janus(tmp_path: Path, port: int):
    binary = _require_janus()
    folder = tmp_path / "janus"
    folder.mkdir()
    _write_config(folder, port)
    log = open(folder / "janus.log", "w+b")  # noqa: SIM115 -- Janus writes to it until it stops
    process = subprocess.Popen(
        [binary, "-F", str(folder), "-C", str(folder / "janus.jcfg"), "-o", "-X", "docker,veth"],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}/janus"
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                with urllib.request.urlopen(f"{url}/info", timeout=1) as answer:
                    info = json.loads(answer.read())
                if {"janus.plugin.videoroom", "janus.plugin.audiobridge"} <= set(info.get("plugins", {})):
                    break
            except OSError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                log.seek(0)
                pytest.fail(f"Janus did not start:\n{log.read().decode(errors='replace')[-3000:]}")
            time.sleep(0.2)
        yield JanusServer(url, ADMIN_KEY)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()
