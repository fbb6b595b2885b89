"""Config: every key the code reads is declared once, CONFERENCE_* variables are checked, and
production always sends cookies over HTTPS only."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from conference import create_app
from conference.config import ENV_NAME_VARIABLE, SETTINGS, Config, ConfigError, read_environment

PROJECT = Path(__file__).resolve().parent.parent
# app.config["KEY"], config.get("KEY"...), and mail/sender.py's _config("KEY", ...)
READ_KEY = re.compile(r"""(?:config\[|config\.get\(|\b_config\()\s*["']([A-Z][A-Z0-9_]*)["']""")


def _app(tmp_path, env_name="development", **overrides):
    return create_app(
        {
            "ENV_NAME": env_name,
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'c.db'}",
            "SECRET_KEY": "s" * 40,
            "SOCKETIO_ASYNC_MODE": "threading",
            **({"PUBLIC_BASE_URL": "https://symposium.example"} if env_name == "production" else {}),
            **overrides,
        }
    )


def test_every_key_the_code_reads_is_declared_with_a_default():
    declared = {setting.key for setting in SETTINGS}
    read = {
        key
        for path in (PROJECT / "conference").rglob("*.py")
        for key in READ_KEY.findall(path.read_text(encoding="utf-8"))
    }
    assert read and read <= declared, sorted(read - declared)
    assert len(declared) == len(SETTINGS)
    for setting in SETTINGS:
        assert getattr(Config, setting.key) == setting.default


def test_the_readme_lists_every_variable():
    readme = (PROJECT / "README.md").read_text(encoding="utf-8")
    variables = {setting.variable for setting in SETTINGS if setting.variable} | {ENV_NAME_VARIABLE}
    assert {variable for variable in variables if f"`{variable}`" not in readme} == set()


def test_variables_are_read_into_their_types():
    values = read_environment(
        {
            "CONFERENCE_ATTENDANCE_GRACE_SECONDS": "90",
            "CONFERENCE_ATTENDANCE_BROADCAST_SECONDS": "2.5",
            "CONFERENCE_ALLOWED_ORIGINS": "https://a.example, https://b.example,",
            "CONFERENCE_SECURE_COOKIES": "yes",
            "CONFERENCE_PUBLIC_BASE_URL": "https://symposium.example/",
            "CONFERENCE_MAX_UPLOAD_MB": "",
            "CONFERENCE_SOCKETIO_CHANNEL": "symposium",
            "CONFERENCE_CHECKIN_AUTO_CHECKOUT": "off",
        }
    )
    assert values == {
        "ATTENDANCE_GRACE_SECONDS": 90,
        "ATTENDANCE_BROADCAST_SECONDS": 2.5,
        "SOCKETIO_ALLOWED_ORIGINS": ["https://a.example", "https://b.example"],
        "SESSION_COOKIE_SECURE": True,
        "REMEMBER_COOKIE_SECURE": True,
        "PUBLIC_BASE_URL": "https://symposium.example",
        "SOCKETIO_CHANNEL": "symposium",
        "CHECKIN_AUTO_CHECKOUT": False,
    }


@pytest.mark.parametrize(
    "variable, value",
    [
        ("CONFERENCE_ATTENDANCE_GRACE_SECONDS", "abc"),
        ("CONFERENCE_ATTENDANCE_GRACE_SECONDS", "-5"),
        ("CONFERENCE_ATTENDANCE_BROADCAST_SECONDS", "soon"),
        ("CONFERENCE_MAX_UPLOAD_MB", "0"),
        ("CONFERENCE_MAX_UPLOAD_MB", "nan"),
        ("CONFERENCE_ASYNC_MODE", "fibers"),
        ("CONFERENCE_SECURE_COOKIES", "maybe"),
        ("CONFERENCE_MAIL_MAX_ATTEMPTS", "0"),
    ],
)
def test_a_bad_value_is_refused_with_a_message_naming_the_variable(tmp_path, monkeypatch, variable, value):
    monkeypatch.setenv(variable, value)
    with pytest.raises(ConfigError) as refused:
        _app(tmp_path)
    assert variable in str(refused.value) and repr(value) in str(refused.value)
    assert "expected" in str(refused.value)


def test_an_unknown_environment_name_is_refused(monkeypatch):
    monkeypatch.setenv(ENV_NAME_VARIABLE, "staging")
    with pytest.raises(ConfigError, match="CONFERENCE_ENV 'staging'"):
        create_app()


def test_the_command_line_reports_a_bad_value_without_a_traceback(tmp_path):
    env = {
        **os.environ,
        "CONFERENCE_ATTENDANCE_GRACE_SECONDS": "abc",
        "CONFERENCE_ASYNC_MODE": "threading",
        "CONFERENCE_DATABASE_URL": f"sqlite:///{tmp_path / 'cli.db'}",
    }
    result = subprocess.run(
        [sys.executable, "-m", "conference", "demo"],
        check=False,
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode != 0
    assert "CONFERENCE_ATTENDANCE_GRACE_SECONDS='abc'" in result.stderr and "whole number" in result.stderr
    assert "Traceback" not in result.stderr + result.stdout
    assert not (tmp_path / "cli.db").exists()


def test_production_always_sends_cookies_over_https_only(tmp_path, monkeypatch):
    monkeypatch.setenv("CONFERENCE_SECURE_COOKIES", "0")
    production = _app(tmp_path, "production")
    assert production.config["SESSION_COOKIE_SECURE"] and production.config["REMEMBER_COOKIE_SECURE"]
    forced = _app(tmp_path, "production", SESSION_COOKIE_SECURE=False, REMEMBER_COOKIE_SECURE=False)
    assert forced.config["SESSION_COOKIE_SECURE"] and forced.config["REMEMBER_COOKIE_SECURE"]
    development = _app(tmp_path)
    assert (
        not development.config["SESSION_COOKIE_SECURE"] and not development.config["REMEMBER_COOKIE_SECURE"]
    )
    monkeypatch.setenv("CONFERENCE_SECURE_COOKIES", "1")
    assert _app(tmp_path).config["SESSION_COOKIE_SECURE"]


def test_the_code_states_no_default_of_its_own():
    """A default is stated once, in SETTINGS: no `config.get("KEY", fallback)` beside it."""
    fallback = re.compile(r"""config\.get\(\s*["']([A-Z][A-Z0-9_]*)["']\s*,""")
    found = {
        f"{path.relative_to(PROJECT)}: {key}"
        for path in (PROJECT / "conference").rglob("*.py")
        for key in fallback.findall(path.read_text(encoding="utf-8"))
    }
    assert found == set()
