"""Configuration: defaults for the embedded setup, overridden by CONFERENCE_* environment variables."""

from __future__ import annotations

import math
import os
import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

DEV_SECRET_PLACEHOLDER = "change-me"
ENV_PREFIX = "CONFERENCE_"
# Chooses the config class below (development, testing or production); read by config_class().
ENV_NAME_VARIABLE = ENV_PREFIX + "ENV"


class ConfigError(ValueError):
    """A CONFERENCE_* variable holds a value its setting cannot take; the message names both."""


# Parsers: each turns a variable's text into a value or raises ValueError saying what it expects.


def _text(raw: str) -> str:
    return raw


def _base_url(raw: str) -> str:
    return raw.rstrip("/")


def _origins(raw: str) -> list[str]:
    return [origin.strip() for origin in raw.split(",") if origin.strip()]


def _flag(raw: str) -> bool:
    value = raw.strip().lower()
    if value in {"1", "true", "yes", "on"}:
        return True
    if value in {"0", "false", "no", "off", ""}:
        return False
    raise ValueError("expected 1 or 0 (true/false, yes/no, on/off)")


def _whole(minimum: int) -> Callable[[str], int]:
    def parse(raw: str) -> int:
        try:
            value = int(raw.strip())
        except ValueError:
            raise ValueError(f"expected a whole number ({minimum} or more)") from None
        if value < minimum:
            raise ValueError(f"expected a whole number ({minimum} or more)")
        return value

    return parse


def _number(minimum: float, *, above: bool = False) -> Callable[[str], float]:
    expected = f"expected a number {'above' if above else 'of at least'} {minimum:g}"

    def parse(raw: str) -> float:
        try:
            value = float(raw.strip())
        except ValueError:
            raise ValueError(expected) from None
        if not math.isfinite(value) or value < minimum or (above and value == minimum):
            raise ValueError(expected)
        return value

    return parse


def _choice(*choices: str) -> Callable[[str], str]:
    def parse(raw: str) -> str:
        if raw.strip() not in choices:
            raise ValueError(f"expected one of {', '.join(choices)}")
        return raw.strip()

    return parse


@dataclass(frozen=True)
class Setting:
    """One config key the code reads: its default (the embedded setup), what it means and, when an
    environment variable sets it, that variable (without the CONFERENCE_ prefix) and its parser."""

    key: str
    default: Any
    description: str
    env: str | None = None
    parse: Callable[[str], Any] = _text

    @property
    def variable(self) -> str | None:
        return ENV_PREFIX + self.env if self.env else None


_SECONDS = _number(0)


def _ice_servers(raw: str) -> list:
    from .calls.ice import parse_ice_servers

    return parse_ice_servers(raw)


