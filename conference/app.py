"""The application factory."""

from __future__ import annotations

import logging
from pathlib import Path

from flask import Flask
from werkzeug.routing import IntegerConverter

from . import live_connections, packet_json, realtime_tasks, socket_edges, websocket_transport
from .config import Config, config_class, load_or_create_secret_key
from .database import engine_settings
from .db_types import MAX_DB_ID
from .extensions import csrf, db, login_manager, migrate, socketio

PACKAGE_DIR = Path(__file__).resolve().parent
PROJECT_DIR = PACKAGE_DIR.parent
MIGRATIONS_DIR = PACKAGE_DIR / "migrations"


def _asset_dir(name: str) -> Path:
    """templates/ or static/ of this copy of the package.

    Every install (a wheel, `pip install .`, `pip install --target`) ships them inside the package
    (pyproject.toml maps them there); in the source tree, where an editable install points, they
    sit at the top level beside the package. Never look anywhere else, so code and assets always
    come from the same copy.
    """
    shipped = PACKAGE_DIR / name
    return shipped if shipped.is_dir() else PROJECT_DIR / name


class DatabaseIntConverter(IntegerConverter):
    """`<int:...>` in every route: an id beyond the database's integer range is a 404, not a driver error."""

    def __init__(self, map, *args, **kwargs):
        kwargs.setdefault("max", MAX_DB_ID)
        super().__init__(map, *args, **kwargs)


def create_app(config: dict | str | type | None = None) -> Flask:
    """Build the app. `config` is a config class, its name ("testing"...), or a dict of overrides."""
    overrides = config if isinstance(config, dict) else {}
    base = (
        config
        if isinstance(config, type)
        else config_class(config if isinstance(config, str) else overrides.get("ENV_NAME"))
    )
    app = Flask(
        __name__,
        instance_relative_config=True,
        template_folder=str(_asset_dir("templates")),
        static_folder=str(_asset_dir("static")),
    )
    app.url_map.converters["int"] = DatabaseIntConverter
    app.config.from_object(base)
    app.config.update(Config.from_environment())
    app.config.update(overrides)
    _finish_config(app)

    db.init_app(app)
    migrate.init_app(app, db, directory=str(MIGRATIONS_DIR), render_as_batch=True, compare_type=True)
    login_manager.init_app(app)
    login_manager.login_view = "accounts.login"
    login_manager.session_protection = "basic"
    csrf.init_app(app)
    _init_socketio(app)
    _register_features(app)
    _trust_proxies(app)
    return app


def _trust_proxies(app: Flask) -> None:
    """Behind TRUSTED_PROXIES reverse proxies, take the client address, scheme and host from their
    X-Forwarded-* headers (outermost, after Socket.IO's middleware, so both see the same request).
    With none configured those headers are ignored: a client cannot pick its own address."""
    count = int(app.config.get("TRUSTED_PROXIES") or 0)
    if count:
        from werkzeug.middleware.proxy_fix import ProxyFix

        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=count, x_proto=count, x_host=count)  # type: ignore[method-assign]


def _finish_config(app: Flask) -> None:
    instance = Path(app.instance_path)
    if not app.config["SQLALCHEMY_DATABASE_URI"]:
        instance.mkdir(parents=True, exist_ok=True)
        app.config["SQLALCHEMY_DATABASE_URI"] = f"sqlite:///{instance / 'conference.db'}"
    if not app.config["SECRET_KEY"]:
        if app.config["ENV_NAME"] == "production":
            raise RuntimeError(
                "production needs CONFERENCE_SECRET_KEY: refusing to start with a generated key"
            )
        app.config["SECRET_KEY"] = load_or_create_secret_key(instance)
    if app.config["ENV_NAME"] == "production" and (
        app.config["SECRET_KEY"] in ("change-me", "dev", "secret") or len(app.config["SECRET_KEY"]) < 32
    ):
        raise RuntimeError("CONFERENCE_SECRET_KEY is a default or too short (32+ characters needed)")
    if app.config["ENV_NAME"] == "production":
        # Production always sends cookies over HTTPS only, whatever CONFERENCE_SECURE_COOKIES says.
        app.config.update(SESSION_COOKIE_SECURE=True, REMEMBER_COOKIE_SECURE=True)
        if not app.config.get("PUBLIC_BASE_URL") and not app.config.get("TRUSTED_HOSTS"):
            # Else links in mail and the projector's QR code would carry whatever Host a request sent.
            raise RuntimeError(
                "production needs CONFERENCE_PUBLIC_BASE_URL (the address people reach the site at) "
                "or CONFERENCE_TRUSTED_HOSTS (the host names the site answers to)"
            )
    uri = app.config["SQLALCHEMY_DATABASE_URI"]
    options = dict(app.config["SQLALCHEMY_ENGINE_OPTIONS"] or {})
    if uri.startswith("sqlite"):
        # Several greenlets or threads write at once: wait for the lock instead of failing at once.
        options["connect_args"] = {"timeout": 30, **options.get("connect_args", {})}
    else:
        # A connection the database dropped (restart, failover) is noticed and replaced before use.
        options.setdefault("pool_pre_ping", True)
        # An unreachable server is a clear error within seconds, not a request that hangs.
        options.setdefault("pool_timeout", 10)
        if uri.startswith("postgresql"):
            options.setdefault("connect_args", {}).setdefault("connect_timeout", 5)
    # Under eventlet or gevent, database calls must yield to the hub (a driver that cooperates, or a
    # real thread per call): see database.py.
    uri, options = engine_settings(uri, options)
    app.config["SQLALCHEMY_DATABASE_URI"] = uri
    app.config["SQLALCHEMY_ENGINE_OPTIONS"] = options


