"""`conference checkin ...`: set an event up for check-in from the command line."""

from __future__ import annotations

import sys

import click
from flask.cli import AppGroup, with_appcontext

from ..accounts.services import find_user_by_email
from ..errors import ServiceError
from ..extensions import db
from ..grants.services import grant
from ..programme.services import get_event
from .lists import ensure_default_lists

checkin_cli = AppGroup("checkin")  # added to `conference` by the feature's init_app


@checkin_cli.command("create-lists")
@click.argument("event_slug")
@with_appcontext
def create_lists(event_slug: str) -> None:
    """Create the entrance, day and session-door lists of an event (idempotent)."""
    try:
        event = get_event(db.session, event_slug)
    except ServiceError as exc:
        click.echo(f"error: {exc.message}", err=True)
        sys.exit(1)
    for checkin_list in ensure_default_lists(db.session, event):
        click.echo(f"{checkin_list.id:5} {checkin_list.scope:8} {checkin_list.name}")


@checkin_cli.command("assign-staff")
@click.argument("event_slug")
@with_appcontext
@click.argument("emails", nargs=-1, required=True)
def assign_staff(event_slug: str, emails: tuple[str, ...]) -> None:
    """Give people the check-in staff grant of an event, so they may scan there (idempotent)."""
    try:
        event = get_event(db.session, event_slug)
        for email in emails:
            user = find_user_by_email(db.session, email)
            if user is None:
                raise ServiceError("user_not_found", f"no user {email}")
            grant(db.session, event, user, "staff")
            click.echo(f"{email} may scan at {event.slug}")
    except ServiceError as exc:
        click.echo(f"error: {exc.message}", err=True)
        sys.exit(1)
