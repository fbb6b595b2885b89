"""`/manage/outbox`: the admins' view of every message, and `conference mail send`."""

from __future__ import annotations

import base64
import re

import click
from flask import Blueprint, abort, current_app, render_template
from flask.cli import AppGroup
from flask_login import current_user
from sqlalchemy import func, select

from ..auth import login_required
from ..errors import Forbidden
from ..extensions import db
from ..grants.checks import can_administer
from .models import OutboxMessage
from .sender import describe_delivery, run_sender, start_background_sender

bp = Blueprint("mail", __name__)
mail_cli = AppGroup("mail")  # `conference mail ...`

PAGE_SIZE = 200
LINK_RE = re.compile(r"https?://[^\s<>\"']+")


def _ensure_admin() -> None:
    if not can_administer(current_user):
        raise Forbidden("admins_only", "Only administrators may read the outbox.")


@bp.get("/manage/outbox")
@login_required
def outbox():
    _ensure_admin()
    messages = db.session.scalars(
        select(OutboxMessage).order_by(OutboxMessage.id.desc()).limit(PAGE_SIZE)
    ).all()
    counts = dict(
        db.session.execute(select(OutboxMessage.status, func.count()).group_by(OutboxMessage.status)).all()
    )
    return render_template(
        "mail/outbox.html", messages=messages, counts=counts, delivery=describe_delivery(current_app)
    )


@bp.get("/manage/outbox/<int:message_id>")
@login_required
def outbox_message(message_id: int):
    _ensure_admin()
    message = db.session.get(OutboxMessage, message_id)
    if message is None:
        abort(404)
    attachments = [
        {
            "filename": a["filename"],
            "content_type": a["content_type"],
            "size": len(base64.b64decode(a["base64"])),
        }
        for a in message.attachments or []
    ]
    return render_template(
        "mail/outbox_message.html",
        message=message,
        attachments=attachments,
        links=list(dict.fromkeys(LINK_RE.findall(message.text))),
    )


@bp.before_app_request
def _start_sender() -> None:
    start_background_sender(current_app._get_current_object())  # type: ignore[attr-defined]  # Flask types current_app as the app it proxies


@mail_cli.command("send")
@click.option("--once", is_flag=True, help="Deliver what is due now and stop, instead of polling.")
def send_command(once: bool) -> None:
    """Deliver the outbox (SMTP, or .eml files when CONFERENCE_SMTP_URL is not set)."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]  # Flask types current_app as the app it proxies
    click.echo(describe_delivery(app))
    if once:
        report = run_sender(app, once=True)
        click.echo(f"sent {report.sent}, retrying later {report.retrying}, failed {report.failed}")
        for error in report.errors:
            click.echo(f"  {error}", err=True)
        return
    run_sender(app)
