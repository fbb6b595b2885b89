"""Configuration: defaults for the embedded setup, overridden by CONFERENCE_* environment variables."""
from __future__ import annotations

import os
import secrets
from pathlib import Path

DEV_SECRET_PLACEHOLDER = "change-me"
ENV_PREFIX = "CONFERENCE_"


def _env(name: str, default=None):
    return os.environ.get(ENV_PREFIX + name, default)


def _env_bool(name: str, default: bool) -> bool:
    value = _env(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


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
    """Embedded default: SQLite under instance/, one eventlet process."""

    ENV_NAME = "development"
    SECRET_KEY: str | None = None
    SQLALCHEMY_DATABASE_URI: str | None = None
    SQLALCHEMY_ENGINE_OPTIONS: dict = {}
    SQLALCHEMY_TRACK_MODIFICATIONS = False
    SOCKETIO_ASYNC_MODE = "eventlet"
    SOCKETIO_MESSAGE_QUEUE: str | None = None
    # Origins allowed to open a Socket.IO connection besides the app's own host; never "*".
    SOCKETIO_ALLOWED_ORIGINS: list[str] = []
    # A question is at most 500 characters, a chat line 1,000: 64 KiB leaves room for any real
    # payload and refuses a huge frame outright.
    SOCKETIO_MAX_HTTP_BUFFER_SIZE = 64 * 1024
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = False
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_SECURE = False
    WTF_CSRF_TIME_LIMIT = None
    MAX_CONTENT_LENGTH = 16 * 1024 * 1024
    # Documents: the largest file organisers may attach (MB), and where files are kept (None:
    # <instance>/uploads). The upload addresses alone admit a request of this size (plus 1 MB of
    # form); every other request keeps MAX_CONTENT_LENGTH.
    MAX_UPLOAD_MB: float = 25
    UPLOAD_DIR: str | None = None
    PUBLIC_BASE_URL: str | None = None
    # Attendance: a reconnection within this many seconds continues the same online stay; the live
    # dashboard is refreshed at most this often per event.
    ATTENDANCE_GRACE_SECONDS = 120
    ATTENDANCE_BROADCAST_SECONDS = 5.0
    # Live rooms: presence changes within this many seconds leave as one broadcast per room, so 450
    # people arriving at once do not cost 450 x 450 frames. 0 broadcasts every change at once.
    ROOMS_PRESENCE_COALESCE_SECONDS = 0.5
    TESTING = False
    # Mail: an SMTP server (smtp://user:pass@host:587?starttls=1 or smtps://...) or, when None,
    # .eml files under MAIL_OUTBOX_DIR (default instance/outbox) that admins read at /manage/outbox.
    MAIL_SMTP_URL: str | None = None
    MAIL_FROM = "Conference <no-reply@conference.localhost>"
    MAIL_OUTBOX_DIR: str | None = None
    MAIL_BACKGROUND_SENDER = True
    MAIL_POLL_SECONDS = 5.0
    MAIL_RETRY_BASE_SECONDS = 60  # then 2x, 4x... up to MAIL_RETRY_MAX_SECONDS
    MAIL_RETRY_MAX_SECONDS = 6 * 3600
    MAIL_MAX_ATTEMPTS = 8
    MAIL_SENDING_STALE_SECONDS = 600  # a claim this old belongs to a sender that died: take it over

    @classmethod
    def from_environment(cls) -> dict:
        """The values that CONFERENCE_* variables set, ready for app.config.update()."""
        values: dict = {}
        if (url := _env("DATABASE_URL")):
            values["SQLALCHEMY_DATABASE_URI"] = url
        if (key := _env("SECRET_KEY")):
            values["SECRET_KEY"] = key
        if (queue := _env("MESSAGE_QUEUE")):
            values["SOCKETIO_MESSAGE_QUEUE"] = queue
        if (mode := _env("ASYNC_MODE")):
            values["SOCKETIO_ASYNC_MODE"] = mode
        if (origins := _env("ALLOWED_ORIGINS")):
            values["SOCKETIO_ALLOWED_ORIGINS"] = [o.strip() for o in origins.split(",") if o.strip()]
        if (base := _env("PUBLIC_BASE_URL")):
            values["PUBLIC_BASE_URL"] = base.rstrip("/")
        if (grace := _env("ATTENDANCE_GRACE_SECONDS")):
            values["ATTENDANCE_GRACE_SECONDS"] = int(grace)
        if (refresh := _env("ATTENDANCE_BROADCAST_SECONDS")):
            values["ATTENDANCE_BROADCAST_SECONDS"] = float(refresh)
        if (smtp := _env("SMTP_URL")):
            values["MAIL_SMTP_URL"] = smtp
        if (sender := _env("MAIL_FROM")):
            values["MAIL_FROM"] = sender
        if (outbox := _env("MAIL_OUTBOX_DIR")):
            values["MAIL_OUTBOX_DIR"] = outbox
        if (upload_mb := _env("MAX_UPLOAD_MB")):
            values["MAX_UPLOAD_MB"] = float(upload_mb)
        if (upload_dir := _env("UPLOAD_DIR")):
            values["UPLOAD_DIR"] = upload_dir
        if _env("SECURE_COOKIES") is not None:
            secure = _env_bool("SECURE_COOKIES", False)
            values["SESSION_COOKIE_SECURE"] = secure
            values["REMEMBER_COOKIE_SECURE"] = secure
        return values


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
    name = (name or _env("ENV") or "development").lower()
    if name not in CONFIGS:
        raise ValueError(f"unknown CONFERENCE_ENV {name!r}; choose one of {', '.join(CONFIGS)}")
    return CONFIGS[name]
