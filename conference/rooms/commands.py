"""`conference rooms-reset`: forget sockets that a stopped or crashed server left behind."""

from __future__ import annotations

import click
from flask.cli import with_appcontext

from ..extensions import db
from .presence import reset_presence


@click.command("rooms-reset")
@with_appcontext
def rooms_reset() -> None:
    """Close every open room visit and clear presence. Run it before the servers start, never while
    one is running (its connected sockets would vanish from the counts)."""
    removed, closed = reset_presence(db.session)
    click.echo(f"presence cleared ({removed} sockets), {closed} open visits closed")
