"""`conference import-programme FILE EVENT_SLUG` and `conference export-programme EVENT_SLUG [FILE]`."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click
from flask.cli import with_appcontext

from ..errors import ServiceError
from ..extensions import db


@click.command("import-programme")
@click.argument("schedule_file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.argument("event_slug")
@click.option("--dry-run", is_flag=True, help="Report what would change and write nothing.")
@with_appcontext
def import_programme(schedule_file: Path, event_slug: str, dry_run: bool) -> None:
    """Import a frab/pretalx schedule.json into an event, in one transaction (matched by guid)."""
    from ..programme.services import get_event
    from . import services

    try:
        event = get_event(db.session, event_slug)
        report = services.import_schedule(
            db.session, event, services.load_schedule_text(schedule_file.read_bytes()), apply=not dry_run
        )
    except ServiceError as exc:
        click.echo(f"error: {exc.message}", err=True)
        sys.exit(1)
    if not report.ok:
        click.echo(f"refused: {len(report.errors)} problem(s), nothing imported", err=True)
        for problem in report.errors:
            click.echo(f"  {problem.path}: {problem.message}", err=True)
        sys.exit(1)
    verb = "would import" if dry_run else "imported"
    for name in ("sessions", "tracks", "speakers"):
        counts = getattr(report, name)
        click.echo(
            f"{verb} {name}: {counts.created} created, {counts.updated} updated, {counts.unchanged} unchanged"
        )


@click.command("export-programme")
@click.argument("event_slug")
@click.argument("output", required=False, type=click.Path(dir_okay=False, path_type=Path))
@click.option("--base-url", default="", help="The event's public address ending in /, for the talks' URLs.")
@with_appcontext
def export_programme(event_slug: str, output: Path | None, base_url: str) -> None:
    """Write an event's programme as schedule.json (to FILE, or to standard output)."""
    from ..programme.services import get_event
    from . import services

    try:
        document = services.export_schedule(
            db.session, get_event(db.session, event_slug), base_url=base_url, include_private=True
        )
    except ServiceError as exc:
        click.echo(f"error: {exc.message}", err=True)
        sys.exit(1)
    text = json.dumps(document, ensure_ascii=False, indent=2) + "\n"
    if output is None:
        click.echo(text, nl=False)
    else:
        output.write_text(text, encoding="utf-8")
        click.echo(f"wrote {output}")


SCHEDULE_COMMANDS = (import_programme, export_programme)
