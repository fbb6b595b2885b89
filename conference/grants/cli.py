"""`conference grant EVENT_SLUG EMAIL --role organiser|moderator|staff [--session ID]`."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Literal, cast

import click
from flask.cli import with_appcontext

from ..errors import ServiceError
from ..extensions import db

if TYPE_CHECKING:
    from ..accounts.models import User


@click.command("grant")
@click.argument("event_slug")
@click.argument("email")
@click.option("--role", required=True, type=click.Choice(["organiser", "moderator", "staff"]))
@click.option(
    "--session",
    "session_id",
    type=click.IntRange(1, 2**31 - 1),
    default=None,
    help="Limit a moderator to this session id of the event.",
)
@with_appcontext
def grant_command(
    event_slug: str, email: str, role: Literal["organiser", "moderator", "staff"], session_id: int | None
) -> None:
    """Give the account EMAIL a role at the event EVENT_SLUG (run by the server's operator)."""
    from pydantic import ValidationError

    from ..programme.schemas import GrantIn, field_errors
    from ..programme.services import get_event
    from .views import add_grant

    try:
        event = get_event(db.session, event_slug)
        data = GrantIn(email=email, role=role, session_id=session_id)
        # The operator at the console acts as a platform admin: a stand-in that passes `can_administer`.
        row = add_grant(db.session, event, data, cast("User", _Operator()))  # it has what the checks read
    except ValidationError as exc:
        click.echo("error: " + "; ".join(f"{k}: {v}" for k, v in field_errors(exc).items()), err=True)
        sys.exit(1)
    except ServiceError as exc:
        click.echo(f"error: {exc.message}", err=True)
        sys.exit(1)
    where = f" (session {row.session_id})" if row.session_id else ""
    click.echo(f"{row.user.email} is {row.role} of {event.slug}{where}")


class _Operator:
    """Whoever runs the CLI has the server's keys: they count as a platform admin."""

    id = None
    is_authenticated = True
    is_admin = True
