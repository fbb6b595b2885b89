"""Deliver the outbox: claim a message with a conditional UPDATE, send it, record the outcome.

Several senders (processes, workers, a CLI run beside the server) may run at once: a message moves
from `queued` to `sending` only in the one UPDATE whose row count is 1, so each is handed to the
SMTP server by one sender. A sender that dies after claiming leaves the row in `sending`; once that
claim is older than MAIL_SENDING_STALE_SECONDS another sender takes it over (the Message-ID stays
the same, so a receiver can drop the rare second copy).

Temporary failures (4xx replies, connection refused, timeouts) are retried with exponential
back-off; permanent ones (5xx) and messages that exhausted MAIL_MAX_ATTEMPTS are `failed`.
"""

from __future__ import annotations

import logging
import os
import smtplib
import ssl
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email.message import EmailMessage
from pathlib import Path
from typing import Literal, Protocol, overload
from urllib.parse import parse_qs, unquote, urlsplit

from flask import Flask, current_app
from sqlalchemy import and_, or_, select, update

from ..db_session import DbSession, execute_dml
from ..db_types import utcnow
from ..extensions import db as flask_db
from ..extensions import socketio
from .models import OutboxMessage, OutboxStatus
from .services import build_email, mail_from

log = logging.getLogger("conference.mail")

QUEUED = OutboxStatus.QUEUED.value
SENDING = OutboxStatus.SENDING.value
SENT = OutboxStatus.SENT.value
FAILED = OutboxStatus.FAILED.value


class TemporaryFailure(Exception):
    """Try again later: the server said 4xx, or could not be reached."""


class PermanentFailure(Exception):
    """Never try again: the server refused the message or the recipient (5xx)."""


class Transport(Protocol):
    description: str

    def send(self, message: EmailMessage, row: OutboxMessage) -> None:
        """Hand one message over, or raise TemporaryFailure / PermanentFailure."""


# --- transports -------------------------------------------------------------------------------------


@dataclass
class SmtpSettings:
    host: str
    port: int
    ssl: bool = False  # smtps://: TLS from the first byte
    starttls: bool = False
    username: str | None = None
    password: str | None = None
    timeout: float = 30.0

    @classmethod
    def from_url(cls, url: str) -> SmtpSettings:
        """`smtp://user:pass@host:587?starttls=1` or `smtps://user:pass@host` (port 465)."""
        parts = urlsplit(url)
        if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
            raise ValueError(
                "CONFERENCE_SMTP_URL must look like smtp://user:pass@host:587?starttls=1 or smtps://..."
            )
        query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
        secure = parts.scheme == "smtps"
        return cls(
            host=parts.hostname,
            port=parts.port or (465 if secure else 25),
            ssl=secure,
            starttls=not secure and query.get("starttls", "0").lower() in ("1", "true", "yes", "on"),
            username=unquote(parts.username) if parts.username else None,
            password=unquote(parts.password) if parts.password else None,
            timeout=float(query.get("timeout", 30)),
        )


def _is_temporary(code: int | None) -> bool:
    return code is not None and 400 <= code < 500


class SmtpTransport:
    def __init__(self, settings: SmtpSettings):
        self.settings = settings
        self.description = f"SMTP server {settings.host}:{settings.port}"

    def _connect(self) -> smtplib.SMTP:
        s = self.settings
        context = ssl.create_default_context()
        if s.ssl:
            client: smtplib.SMTP = smtplib.SMTP_SSL(s.host, s.port, timeout=s.timeout, context=context)
        else:
            client = smtplib.SMTP(s.host, s.port, timeout=s.timeout)
            if s.starttls:
                client.starttls(context=context)
        if s.username:
            client.login(s.username, s.password or "")
        return client

    def send(self, message: EmailMessage, row: OutboxMessage) -> None:
        try:
            client = self._connect()
        except smtplib.SMTPAuthenticationError as exc:
            raise TemporaryFailure(f"authentication refused: {exc.smtp_code} {exc.smtp_error!r}") from exc
        except smtplib.SMTPResponseException as exc:
            raise TemporaryFailure(f"{exc.smtp_code} {exc.smtp_error!r}") from exc
        except (OSError, smtplib.SMTPException) as exc:  # refused, unreachable, timeout, TLS
            raise TemporaryFailure(f"cannot reach {self.description}: {exc}") from exc
        try:
            refused = client.send_message(message)
        except smtplib.SMTPRecipientsRefused as exc:
            codes = [code for code, _ in exc.recipients.values()]
            detail = "; ".join(f"{addr}: {code} {text!r}" for addr, (code, text) in exc.recipients.items())
            if all(_is_temporary(c) for c in codes):
                raise TemporaryFailure(detail) from exc
            raise PermanentFailure(detail) from exc
        except smtplib.SMTPResponseException as exc:  # sender refused, data refused...
            error = f"{exc.smtp_code} {exc.smtp_error!r}"
            raise (
                TemporaryFailure(error) if _is_temporary(exc.smtp_code) else PermanentFailure(error)
            ) from exc
        except (OSError, smtplib.SMTPException) as exc:  # the connection broke mid-way
            raise TemporaryFailure(f"{self.description} broke off: {exc}") from exc
        finally:
            try:
                client.quit()
            except (OSError, smtplib.SMTPException):
                client.close()
        if refused:  # one recipient per message: a partial refusal is the whole refusal
            raise PermanentFailure(str(refused))


