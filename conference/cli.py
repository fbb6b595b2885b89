"""Command-line interface: `conference <command>` (a Flask CLI group bound to the app factory)."""

from __future__ import annotations

import logging
import socket
import sys
from pathlib import Path
from typing import Any

import click
from flask import Flask, current_app
from flask.cli import FlaskGroup, with_appcontext

from . import hooks
from .errors import ServiceError
from .extensions import db


def _create_app() -> Flask:
    from .app import create_app
    from .config import ConfigError

    try:
        return create_app()
    except ConfigError as exc:  # a bad CONFERENCE_* value: say which, without a traceback
        raise click.ClickException(str(exc)) from None


def _show_everything(ctx: click.Context, param: click.Parameter, verbose: bool) -> None:
    """--verbose: progress logs (Alembic's migrations, ...) too. console.main reads the flag before
    click does, to let third-party notices through (eventlet's is printed on import)."""
    if verbose:
        logging.basicConfig(level=logging.INFO, format="%(levelname)-5.5s [%(name)s] %(message)s")


@click.group(
    cls=FlaskGroup,
    create_app=_create_app,
    add_default_commands=True,
    help="Run and manage a conference platform.",
)
@click.option(
    "--verbose",
    "-v",
    is_flag=True,
    is_eager=True,
    expose_value=False,
    callback=_show_everything,
    help="Also show library notices and log lines (migrations run, ...).",
)
def cli() -> None:
    pass


def register_cli(app: Flask) -> None:
    """The commands that span features; each feature's init_app adds its own (`grant`, `checkin`...)."""
    for command in (
        init_db,
        demo,
        create_user,
        create_token,
        register,
        import_participants,
        send_invitations,
        serve,
    ):
        app.cli.add_command(command)


def upgrade_schema() -> None:
    """Bring the database to the newest migration (creates it when empty)."""
    from alembic import command

    from .app import MIGRATIONS_DIR

    config = current_app.extensions["migrate"].migrate.get_config(str(MIGRATIONS_DIR))
    # Keep the logging the CLI chose: alembic.ini's would print a line per migration on every
    # first run (and disable every logger configured before it).
    config.attributes["configure_logger"] = False
    command.upgrade(config, "head")


def _fail(exc: ServiceError) -> None:
    click.echo(f"error: {exc.message}", err=True)
    sys.exit(1)


@click.command("init-db")
@with_appcontext
def init_db() -> None:
    """Create the database schema, or upgrade it to the newest version."""
    upgrade_schema()
    click.echo(f"database ready: {db.engine.url.render_as_string(hide_password=True)}")


@click.command("demo")
@with_appcontext
def demo() -> None:
    """Load the demo symposium (idempotent) and print the demo accounts."""
    from .demo import load_demo

    upgrade_schema()
    click.echo(f"database ready: {db.engine.url.render_as_string(hide_password=True)}")
    click.echo("loading the demo symposium...")
    summary = load_demo(db.session)
    click.echo(f"demo event: {summary.event_title} ({summary.event_slug})")
    click.echo(
        f"  {summary.sessions} sessions, {summary.participants} participants from "
        f"{summary.countries} countries ({summary.in_person} in person, {summary.online} online)"
    )
    click.echo("demo accounts (e-mail / password / role):")
    for email, password, role in summary.accounts:
        click.echo(f"  {email:34} {password:22} {role}")
    from .mail.sender import describe_delivery

    click.echo(describe_delivery(current_app))


@click.command("create-user")
@click.argument("email")
@click.option("--name", required=True)
@click.option(
    "--role",
    default="attendee",
    show_default=True,
    type=click.Choice(["admin", "attendee"]),
    help="admin runs the whole platform; roles at one event are grants (`conference grant`).",
)
@click.option("--password", default=None, help="Leave out to create an account that signs in by token only.")
@click.option("--organisation", default="")
@click.option("--country", default=None, help="ISO 3166-1 alpha-2 code, e.g. KR")
@with_appcontext
def create_user(email, name, role, password, organisation, country) -> None:
    """Create a user account."""
    from .accounts.services import create_user as create

    try:
        user = create(
            db.session,
            email=email,
            name=name,
            role=role,
            password=password,
            organisation=organisation,
            country=country,
        )
    except ServiceError as exc:
        _fail(exc)
    click.echo(f"created {user.email} ({user.role})")


@click.command("create-token")
@click.argument("emails", nargs=-1, required=True)
@click.option("--label", default="cli", show_default=True)
@with_appcontext
def create_token(emails, label) -> None:
    """Create a new API token for each user; prints `EMAIL TOKEN` per line."""
    from .accounts.services import create_api_token, find_user_by_email

    users = []
    for email in emails:
        user = find_user_by_email(db.session, email)
        if user is None:
            click.echo(f"error: no user {email}", err=True)
            sys.exit(1)
        users.append(user)
    for user in users:
        click.echo(f"{user.email} {create_api_token(db.session, user, label)}")