# Every key the code reads, in one place. The config classes below take their defaults from here
# and override a few per environment; CONFERENCE_* variables override them at start-up. An empty
# variable counts as unset.
SETTINGS: tuple[Setting, ...] = (
    Setting("ENV_NAME", "development", "development, testing or production (CONFERENCE_ENV picks the class)"),
    Setting("TESTING", False, "Flask's testing mode: no background tasks (mail sender, auto check-out)"),
    Setting(
        "SECRET_KEY",
        None,
        "signs sessions and CSRF tokens; required in production (32+ characters); "
        "None: generated once into instance/secret_key",
        "SECRET_KEY",
    ),
    Setting(
        "SQLALCHEMY_DATABASE_URI",
        None,
        "SQLAlchemy URL, e.g. postgresql+psycopg://user@host/db; None: sqlite:///instance/conference.db",
        "DATABASE_URL",
    ),
    Setting(
        "SQLALCHEMY_ENGINE_OPTIONS",
        {},
        "extra create_engine() options (SQLite gets a 30 s busy timeout, other databases pool_pre_ping)",
    ),
    Setting("SQLALCHEMY_TRACK_MODIFICATIONS", False, "Flask-SQLAlchemy's event system: off"),
    Setting(
        "SOCKETIO_ASYNC_MODE",
        "eventlet",
        "Socket.IO async mode",
        "ASYNC_MODE",
        _choice("eventlet", "gevent", "threading"),
    ),
    Setting(
        "SOCKETIO_MESSAGE_QUEUE",
        None,
        "Redis URL shared by several server processes; None: one process",
        "MESSAGE_QUEUE",
    ),
    # Clusters sharing one Redis need their own channel (pub/sub ignores Redis database numbers).
    Setting(
        "SOCKETIO_CHANNEL", "flask-socketio", "the Socket.IO channel on the message queue", "SOCKETIO_CHANNEL"
    ),
    # Which server process a live-room presence row belongs to, so a restarted process forgets its own
    # stale sockets and no other's. `conference serve` uses <host name>:<port> when it is not set.
    Setting(
        "INSTANCE_ID",
        "",
        "this server process's name in the presence table (stable across its restarts)",
        "INSTANCE_ID",
    ),
    Setting(
        "SOCKETIO_ALLOWED_ORIGINS",
        [],
        "origins allowed to open a Socket.IO connection besides the app's "
        "own host (comma-separated); never *",
        "ALLOWED_ORIGINS",
        _origins,
    ),
    # A question is at most 500 characters, a chat line 1,000: 64 KiB leaves room for any real
    # payload and refuses a huge frame outright.
    Setting(
        "SOCKETIO_MAX_HTTP_BUFFER_SIZE", 64 * 1024, "the largest Socket.IO frame a client may send (bytes)"
    ),
    # Off as in Node's socket.io: a compressor per socket costs memory and CPU on every broadcast,
    # for small JSON frames deflate hardly shrinks (websocket_transport.py).
    Setting(
        "SOCKETIO_WEBSOCKET_COMPRESSION",
        False,
        "compress WebSocket frames (permessage-deflate) when the client offers it",
        "WEBSOCKET_COMPRESSION",
        _flag,
    ),
    # python-engineio's defaults. A proxy that closes connections idle for less than the interval
    # needs a shorter one; each ping is a frame to every client, so not much shorter.
    Setting(
        "SOCKETIO_PING_INTERVAL",
        25,
        "seconds between the server's pings on each live connection",
        "PING_INTERVAL",
        _whole(1),
    ),
    Setting(
        "SOCKETIO_PING_TIMEOUT",
        20,
        "seconds a client has to answer a ping before its live connection is closed",
        "PING_TIMEOUT",
        _whole(1),
    ),
    Setting("SESSION_COOKIE_HTTPONLY", True, "the session cookie is hidden from JavaScript"),
    Setting("SESSION_COOKIE_SAMESITE", "Lax", "the session cookie's SameSite attribute"),
    Setting(
        "SESSION_COOKIE_SECURE",
        False,
        "send the session cookie over HTTPS only (always on in production)",
        "SECURE_COOKIES",
        _flag,
    ),
    Setting("REMEMBER_COOKIE_HTTPONLY", True, "the remember-me cookie is hidden from JavaScript"),
    Setting("REMEMBER_COOKIE_SAMESITE", "Lax", "the remember-me cookie's SameSite attribute"),
    Setting(
        "REMEMBER_COOKIE_SECURE",
        False,
        "send the remember-me cookie over HTTPS only (always on in production)",
        "SECURE_COOKIES",
        _flag,
    ),
    Setting("WTF_CSRF_TIME_LIMIT", None, "CSRF tokens last as long as the session"),
    # Cookie sessions for browsers are checked by our own before_request hook, which lets bearer
    # tokens through; Flask-WTF's blanket check would refuse them.
    Setting("WTF_CSRF_CHECK_DEFAULT", False, "Flask-WTF's blanket CSRF check: off, the app checks itself"),
    Setting(
        "MAX_CONTENT_LENGTH", 16 * 1024 * 1024, "the largest request body (bytes) outside document uploads"
    ),
    # The upload addresses alone admit a request of this size (plus 1 MB of form); every other
    # request keeps MAX_CONTENT_LENGTH.
    Setting(
        "MAX_UPLOAD_MB",
        25,
        "the largest document organisers may attach (MB)",
        "MAX_UPLOAD_MB",
        _number(0, above=True),
    ),
    Setting("UPLOAD_DIR", None, "where attached documents are stored; None: instance/uploads", "UPLOAD_DIR"),
    Setting(
        "PUBLIC_BASE_URL",
        None,
        "the address people reach the site at (QR codes, links in mail); None: the request's host",
        "PUBLIC_BASE_URL",
        _base_url,
    ),
    Setting("PASSWORD_HASH_FAST", False, "cheap Argon2 parameters: tests only"),
    Setting(
        "ACCOUNTS_RATE_LIMITS",
        {},
        "per-action overrides of the sign-in limits, {action: (count, seconds)} "
        "(accounts/throttle.py has the defaults)",
    ),
    Setting(
        "ACCOUNTS_LOGIN_BACKOFF",
        {},
        "per-scope overrides of the sign-in delay, {'account' | 'client': (free failures, first delay s, "
        "longest delay s)} (accounts/throttle.py has the defaults)",
    ),
    Setting(
        "TRUSTED_PROXIES",
        0,
        "how many reverse proxies in front of the app set X-Forwarded-For/-Proto/-Host; 0: none, the "
        "client address is the connection's (a forged X-Forwarded-For is ignored)",
        "TRUSTED_PROXIES",
        _whole(0),
    ),
    Setting(
        "TRUSTED_HOSTS",
        None,
        "host names the app answers to (comma-separated); other Host headers get 400. Production "
        "needs this or CONFERENCE_PUBLIC_BASE_URL",
        "TRUSTED_HOSTS",
        _origins,
    ),
    Setting(
        "ROOMS_RATE_LIMITS",
        {},
        "per-action overrides of the live-room limits, {action: (count, seconds)} "
        "(rooms/ratelimit.py has the defaults)",
    ),
    # Attendance: a reconnection within this many seconds continues the same online stay; the live
    # dashboard is refreshed at most this often per event.
    Setting(
        "ATTENDANCE_GRACE_SECONDS",
        120,
        "a drop and a rejoin of the same room within this many seconds are one online stay",
        "ATTENDANCE_GRACE_SECONDS",
        _whole(0),
    ),
    Setting(
        "ATTENDANCE_BROADCAST_SECONDS",
        5.0,
        "at most one live attendance-dashboard refresh per event this often (seconds)",
        "ATTENDANCE_BROADCAST_SECONDS",
        _SECONDS,
    ),
    # Live rooms: presence changes within this many seconds leave as one broadcast per room, so 450
    # people arriving at once do not cost 450 x 450 frames. 0 broadcasts every change at once.
    Setting(
        "ROOMS_PRESENCE_COALESCE_SECONDS",
        0.5,
        "presence changes within this many seconds leave as one broadcast per room (0: each at once)",
        "ROOMS_PRESENCE_COALESCE_SECONDS",
        _SECONDS,
    ),
    # Upvote totals: the totals of a room that changed within this many seconds leave as one
    # `questions:updated`, each read when it leaves (as poll tallies are). 0 broadcasts each at once.
    Setting(
        "ROOMS_UPVOTE_COALESCE_SECONDS",
        0.25,
        "a room's changed upvote totals leave as one broadcast per this many seconds, current when it leaves (0: each at once)",
        "ROOMS_UPVOTE_COALESCE_SECONDS",
        _SECONDS,
    ),
    # Check-in numbers: the accepted scans of a list within this many seconds leave as one
    # `checkin:stats` broadcast, with the numbers read when it leaves (a rush of 400 scans a second
    # does not read and send the list's stats 400 times a second). 0 broadcasts after every scan.
    Setting(
        "CHECKIN_STATS_COALESCE_SECONDS",
        0.5,
        "a list's live check-in numbers are broadcast at most once per this many seconds, current when they leave (0: after every scan)",
        "CHECKIN_STATS_COALESCE_SECONDS",
        _SECONDS,
    ),
    # New questions: those that become public in a room within this many seconds leave as one
    # `questions:new` (50 questions a second in a room of 2,000 would be 100,000 frames a second
    # one by one). The asker's ack does not wait for it. 0 sends each at once.
    Setting(
        "ROOMS_QUESTION_FANOUT_SECONDS",
        0.25,
        "questions that become public in a room within this many seconds leave as one broadcast (0: each at once)",
        "ROOMS_QUESTION_FANOUT_SECONDS",
        _SECONDS,
    ),
    # The shared half of a room's join state (questions, chat, polls, breakouts, call) is built once
    # and handed to the people who join the room within this many seconds; any broadcast change of
    # the room makes it out of date at once (rooms/snapshots.py). 0 builds it for every join.
    Setting(
        "ROOMS_JOIN_SNAPSHOT_SECONDS",
        0.5,
        "the shared part of a room's join state is reused for this many seconds by later joiners (0: built for each join)",
        "ROOMS_JOIN_SNAPSHOT_SECONDS",
        _SECONDS,
    ),
    # A join storm: at most this many joins of a process do their database work at once (0: no
    # limit); the others wait in turn instead of queueing for a pooled connection, whose timeout
    # would refuse them. Keep it below the database pool's size (SQLite: 15, PostgreSQL: 5 + 10).
    Setting(
        "ROOMS_JOIN_CONCURRENCY",
        8,
        "at most this many room joins of one server process do their database work at once; the "
        "others wait their turn (0: no limit)",
        "ROOMS_JOIN_CONCURRENCY",
        _whole(0),
    ),
    Setting(
        "ROOMS_JOIN_WAIT_SECONDS",
        120.0,
        "a join that waited this long for its turn is refused with `server_busy` (the page retries)",
        "ROOMS_JOIN_WAIT_SECONDS",
        _SECONDS,
    ),
    # Group commit of the hot live writes (votes, upvotes, questions, chat): conference/group_commit.py
    Setting(
        "LIVE_WRITE_WINDOW_SECONDS",
        0.02,
        "hot live writes (votes, upvotes, questions, chat) arriving within this many seconds share one "
        "commit; the batch leaves early after 2 ms without a new arrival (0: only what is already waiting)",
        "LIVE_WRITE_WINDOW_SECONDS",
        _SECONDS,
    ),
    Setting(
        "LIVE_WRITE_BATCH_MAX",
        200,
        "at most this many hot live writes in one commit",
        "LIVE_WRITE_BATCH_MAX",
        _whole(1),
    ),
    Setting(
        "LIVE_CONTEXT_TTL_SECONDS",
        60.0,
        "what the hot live events keep in memory about a person's right to a room, a room, a poll or a "
        "question is checked again against the database after this many seconds (changes are also "
        "pushed to every process at once)",
        "LIVE_CONTEXT_TTL_SECONDS",
        _SECONDS,
    ),
    Setting(
        "BREAKOUT_COUNTS_INTERVAL_S",
        0.5,
        "breakout head counts are broadcast at most this often (seconds)",
        "BREAKOUT_COUNTS_INTERVAL_S",
        _SECONDS,
    ),
    Setting(
        "BREAKOUT_TIMER_INTERVAL_S",
        10,
        "a running breakout round's countdown is re-sent this often (seconds)",
        "BREAKOUT_TIMER_INTERVAL_S",
        _number(0, above=True),
    ),
    Setting(
        "BABEL_TRANSLATION_DIRECTORIES",
        None,
        "Flask-Babel's catalogues; set by the i18n feature to conference/translations",
    ),
    # Calls (audio and video in breakouts and interactive sessions): peer to peer by default, through
    # a Janus SFU when JANUS_URL is set. The media never passes through this process.
    Setting(
        "CALLS_MAX_VIDEO",
        6,
        "cameras (or shared screens) at once in one call; beyond it people join with audio only",
        "CALLS_MAX_VIDEO",
        _whole(1),
    ),
    Setting("CALLS_MAX_MEMBERS", 50, "people in one call at once", "CALLS_MAX_MEMBERS", _whole(2)),
    Setting(
        "CALLS_ICE_SERVERS",
        [],
        'the browsers\' ICE servers as JSON: [{"urls": "stun:..."}, {"urls": "turn:...", "secret": '
        '"<coturn static-auth-secret>", "ttl": 3600}]; TURN credentials are made per person and expire; '
        "[]: host candidates only (a LAN)",
        "ICE_SERVERS",
        _ice_servers,
    ),
    Setting(
        "CALLS_SIGNAL_BURST",
        400,
        "offers, answers and ICE candidates one socket may send at once (then CALLS_SIGNAL_PER_S a second)",
        "CALLS_SIGNAL_BURST",
        _whole(1),
    ),
    Setting(
        "CALLS_SIGNAL_PER_S",
        40,
        "sustained call signals per socket and second",
        "CALLS_SIGNAL_PER_S",
        _whole(1),
    ),
    Setting(
        "JANUS_URL",
        None,
        "the Janus server's HTTP API as this server reaches it (e.g. http://127.0.0.1:8088/janus); "
        "None: calls are peer to peer",
        "JANUS_URL",
        _base_url,
    ),
    Setting(
        "JANUS_PUBLIC_URL",
        None,
        "the Janus API address browsers use (e.g. https://conference.example/janus); None: JANUS_URL",
        "JANUS_PUBLIC_URL",
        _base_url,
    ),
    Setting("JANUS_API_SECRET", None, "janus.jcfg's api_secret, when Janus requires one", "JANUS_API_SECRET"),
    Setting(
        "JANUS_ADMIN_KEY",
        None,
        "the videoroom and audiobridge plugins' admin_key, when set",
        "JANUS_ADMIN_KEY",
    ),
    Setting(
        "CALLS_AUDIOBRIDGE_FROM",
        25,
        "with Janus: a call that opens while this many people are in its room is audio only, mixed by "
        "Janus's audiobridge; 0: never",
        "CALLS_AUDIOBRIDGE_FROM",
        _whole(0),
    ),
    Setting(
        "CALLS_AUDIOBRIDGE_MAX_MEMBERS",
        300,
        "people in one audio-only (audiobridge) call at once, instead of CALLS_MAX_MEMBERS",
        "CALLS_AUDIOBRIDGE_MAX_MEMBERS",
        _whole(2),
    ),
    Setting(
        "CHECKIN_AUTO_CHECKOUT",
        True,
        "a background task checks lists out when their time comes",
        "CHECKIN_AUTO_CHECKOUT",
        _flag,
    ),
    # Mail: an SMTP server (smtp://user:pass@host:587?starttls=1 or smtps://...) or, when None,
    # .eml files under MAIL_OUTBOX_DIR (default instance/outbox) that admins read at /manage/outbox.
    Setting("MAIL_SMTP_URL", None, "the SMTP server; None: no mail leaves the machine", "SMTP_URL"),
    Setting("MAIL_FROM", "Conference <no-reply@conference.localhost>", "the From address", "MAIL_FROM"),
    Setting(
        "MAIL_OUTBOX_DIR",
        None,
        "where .eml files are written without SMTP; None: instance/outbox",
        "MAIL_OUTBOX_DIR",
    ),
    Setting(
        "MAIL_BACKGROUND_SENDER",
        True,
        "each server process runs a mail sender",
        "MAIL_BACKGROUND_SENDER",
        _flag,
    ),
    Setting(
        "MAIL_POLL_SECONDS",
        5.0,
        "the mail sender looks at the outbox this often (seconds)",
        "MAIL_POLL_SECONDS",
        _number(0, above=True),
    ),
    Setting(
        "MAIL_RETRY_BASE_SECONDS",
        60,
        "the first retry after a temporary SMTP error, then 2x, 4x...",
        "MAIL_RETRY_BASE_SECONDS",
        _whole(0),
    ),
    Setting(
        "MAIL_RETRY_MAX_SECONDS",
        6 * 3600,
        "the longest wait between two attempts (seconds)",
        "MAIL_RETRY_MAX_SECONDS",
        _whole(0),
    ),
    Setting(
        "MAIL_MAX_ATTEMPTS", 8, "a message is failed after this many attempts", "MAIL_MAX_ATTEMPTS", _whole(1)
    ),
    Setting(
        "MAIL_SENDING_STALE_SECONDS",
        600,
        "a claim this old belongs to a sender that died: another takes it over",
        "MAIL_SENDING_STALE_SECONDS",
        _whole(1),
    ),
)