class FileTransport:
    """The embedded default: each message becomes an .eml file that admins read at /manage/outbox."""

    def __init__(self, directory: Path):
        self.directory = Path(directory)
        self.description = f".eml files in {self.directory}"

    def path_for(self, row: OutboxMessage) -> Path:
        return self.directory / f"{row.created_at:%Y%m%d-%H%M%S}-{row.id}.eml"

    def send(self, message: EmailMessage, row: OutboxMessage) -> None:
        try:
            self.directory.mkdir(mode=0o700, parents=True, exist_ok=True)
            # Owner-only: the messages carry sign-in links. A retry after a crash rewrites the file.
            fd = os.open(self.path_for(row), os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "wb") as handle:
                handle.write(message.as_bytes())
        except OSError as exc:
            raise TemporaryFailure(f"cannot write {self.path_for(row)}: {exc}") from exc


def outbox_directory(app: Flask) -> Path:
    return Path(app.config["MAIL_OUTBOX_DIR"] or Path(app.instance_path) / "outbox")


def transport_for(app: Flask) -> Transport:
    url = app.config["MAIL_SMTP_URL"]
    if url:
        return SmtpTransport(SmtpSettings.from_url(url))
    return FileTransport(outbox_directory(app))


def describe_delivery(app: Flask) -> str:
    """One line for `conference demo` and the outbox page: where mail goes."""
    if app.config["MAIL_SMTP_URL"]:
        settings = SmtpSettings.from_url(app.config["MAIL_SMTP_URL"])
        return f"mail is sent through the SMTP server {settings.host}:{settings.port}"
    return (
        f"mail is not sent (no CONFERENCE_SMTP_URL): messages are written to {outbox_directory(app)} "
        f"and admins read them at /manage/outbox"
    )


# --- the delivery loop --------------------------------------------------------------------------------


@dataclass
class DeliveryReport:
    sent: int = 0
    retrying: int = 0
    failed: int = 0
    errors: list[str] = field(default_factory=list)

    @property
    def attempted(self) -> int:
        return self.sent + self.retrying + self.failed


def retry_delay(attempts: int) -> timedelta:
    """Exponential back-off after the `attempts`-th failure: base, 2x base, 4x base... capped."""
    base = float(current_app.config["MAIL_RETRY_BASE_SECONDS"])
    cap = float(current_app.config["MAIL_RETRY_MAX_SECONDS"])
    return timedelta(seconds=min(cap, base * 2 ** max(0, attempts - 1)))


def _claimable(now: datetime):
    stale_before = now - timedelta(seconds=float(current_app.config["MAIL_SENDING_STALE_SECONDS"]))
    return or_(
        and_(OutboxMessage.status == QUEUED, OutboxMessage.next_attempt_at <= now),
        and_(OutboxMessage.status == SENDING, OutboxMessage.claimed_at < stale_before),
    )


def claim(db: DbSession, message_id: int, now: datetime) -> bool:
    """Take one message for this sender; False when another sender has it (or it is not due)."""
    claimed = execute_dml(
        db,
        update(OutboxMessage)
        .where(OutboxMessage.id == message_id, _claimable(now))
        .values(status=SENDING, claimed_at=now, attempts=OutboxMessage.attempts + 1)
        .execution_options(synchronize_session=False),
    ).rowcount
    db.commit()
    return claimed == 1