@click.command("register")
@click.argument("email")
@click.argument("event_slug")
@click.option("--mode", required=True, type=click.Choice(["in_person", "online"]))
@with_appcontext
def register(email, event_slug, mode) -> None:
    """Register a user for an event."""
    from .accounts.services import find_user_by_email
    from .programme.services import get_event
    from .registrations.services import register as do_register

    user = find_user_by_email(db.session, email)
    if user is None:
        click.echo(f"error: no user {email}", err=True)
        sys.exit(1)
    try:
        registration = do_register(db.session, user, get_event(db.session, event_slug), mode)
    except ServiceError as exc:
        _fail(exc)
    click.echo(f"registered {user.email} for {event_slug} ({registration.mode})")


@click.command("import-participants")
@click.argument("csv_file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.argument("event_slug")
@click.option(
    "--invite",
    type=click.Choice(["now", "later", "none"]),
    default="none",
    show_default=True,
    help="now: e-mail each new participant an invitation (queued with the import); later or none: "
    "send nothing (send them later with `conference send-invitations`).",
)
@with_appcontext
def import_participants(csv_file: Path, event_slug: str, invite: str) -> None:
    """Import a registration list (columns: email,name,organisation,country,mode, and optionally one per
    registration field by its key) in one transaction; every bad row is listed and nothing is written."""
    from .programme.services import get_event
    from .registrations.services import import_participants as do_import

    try:
        text = csv_file.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        click.echo(f"error: {csv_file} is not UTF-8 text ({exc.reason} at byte {exc.start})", err=True)
        sys.exit(1)
    try:
        result = do_import(db.session, get_event(db.session, event_slug), text, invite=invite == "now")
    except ServiceError as exc:
        problems = [p["message"] for p in exc.details.get("problems", [])] or [exc.message]
        for message in problems:
            click.echo(f"error: {message}", err=True)
        click.echo("nothing was imported", err=True)
        sys.exit(1)
    click.echo(
        f"imported {result.rows} rows: {result.users_created} new users, "
        f"{result.registrations_created} new registrations, {result.already_registered} already registered"
        + (f"; {result.changed} changed" if result.changed else "")
        + (f"; {result.waitlisted} on the waiting list" if result.waitlisted else "")
    )
    if invite == "now":
        click.echo(f"{result.invited} invitations queued; the mail sender delivers them")


@click.command("send-invitations")
@click.argument("event_slug")
@click.option("--all", "everyone", is_flag=True, help="Every confirmed participant, signed in or not.")
@click.option(
    "--not-signed-in",
    "not_signed_in",
    is_flag=True,
    help="Only participants who never signed in (the default).",
)
@click.option("--email", default=None, help="Only this participant.")
@with_appcontext
def send_invitations(event_slug: str, everyone: bool, not_signed_in: bool, email: str | None) -> None:
    """Queue invitations (a sign-in link, the badge for in-person participants) for an event's participants."""
    from .programme.services import get_event
    from .registrations.mailings import invite_pending

    if everyone and not_signed_in:
        click.echo("error: choose --all or --not-signed-in, not both", err=True)
        sys.exit(2)
    try:
        event = get_event(db.session, event_slug)
        count = invite_pending(db.session, event, only_not_signed_in=not everyone and not email, email=email)
    except ServiceError as exc:
        _fail(exc)
    if email and not count:
        click.echo(f"error: {email} is not a confirmed participant of {event_slug}", err=True)
        sys.exit(1)
    click.echo(f"{count} invitation{'s' if count != 1 else ''} queued for {event_slug}")


@click.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
@click.option(
    "--max-connections",
    default=10000,
    show_default=True,
    type=int,
    help="eventlet admits 1,024 connections by default: too few for a plenary.",
)
@click.option(
    "--workers",
    default=1,
    show_default=True,
    type=click.IntRange(1, 64),
    help="Run this many worker processes on PORT, PORT+1, ... (they share the database and need "
    "CONFERENCE_MESSAGE_QUEUE); put a load balancer with sticky sessions in front (deploy/nginx).",
)
@click.option(
    "--async-mode",
    type=click.Choice(["eventlet", "gevent", "threading"]),
    default=None,
    help="Overrides CONFERENCE_ASYNC_MODE (eventlet by default) for this server and its workers.",
)
@with_appcontext
def serve(host: str, port: int, max_connections: int, workers: int, async_mode: str | None) -> None:
    """Serve the app with Socket.IO (eventlet by default, or gevent)."""
    from . import live_connections
    from .extensions import socketio
    from .mail.sender import start_background_sender
    from .observability import log_to_stderr

    app = current_app._get_current_object()  # type: ignore[attr-defined]
    if async_mode and async_mode != app.config["SOCKETIO_ASYNC_MODE"]:
        # The `conference` command applies the option before it imports anything (console.py);
        # `flask serve` cannot: the process is not patched for it.
        raise click.ClickException(
            f"--async-mode {async_mode} works with the `conference` command "
            f"(or set CONFERENCE_ASYNC_MODE={async_mode})"
        )
    log_to_stderr()  # errors (with request ids) and warnings reach the terminal or the service's journal
    if workers > 1:
        from .workers import supervise

        if not app.config["SOCKETIO_MESSAGE_QUEUE"]:
            raise click.ClickException(
                "several workers share their rooms through a message queue: set CONFERENCE_MESSAGE_QUEUE "
                "(e.g. redis://localhost:6379/0)"
            )
        supervise(host, port, workers, max_connections)
        return
    prepare_process(max_connections, socketio.async_mode)  # type: ignore[attr-defined]  # the stubs leave .async_mode out
    if not app.config.get("INSTANCE_ID"):
        app.config["INSTANCE_ID"] = f"{socket.gethostname()}:{port}"  # the same again after a restart
    hooks.server_starting.send(app)  # forget this process's stale sockets, resume due timers
    start_background_sender(app)  # mail queued by the CLI goes out before the first request arrives
    click.echo(f"serving on http://{host}:{port} (async mode {socketio.async_mode})")  # type: ignore[attr-defined]  # the stubs leave .async_mode out
    options_by_mode: dict[str, dict[str, Any]] = {
        # the connections' HTTP buffers made when used (a WebSocket does not use them): live_connections.py
        "eventlet": {"max_size": max_connections, "protocol": live_connections.eventlet_protocol()},
        "gevent": {},  # gevent's server has no connection limit of its own
        "threading": {"allow_unsafe_werkzeug": True},
    }
    options = options_by_mode.get(socketio.async_mode, {})  # type: ignore[attr-defined]  # the stubs leave .async_mode out
    socketio.run(app, host=host, port=port, debug=False, use_reloader=False, log_output=False, **options)


YOUNG_GENERATION_THRESHOLD = 10_000  # CPython's default is 700; see prepare_process


def raise_open_file_limit(wanted: int) -> int:
    """The soft open-file limit up to `wanted`, the hard one with it when this process may (root, or
    CAP_SYS_RESOURCE), else up to the hard limit. Returns the soft limit now."""
    import resource

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft == resource.RLIM_INFINITY or soft >= wanted:
        return soft
    if hard != resource.RLIM_INFINITY and hard < wanted:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, wanted))
            return wanted
        except (ValueError, OSError):
            pass  # not privileged: the hard limit is as far as it goes
    target = wanted if hard == resource.RLIM_INFINITY else min(hard, wanted)
    try:
        resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, target), hard))
    except (ValueError, OSError) as exc:
        click.echo(f"warning: could not raise the open-file limit from {soft}: {exc}", err=True)
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