def read_environment(environ: Mapping[str, str] = os.environ) -> dict:
    """The values that CONFERENCE_* variables set, ready for app.config.update(); ConfigError names
    the variable of the first bad value."""
    values: dict = {}
    for setting in SETTINGS:
        raw = environ.get(setting.variable) if setting.variable else None
        if not raw:
            continue
        try:
            values[setting.key] = setting.parse(raw)
        except ValueError as exc:
            raise ConfigError(f"{setting.variable}={raw!r} is not valid: {exc}") from None
    return values


def load_or_create_secret_key(instance_path: Path) -> str:
    """Return the secret key kept in instance/, creating it once with owner-only permissions."""
    key_file = instance_path / "secret_key"
    if key_file.exists():
        return key_file.read_text().strip()
    instance_path.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(key)
    return key


class Config:
    """Embedded default: SQLite under instance/, one eventlet process. Every key of SETTINGS is a
    class attribute holding its default (set just below the class, from the table)."""

    @classmethod
    def from_environment(cls) -> dict:
        """The values that CONFERENCE_* variables set, ready for app.config.update()."""
        return read_environment()


for _setting in SETTINGS:
    setattr(Config, _setting.key, _setting.default)


class DevelopmentConfig(Config):
    pass


class TestingConfig(Config):
    ENV_NAME = "testing"
    TESTING = True
    SOCKETIO_ASYNC_MODE = "threading"
    SECRET_KEY = "testing-secret-key-not-for-production"
    # Refresh attendance dashboards at once: no background task outlives its test.
    ATTENDANCE_BROADCAST_SECONDS = 0
    PASSWORD_HASH_FAST = True
    ROOMS_PRESENCE_COALESCE_SECONDS = 0  # protocol tests see each presence change as it happens
    ROOMS_UPVOTE_COALESCE_SECONDS = 0  # and each upvote total
    CHECKIN_STATS_COALESCE_SECONDS = 0  # and the check-in numbers after each scan
    ROOMS_QUESTION_FANOUT_SECONDS = 0  # and each new question
    MAIL_SMTP_URL = None  # tests never send real mail: they point this at their own aiosmtpd server


class ProductionConfig(Config):
    ENV_NAME = "production"
    SESSION_COOKIE_SECURE = True
    REMEMBER_COOKIE_SECURE = True
    SESSION_COOKIE_SAMESITE = "Lax"


CONFIGS = {
    "development": DevelopmentConfig,
    "testing": TestingConfig,
    "production": ProductionConfig,
}


def config_class(name: str | None):
    """The config class for a name (CONFERENCE_ENV), development by default."""
    name = (name or os.environ.get(ENV_NAME_VARIABLE) or "development").lower()
    if name not in CONFIGS:
        raise ConfigError(f"unknown {ENV_NAME_VARIABLE} {name!r}; choose one of {', '.join(CONFIGS)}")
    return CONFIGS[name]