def _record(db: DbSession, message_id: int, **values) -> None:
    # Only the sender holding the claim records the outcome.
    db.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == message_id, OutboxMessage.status == SENDING)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    db.commit()


def deliver_one(db: DbSession, row: OutboxMessage, transport: Transport, report: DeliveryReport) -> None:
    try:
        message = build_email(row, mail_from())
    except (ValueError, TypeError, KeyError) as exc:  # a row no library can turn into mail
        _record(db, row.id, status=FAILED, last_error=f"cannot compose: {exc}"[:2000])
        report.failed += 1
        return
    try:
        transport.send(message, row)
    except TemporaryFailure as exc:
        if row.attempts >= int(current_app.config["MAIL_MAX_ATTEMPTS"]):
            _record(
                db, row.id, status=FAILED, last_error=f"gave up after {row.attempts} attempts: {exc}"[:2000]
            )
            report.failed += 1
        else:
            _record(
                db,
                row.id,
                status=QUEUED,
                last_error=str(exc)[:2000],
                next_attempt_at=utcnow() + retry_delay(row.attempts),
            )
            report.retrying += 1
        report.errors.append(str(exc))
        log.warning("mail %s to %s not delivered yet: %s", row.id, row.to_address, exc)
    except PermanentFailure as exc:
        _record(db, row.id, status=FAILED, last_error=str(exc)[:2000])
        report.failed += 1
        report.errors.append(str(exc))
        log.error("mail %s to %s refused: %s", row.id, row.to_address, exc)
    except Exception as exc:  # an unforeseen error must not leave the claim to go stale
        log.exception("mail %s to %s: unexpected error", row.id, row.to_address)
        _record(
            db,
            row.id,
            status=QUEUED if row.attempts < int(current_app.config["MAIL_MAX_ATTEMPTS"]) else FAILED,
            last_error=f"unexpected error: {exc!r}"[:2000],
            next_attempt_at=utcnow() + retry_delay(row.attempts),
        )
        report.retrying += 1
        report.errors.append(repr(exc))
    else:
        _record(db, row.id, status=SENT, sent_at=utcnow(), last_error=None)
        report.sent += 1


def deliver_due(
    db: DbSession, transport: Transport | None = None, *, limit: int = 100, now: datetime | None = None
) -> DeliveryReport:
    """Send every message that is due now (at most `limit`), one claim at a time."""
    transport = transport or transport_for(current_app)
    report = DeliveryReport()
    now = now or utcnow()
    candidates = db.scalars(
        select(OutboxMessage.id)
        .where(_claimable(now))
        .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id)
        .limit(limit)
    ).all()
    db.commit()  # end the read: each claim is its own short transaction
    for message_id in candidates:
        if not claim(db, message_id, now):
            continue
        row = db.get_one(OutboxMessage, message_id, populate_existing=True)  # claimed: it is there
        deliver_one(db, row, transport, report)
        socketio.sleep(0)  # one long batch must not hold up the sockets this process serves
    return report


@overload
def run_sender(app: Flask, *, once: Literal[True]) -> DeliveryReport: ...
@overload
def run_sender(app: Flask, *, once: Literal[False] = False) -> None: ...
def run_sender(app: Flask, *, once: bool = False) -> DeliveryReport | None:
    """Deliver due messages; with `once`, one pass and return its report, else poll for ever."""
    interval = float(app.config["MAIL_POLL_SECONDS"])
    while True:
        with app.app_context():
            try:
                report = deliver_due(flask_db.session)
            except Exception:  # keep the loop alive: the next round retries from the database
                flask_db.session.rollback()
                log.exception("mail sender round failed")
                report = DeliveryReport()
            finally:
                flask_db.session.remove()
        if once:
            return report
        if report.attempted == 0:
            socketio.sleep(interval)  # type: ignore[arg-type]  # the stubs say int; any number of seconds works


def start_background_sender(app: Flask) -> bool:
    """Start one sender per process (outside tests); True when this call started it."""
    if app.testing or not app.config["MAIL_BACKGROUND_SENDER"] or app.extensions.get("mail_sender"):
        return False
    app.extensions["mail_sender"] = True
    socketio.start_background_task(run_sender, app)
    return True
