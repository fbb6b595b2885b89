"""Queue a message in the caller's transaction, and turn a queued row into a standard e-mail."""

from __future__ import annotations

import base64
from dataclasses import dataclass
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid, parseaddr

from flask import current_app, has_request_context, render_template, request

from ..db_session import DbSession
from ..db_types import utcnow
from ..errors import ServiceError
from ..i18n.selection import recipient_language, written_in  # noqa: F401 - the mail's language, named here too
from .models import OutboxMessage

MAX_SUBJECT = 300


@dataclass(frozen=True)
class Attachment:
    filename: str
    content_type: str
    data: bytes

    def stored(self) -> dict:
        return {
            "filename": self.filename,
            "content_type": self.content_type,
            "base64": base64.b64encode(self.data).decode("ascii"),
        }


def mail_from() -> str:
    return current_app.config["MAIL_FROM"]


def sender_domain() -> str:
    address = parseaddr(mail_from())[1]
    return address.rpartition("@")[2] or "conference.localhost"


def _one_line(text: str, limit: int) -> str:
    """Headers take one line: a title with a line break must not add headers of its own."""
    return " ".join((text or "").split())[:limit]


def enqueue(
    db: DbSession,
    *,
    to: str,
    subject: str,
    text: str,
    html: str | None = None,
    attachments: tuple[Attachment, ...] | list[Attachment] = (),
    kind: str = "",
) -> OutboxMessage:
    """Add a message to the outbox in the caller's transaction (never commits): it is sent only if
    the change that caused it is committed."""
    to = (to or "").strip()
    if "@" not in to or any(c in to for c in "\r\n,;<>"):
        raise ServiceError("invalid_recipient", f"{to!r} is not a single e-mail address")
    row = OutboxMessage(
        message_id=make_msgid(domain=sender_domain()),
        kind=kind[:32],
        to_address=to,
        subject=_one_line(subject, MAX_SUBJECT),
        text=text,
        html=html,
        attachments=[a.stored() for a in attachments],
        next_attempt_at=utcnow(),
    )
    db.add(row)
    return row


def enqueue_template(
    db: DbSession,
    *,
    to: str,
    subject: str,
    template: str,
    attachments: tuple[Attachment, ...] | list[Attachment] = (),
    kind: str = "",
    **context,
) -> OutboxMessage:
    """Compose from `templates/mail/<template>.txt` and `.html` and queue the message (in the language
    in force: wrap the call, and the subject's composition, in `written_in`)."""
    subject = str(subject)  # a lazy string reads in the language in force
    context.setdefault("subject", subject)
    text = render_template(f"mail/{template}.txt", **context)
    html = render_template(f"mail/{template}.html", **context)
    return enqueue(
        db, to=to, subject=subject, text=text, html=html, attachments=attachments, kind=kind or template
    )


def absolute_url(endpoint: str, **values) -> str:
    """A link for a message read elsewhere: PUBLIC_BASE_URL when configured, else this request's
    host, else the embedded server's default address (the CLI has no request)."""
    base = current_app.config["PUBLIC_BASE_URL"]
    if not base and has_request_context():
        base = request.host_url
    base = (base or "http://127.0.0.1:5000").rstrip("/")
    path = current_app.url_map.bind("localhost").build(endpoint, values)
    return base + path


def build_email(row: OutboxMessage, sender: str) -> EmailMessage:
    """The standard library composes the MIME structure: text, HTML alternative, attachments."""
    message = EmailMessage()
    message["From"] = sender
    message["To"] = Address(addr_spec=row.to_address)
    message["Subject"] = row.subject
    message["Date"] = format_datetime(row.created_at)
    message["Message-ID"] = row.message_id
    message["Auto-Submitted"] = "auto-generated"
    message.set_content(row.text)
    if row.html:
        message.add_alternative(row.html, subtype="html")
    for item in row.attachments or []:
        maintype, _, subtype = item["content_type"].partition("/")
        message.add_attachment(
            base64.b64decode(item["base64"]), maintype=maintype, subtype=subtype, filename=item["filename"]
        )
    return message
