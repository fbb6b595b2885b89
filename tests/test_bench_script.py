"""bench/live_engine.py imports and parses its options (the benchmark itself is never run by the suite)."""

from __future__ import annotations

import importlib.util
import sys
from collections import Counter
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[1] / "bench"


@pytest.fixture(scope="module")
def live_engine():
    saved = list(sys.path)  # the script puts bench/ and the project on sys.path
    spec = importlib.util.spec_from_file_location("live_engine", BENCH / "live_engine.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    yield module
    sys.path[:] = saved


def test_quick_and_full_sizes(live_engine):
    quick = live_engine.parse_args(["--quick"])
    assert (quick.clients, quick.idle_clients, quick.worker_counts) == (100, 300, [1, 2])
    full = live_engine.parse_args(["--scenarios", "vote,idle", "--targets", "project,node"])
    assert (full.clients, full.idle_clients, full.worker_counts) == (2000, 10000, [1, 2, 4])
    assert full.scenarios == ["vote", "idle"] and full.targets == ["project", "node"]
    assert live_engine.parse_args(["--quick", "--clients", "50"]).clients == 50


def test_unknown_scenario_is_refused(live_engine, capsys):
    with pytest.raises(SystemExit):
        live_engine.parse_args(["--scenarios", "vote,nap"])
    assert "unknown scenario(s): nap" in capsys.readouterr().err


def test_percentiles_and_profile_summary(live_engine):
    histogram = Counter({10: 98, 500: 1, 900: 1})
    assert live_engine.percentile(histogram, 0.5) == 10
    assert live_engine.percentile(histogram, 0.99) == 500
    assert live_engine.percentile(Counter(), 0.5) is None
    raw = (
        "run (eventlet/greenthread.py:1);vote (conference/rooms/polls/sockets.py:82);"
        "execute (sqlalchemy/engine/base.py:1) 3\n"
        "run (eventlet/greenthread.py:1);send (engineio/socket.py:1) 1\n"
    )
    summary = live_engine.summarise_profile(raw)
    assert summary["samples"] == 4
    assert summary["groups"][0] == ("SQLAlchemy", 75.0, 75.0)
    assert summary["top_project"] == [("vote (conference/rooms/polls/sockets.py:82)", 75.0)]