def _init_socketio(app: Flask) -> None:
    from . import fanout

    allowed = app.config["SOCKETIO_ALLOWED_ORIGINS"] or None
    socketio.init_app(
        app,
        async_mode=app.config["SOCKETIO_ASYNC_MODE"],
        message_queue=app.config["SOCKETIO_MESSAGE_QUEUE"],
        # Our manager: Socket.IO's Redis one (on SOCKETIO_CHANNEL: clusters sharing one Redis need
        # their own, pub/sub ignores database numbers) that also carries the orders to close a
        # person's sockets in every process, or a local one without a queue.
        client_manager=fanout.client_manager(app),
        # None means "same origin only" in python-engineio; extra origins are listed explicitly.
        cors_allowed_origins=allowed,  # type: ignore[arg-type]  # the stubs leave out None
        max_http_buffer_size=app.config["SOCKETIO_MAX_HTTP_BUFFER_SIZE"],
        ping_interval=app.config["SOCKETIO_PING_INTERVAL"],
        ping_timeout=app.config["SOCKETIO_PING_TIMEOUT"],
        json=packet_json,  # orjson: a tenth of the encoding time of the stdlib's json
        logger=False,
        engineio_logger=False,
    )
    realtime_tasks.init_app(app)  # remembers this app's server for its background tasks
    socket_edges.init_app(app)  # answers edge packets python-socketio leaves unanswered
    websocket_transport.init_app(app, socketio.server)  # type: ignore[attr-defined]  # the stubs leave .server out
    live_connections.init_app(socketio.server)  # type: ignore[attr-defined]  # pings from one task, frames written at once


def _register_features(app: Flask) -> None:
    """Every feature, in one list: each `init_app` registers its blueprints, /live events, CLI
    commands, signal receivers and hooks. Nothing is wired by importing a module."""
    from . import (
        accounts,
        attendance,
        auth,
        board,
        calls,
        certificates,
        checkin,
        documents,
        feedback,
        grants,
        hooks,
        i18n,
        input_guard,
        interpretation,
        mail,
        manage,
        matchmaking,
        observability,
        openapi,
        programme,
        realtime,
        registrations,
        rooms,
        schedule,
    )
    from .cli import register_cli
    from .web import register_web

    hooks.init_app(app)  # the registries the features below fill
    observability.init_app(app)  # request ids, /healthz and /readyz
    input_guard.init_app(app)  # JSON nested too deep, NUL characters: a 400 before any handler
    app.before_request(auth.authenticate_request)
    app.register_error_handler(auth.CSRFError, auth.handle_csrf_error)
    features = (
        i18n,  # Flask-Babel and the language switch, before the pages that use them
        realtime,  # the /live door: connect, disconnect, unknown events
        accounts,
        programme,
        registrations,
        rooms,  # rooms, Q&A, chat, agenda updates, announcements, polls, breakouts
        calls,  # audio and video in breakouts and interactive sessions
        interpretation,  # a stream per language: channels, the picker's /live event
        checkin,
        attendance,
        manage,
        schedule,
        grants,
        documents,
        mail,
        board,  # the discussion board (receives the rooms' session_ended)
        feedback,
        certificates,
        matchmaking,  # practices, interests, the matchmaking table, meetings
        openapi,  # last: describes every /api/v1 route the others registered
    )
    for feature in features:
        feature.init_app(app)
    register_web(app)  # error pages, template helpers, security headers
    register_cli(app)  # the commands that span features
    _enable_sqlite_pragmas(app)


def _enable_sqlite_pragmas(app: Flask) -> None:
    from sqlalchemy import event

    with app.app_context():
        engine = db.engine
        if engine.dialect.name != "sqlite":
            return

        @event.listens_for(engine, "connect")
        def _pragmas(dbapi_connection, _record):
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.close()


logging.getLogger("conference").addHandler(logging.NullHandler())
