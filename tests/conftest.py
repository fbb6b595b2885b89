"""Shared fixtures: a fresh app on a temporary SQLite file, clients, a login helper and factories."""

from __future__ import annotations

import re
import shutil
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from browser_support import _browser_driver_stopped, browser, live_server  # noqa: F401 - shared fixtures
from flask import Flask
from flask.testing import FlaskClient
from jinja2.bccache import Bucket, BytecodeCache
from sqlalchemy import select
from werkzeug.routing import Rule

from conference import create_app
from conference.accounts.models import User
from conference.accounts.services import create_api_token, create_user
from conference.extensions import db as _db
from conference.extensions import socketio
from conference.grants.models import GRANT_ROLES
from conference.grants.services import grant
from conference.programme.models import Event, ProgrammeSession, Speaker, Track
from conference.registrations.services import register

PASSWORD = "correct horse battery"
CSRF_META = re.compile(rb'<meta name="csrf-token" content="([^"]+)"')


class ClosingClient(FlaskClient):
    """A test client that reads each response whole and closes it, as a server does: a download's
    file and a large request body are closed at once instead of by the garbage collector (a
    ResourceWarning, an error in this suite). The body stays readable."""

    def open(self, *args, **kwargs):
        response = super().open(*args, **kwargs)
        response.make_sequence()
        response.close()
        return response


ASYNC_MODES = ("eventlet", "gevent")


def pytest_addoption(parser):
    parser.addoption(
        "--async-mode",
        choices=(*ASYNC_MODES, "both"),
        default="both",
        help="the async mode of the real server processes the `real_server` tests start: each such "
        "test runs once in eventlet and once in gevent (`both`, the default), or in the mode named",
    )


def pytest_generate_tests(metafunc):
    """A `real_server` test runs in each async mode of this run: one pytest run (and one pass of
    .ci/run) covers both, and pytest-xdist spreads the gevent runs over its workers with the rest."""
    if metafunc.definition.get_closest_marker("real_server"):
        chosen = metafunc.config.getoption("--async-mode")
        metafunc.parametrize("async_mode", ASYNC_MODES if chosen == "both" else (chosen,), indirect=True)


@pytest.fixture(autouse=True)
def async_mode(request) -> Iterator[str]:
    """The async mode of the real servers this test starts: its parameter for a `real_server` test,
    eventlet (the default mode) for any other."""
    import serve_support

    serve_support.ASYNC_MODE = getattr(request, "param", "eventlet")
    yield serve_support.ASYNC_MODE
    serve_support.ASYNC_MODE = "eventlet"


@pytest.fixture(autouse=True, scope="session")
def _closing_test_clients():
    """Every app's test client is a ClosingClient (some test modules build their own apps)."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(Flask, "test_client_class", ClosingClient)
        yield


@pytest.fixture(autouse=True, scope="session")
def _url_builders_compiled_once():
    """Each test's `create_app` binds ~200 URL rules, and werkzeug compiles two builder functions per
    rule from an AST: 80 % of the app's start-up and of a short test's time. A builder depends only on
    the rule's parsed parts and on whether unknown arguments are appended, and takes the rule as its
    `self`, so one compiled function serves the same rule in every app of the process. Rules with
    defaults (their values are folded into the code) are compiled as werkzeug does."""
    compile_builder = Rule._compile_builder
    builders: dict[tuple, Callable] = {}

    def reused_builder(rule: Rule, append_unknown: bool = True) -> Callable:
        if rule.defaults:
            return compile_builder(rule, append_unknown)
        key = (rule.rule, tuple(rule._trace), append_unknown)
        if key not in builders:
            builders[key] = compile_builder(rule, append_unknown)
        return builders[key]

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(Rule, "_compile_builder", reused_builder)
        yield


class _MemoryBytecodeCache(BytecodeCache):
    """Jinja's compiled templates, kept in memory by template name and source checksum."""

    def __init__(self) -> None:
        self._code: dict[str, bytes] = {}

    def load_bytecode(self, bucket: Bucket) -> None:
        if (code := self._code.get(bucket.key)) is not None:
            bucket.bytecode_from_string(code)

    def dump_bytecode(self, bucket: Bucket) -> None:
        self._code[bucket.key] = bucket.bytecode_to_string()


