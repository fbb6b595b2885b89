"""A real SMTP server for tests: aiosmtpd on a loopback port, collecting what it receives.

`smtp_server` starts it and points the app's MAIL_SMTP_URL at it; `deliver(app)` runs one pass of
the real background sender. The server can be told to answer DATA with an error (`refuse_with`).
"""

from __future__ import annotations

import re
import threading
from email import message_from_bytes, policy
from email.message import EmailMessage
from urllib.parse import urlsplit

import pytest
from aiosmtpd.controller import Controller
from browser_support import free_port

from conference.extensions import db
from conference.mail.sender import deliver_due

LINK_RE = re.compile(r"https?://\S+/signin/[A-Za-z0-9_\-]+")


class Mailbox:
    """aiosmtpd handler: keeps every accepted message, parsed."""

    def __init__(self):
        self.messages: list[EmailMessage] = []
        self.refuse_with: str | None = None  # e.g. "550 5.1.1 no such user" or "451 4.3.0 try later"
        self._lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):  # aiosmtpd calls handle_<COMMAND>
        if self.refuse_with:
            return self.refuse_with
        message = message_from_bytes(envelope.original_content or envelope.content, policy=policy.default)
        with self._lock:
            self.messages.append(message)
        return "250 OK"

    def to(self, address: str) -> list[EmailMessage]:
        return [m for m in self.messages if m["To"] == address]


class SmtpServer:
    def __init__(self, port: int | None = None):
        self.port = port or free_port()
        self.mailbox = Mailbox()
        self.controller: Controller | None = None

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}"

    def start(self) -> SmtpServer:
        self.controller = Controller(self.mailbox, hostname="127.0.0.1", port=self.port)
        self.controller.start()
        return self

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None

    @property
    def messages(self) -> list[EmailMessage]:
        return self.mailbox.messages


@pytest.fixture()
def smtp_server(app, tmp_path):
    """A running SMTP server that the app's sender uses; .eml files (if any) stay under tmp_path."""
    server = SmtpServer().start()
    app.config["MAIL_SMTP_URL"] = server.url
    app.config["MAIL_OUTBOX_DIR"] = str(tmp_path / "outbox")
    yield server
    server.stop()


def deliver(app, **kwargs):
    """One pass of the real sender, as the background task runs it."""
    with app.app_context():
        try:
            return deliver_due(db.session, **kwargs)
        finally:
            db.session.remove()


def text_of(message: EmailMessage) -> str:
    return message.get_body(preferencelist=("plain",)).get_content()


def link_in(message: EmailMessage) -> str:
    """The path of the sign-in link in a received message (the host is the configured base URL)."""
    match = LINK_RE.search(text_of(message))
    assert match, text_of(message)
    return urlsplit(match.group(0)).path


def attachments_of(message: EmailMessage) -> dict[str, tuple[str, bytes]]:
    return {
        part.get_filename(): (part.get_content_type(), part.get_payload(decode=True))
        for part in message.iter_attachments()
    }
