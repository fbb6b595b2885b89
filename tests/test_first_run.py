"""The README's first command prints what a person needs; `--verbose` shows library notices and logs too."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from conference.console import command_line, option_value


def _conference(tmp_path, *args: str) -> subprocess.CompletedProcess:
    """Run `conference ARGS` as a new process with the default async mode (eventlet), on a fresh
    database, with stdout and stderr together as a person sees them."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("CONFERENCE_")}
    env.update(
        CONFERENCE_DATABASE_URL=f"sqlite:///{tmp_path / 'first.db'}",
        CONFERENCE_SECRET_KEY="f" * 40,
        CONFERENCE_MAIL_OUTBOX_DIR=str(tmp_path / "outbox"),
        CONFERENCE_UPLOAD_DIR=str(tmp_path / "uploads"),
    )
    env.pop("PYTHONWARNINGS", None)
    return subprocess.run(
        [sys.executable, "-m", "conference", *args],
        check=False,
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        timeout=300,
    )


def test_demo_prints_progress_the_event_and_the_accounts_and_nothing_else(tmp_path):
    result = _conference(tmp_path, "demo")
    assert result.returncode == 0, result.stdout
    lines = result.stdout.splitlines()
    assert lines[0].startswith("database ready: sqlite:///")
    assert "INFO  [alembic" not in result.stdout
    assert "Eventlet" not in result.stdout and "Warning" not in result.stdout
    assert any(line.startswith("demo event: ") for line in lines)
    assert "admin@symposium.example" in result.stdout


def test_verbose_shows_the_migrations_and_library_notices(tmp_path):
    result = _conference(tmp_path, "--verbose", "demo")
    assert result.returncode == 0, result.stdout
    assert "INFO  [alembic.runtime.migration] Running upgrade" in result.stdout
    assert "Eventlet is deprecated" in result.stdout
    assert "admin@symposium.example" in result.stdout


@pytest.mark.parametrize(
    "args, expected",
    [
        (["serve", "--port", "8000"], ("serve", False)),
        (["--verbose", "serve"], ("serve", True)),
        (["-A", "conference.app", "-v", "demo", "--verbose"], ("demo", True)),
        (["--env-file", "serve.env", "init-db"], ("init-db", False)),
        (["--help"], (None, False)),
    ],
)
def test_the_console_finds_the_command_and_the_verbose_flag_before_click_runs(args, expected):
    assert command_line(args) == expected


@pytest.mark.parametrize(
    "args, expected",
    [
        (["serve", "--async-mode", "gevent", "--workers", "2"], "gevent"),
        (["serve", "--async-mode=gevent"], "gevent"),
        (["serve", "--async-mode", "gevent", "--async-mode", "eventlet"], "eventlet"),
        (["serve", "--port", "8000"], None),
        (["serve", "--async-mode"], None),
    ],
)
def test_the_console_reads_the_async_mode_before_it_patches_anything(args, expected):
    assert option_value(args, "--async-mode") == expected


def test_flask_serve_with_another_async_mode_than_the_config_says_is_refused(runner):
    result = runner.invoke(args=["serve", "--async-mode", "gevent"])
    assert result.exit_code == 1
    assert "works with the `conference` command" in result.output