@pytest.fixture(autouse=True, scope="session")
def _templates_compiled_once():
    """Each test's app compiled every template it rendered again (50 ms for the login page on this
    machine, more for the back-office's): the apps of a test process share one bytecode cache. Every
    test app has the same Jinja settings, and a template whose source changed has another key."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(
            Flask, "jinja_options", {**Flask.jinja_options, "bytecode_cache": _MemoryBytecodeCache()}
        )
        yield


@pytest.fixture(autouse=True, scope="session")
def _websocket_clients_close_quickly():
    """python-socketio's client closes its WebSocket while its own read thread is still reading:
    that thread takes the server's close frame, and websocket-client's `close` then waits its whole
    3 s timeout for another (against the gevent server: 3 s a client, seen with py-spy). The test
    clients wait 0.5 s at most; the eventlet server closes the connection at once anyway."""
    import websocket

    close = websocket.WebSocket.close

    def close_quickly(
        self, status: int = 1000, reason: str | bytes = b"", timeout: float | None = 0.5
    ) -> None:
        close(self, status, reason, timeout)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(websocket.WebSocket, "close", close_quickly)
        yield


@pytest.fixture(autouse=True, scope="session")
def _postgres_template_dropped():
    """The PostgreSQL template this test process migrated (tests/pg_support.py) ends with its
    session: pytest-xdist's workers end without running `atexit` handlers."""
    yield
    import pg_support

    pg_support.drop_migrated_template()


@pytest.fixture(scope="session")
def _empty_database(tmp_path_factory) -> Path:
    """A SQLite file holding the empty schema, made once per test process with `create_all`."""
    path = tmp_path_factory.mktemp("schema") / "empty.db"
    app = create_app({"ENV_NAME": "testing", "SQLALCHEMY_DATABASE_URI": f"sqlite:///{path}"})
    with app.app_context():
        _db.create_all()
        _db.session.remove()
        _db.engine.dispose()  # the last connection closes: the WAL is folded into the file
    return path


@pytest.fixture()
def make_app(tmp_path, _empty_database):
    """`make_app(database="test.db", **config)`: an app of the testing config (`config` on top) on a
    SQLite file in the test's folder. A new file starts as a copy of the empty schema: a file copy
    instead of ~60 CREATEs (0.2 s) per app; an existing one is used as it is."""
    made: list[Flask] = []

    def factory(database: str = "test.db", **config) -> Flask:
        path = tmp_path / database
        if not path.exists():
            shutil.copyfile(_empty_database, path)
        app = create_app({"ENV_NAME": "testing", "SQLALCHEMY_DATABASE_URI": f"sqlite:///{path}", **config})
        made.append(app)
        return app

    yield factory
    for app in made:
        with app.app_context():
            _db.session.remove()
            _db.engine.dispose()


@pytest.fixture()
def app(make_app):
    return make_app()


@pytest.fixture()
def db(app):
    """The database session, inside an app context."""
    with app.app_context():
        yield _db.session


@pytest.fixture()
def client(app):
    return app.test_client()


@pytest.fixture()
def runner(app):
    return app.test_cli_runner()


def csrf_token(client) -> str:
    """The CSRF token of this client's session, read from any page's meta tag."""
    page = client.get("/login")
    match = CSRF_META.search(page.data)
    assert match, "no csrf-token meta on the page"
    return match.group(1).decode()


def post_form(client, url: str, data: dict, **kwargs):
    """POST a form the way a browser does, with the session's CSRF token."""
    return client.post(url, data={**data, "csrf_token": csrf_token(client)}, **kwargs)


@pytest.fixture()
def team(app):
    """(user id, grant role) of every organiser, moderator and staff member `make_user` made."""
    return []


def _grant_everywhere(user_id: int, role: str, events: list[Event]) -> None:
    user = _db.session.get(User, user_id)
    for event in events:
        grant(_db.session, event, user, role, commit=False)
    _db.session.commit()