# Open files a WebSocket holds, by async mode: simple-websocket (gevent's) keeps a dup() of each
# socket. Counted at 1 under gevent, 10,000 idle clients ran out of descriptors (EMFILE) at about
# 9,990: the accepts failed ("websocket error") and so did opening the SQLite file.
DESCRIPTORS_PER_SOCKET = {"gevent": 2}


def prepare_process(max_connections: int, async_mode: str = "eventlet") -> None:
    """Make a serving process fit for thousands of sockets on one hub.

    - The file-descriptor limit goes up to what `max_connections` need (a socket is a descriptor,
      two under gevent; 1,024, a common soft limit, is too few for a plenary): past the hard limit
      when the process may raise it (root), else up to it.
    - Everything the start-up built (the app, SQLAlchemy's mappers, country tables: about 100,000
      objects) leaves the garbage collector's view (`gc.freeze`): a full collection of them took
      0.2-0.4 s, during which no greenlet runs, whatever thread triggered it (measured during an
      attendance report: one collection held the hub for 390 ms; frozen, the worst pause was 34 ms).
    - The youngest generation is collected every YOUNG_GENERATION_THRESHOLD allocations instead of
      every 700: at the default, a join storm's objects still in flight (a join waits for its batch)
      were collected young again and again and promoted, and the promoted ones set off a full
      collection every second or two, each longer as the sockets added up. Measured on a 2,000-client
      join and vote storm (GC callbacks, process CPU time): the collector's time fell from 4.0 s to
      1.6 s, full collections from 15 to 2, and the longest collection from 354 ms to 123 ms.
    """
    import gc
    import resource

    per_socket = DESCRIPTORS_PER_SOCKET.get(async_mode, 1)
    # the database, Redis, files and the listening socket besides
    wanted = per_socket * max_connections + 1024
    soft = raise_open_file_limit(wanted)
    if soft != resource.RLIM_INFINITY and soft < per_socket * max_connections:
        click.echo(
            f"warning: the open-file limit is {soft}: at most about {(soft - 100) // per_socket} sockets "
            f"(raise it, e.g. `ulimit -n {wanted}`, or LimitNOFILE= in a systemd unit)",
            err=True,
        )
    gc.collect()
    gc.freeze()
    gc.set_threshold(YOUNG_GENERATION_THRESHOLD, *gc.get_threshold()[1:])