@pytest.fixture()
def make_user(app, team):
    """A user. `make_user("organiser" | "moderator" | "staff")` makes an account that holds that grant
    on every event of the test, made before or after it (tests of one event need no more); tests of
    grants across events give them with `conference.grants.services.grant` and `make_user()` instead."""
    counter = {"n": 0}

    def factory(
        role: str = "attendee",
        *,
        email: str | None = None,
        name: str | None = None,
        country: str | None = "KR",
        password: str = PASSWORD,
        organisation: str = "Test Org",
    ):
        counter["n"] += 1
        with app.app_context():
            user = create_user(
                _db.session,
                email=email or f"{role}{counter['n']}@example.org",
                name=name or f"{role.title()} {counter['n']}",
                role="admin" if role == "admin" else "attendee",
                password=password,
                country=country,
                organisation=organisation,
            )
            if role in GRANT_ROLES:
                team.append((user.id, role))
                _grant_everywhere(user.id, role, list(_db.session.scalars(select(Event))))
            _db.session.expunge(user)
            return user

    return factory


@pytest.fixture()
def make_token(app):
    def factory(user) -> str:
        with app.app_context():
            return create_api_token(_db.session, _db.session.merge(user), "test")

    return factory


@pytest.fixture()
def make_event(app, team):
    """An event in Asia/Seoul with a plenary, a thematic session and a breakout parent with two rooms."""
    counter = {"n": 0}

    def factory(slug: str | None = None, *, starts_at: datetime | None = None) -> Event:
        counter["n"] += 1
        start = starts_at or datetime(2030, 5, 6, 0, 0, tzinfo=UTC)  # 09:00 in Seoul
        with app.app_context():
            event = Event(
                slug=slug or f"event-{counter['n']}",
                title=f"Symposium {counter['n']}",
                venue="Convensia",
                city="Incheon",
                country="KR",
                timezone="Asia/Seoul",
                starts_at=start - timedelta(minutes=30),
                ends_at=start + timedelta(days=2, hours=9),
                description="A test event",
            )
            _db.session.add(event)
            _db.session.flush()
            track = Track(event_id=event.id, name="Plenary", position=0)
            _db.session.add(track)
            _db.session.flush()
            speaker = Speaker(
                event_id=event.id, name="Dr. Test Speaker", title="Director", organisation="UN", country="KR"
            )
            plenary = ProgrammeSession(
                event_id=event.id,
                track_id=track.id,
                title="Opening session",
                kind="plenary",
                starts_at=start,
                ends_at=start + timedelta(minutes=45),
                room="Hall A",
                capacity=300,
                language="en",
                stream_url="https://www.youtube.com/embed/abc",
            )
            plenary.speakers = [speaker]
            thematic = ProgrammeSession(
                event_id=event.id,
                track_id=track.id,
                title="AI Ethics",
                kind="thematic",
                starts_at=start + timedelta(hours=2),
                ends_at=start + timedelta(hours=3),
                room="Room 1",
                capacity=2,
                language="en",
            )
            workshop = ProgrammeSession(
                event_id=event.id,
                title="Regional breakouts",
                kind="workshop",
                starts_at=start + timedelta(days=1),
                ends_at=start + timedelta(days=1, hours=2),
            )
            _db.session.add_all([plenary, thematic, workshop])
            _db.session.commit()
            for user_id, role in team:
                _grant_everywhere(user_id, role, [event])
            _db.session.refresh(event)
            _db.session.expunge_all()
            return event

    return factory


@pytest.fixture()
def make_registration(app):
    def factory(user, event, mode: str = "online"):
        with app.app_context():
            registration = register(_db.session, _db.session.merge(user), _db.session.merge(event), mode)
            _db.session.expunge(registration)
            return registration

    return factory


@pytest.fixture()
def login(app):
    def do_login(client, user, password: str = PASSWORD):
        response = post_form(client, "/login", {"email": user.email, "password": password})
        assert response.status_code == 303, response.data[:500]
        return client

    return do_login


@pytest.fixture()
def logged_in_client(app, login):
    def factory(user):
        return login(app.test_client(), user)

    return factory


@pytest.fixture()
def live_client(app, logged_in_client, make_token):
    """A Socket.IO test client on /live for a user: cookie login by default, or `token=True`."""
    clients = []

    def factory(user, *, token: bool = False):
        if token:
            client = socketio.test_client(app, namespace="/live", auth={"token": make_token(user)})
        else:
            client = socketio.test_client(app, namespace="/live", flask_test_client=logged_in_client(user))
        clients.append(client)
        return client

    yield factory
    for client in clients:
        if client.is_connected("/live"):
            client.disconnect(namespace="/live")
