"""The outbox and its sender against a real SMTP server: retries, refusals, races, restarts, .eml files."""

from __future__ import annotations

from datetime import timedelta
from email import message_from_bytes, policy
from pathlib import Path

from browser_support import free_port
from concurrency_support import run_together
from conftest import post_form
from mail_support import SmtpServer, deliver, text_of
from sqlalchemy import select, update

from conference.db_types import utcnow
from conference.extensions import db as _db
from conference.mail.models import OutboxMessage
from conference.mail.sender import deliver_due
from conference.mail.services import Attachment, enqueue


def queue(app, n: int = 1, **overrides) -> list[int]:
    with app.app_context():
        rows = [
            enqueue(
                _db.session,
                to=overrides.get("to", f"person{i}@example.org"),
                subject=overrides.get("subject", f"Message {i}"),
                text=f"Body {i}\n",
                html=overrides.get("html"),
                attachments=overrides.get("attachments", ()),
                kind="test",
            )
            for i in range(n)
        ]
        _db.session.commit()
        return [r.id for r in rows]


def row(app, message_id: int) -> OutboxMessage:
    with app.app_context():
        found = _db.session.get(OutboxMessage, message_id)
        _db.session.expunge(found)
        return found


def make_due(app) -> None:
    """Move the clock past every back-off, as if the retry delay had passed."""
    with app.app_context():
        _db.session.execute(update(OutboxMessage).values(next_attempt_at=utcnow() - timedelta(seconds=1)))
        _db.session.commit()


def test_a_message_arrives_whole_with_its_message_id(app, smtp_server):
    [message_id] = queue(
        app,
        to="amina@example.org",
        subject="Hello",
        html="<p>Hello <b>there</b></p>",
        attachments=[Attachment("note.txt", "text/plain", b"attached text")],
    )
    report = deliver(app)
    assert report.sent == 1
    [received] = smtp_server.messages
    sent = row(app, message_id)
    assert received["Subject"] == "Hello" and received["To"] == "amina@example.org"
    assert received["Message-ID"] == sent.message_id
    assert text_of(received).strip() == "Body 0"
    assert "<b>there</b>" in received.get_body(preferencelist=("html",)).get_content()
    [attachment] = list(received.iter_attachments())
    assert attachment.get_filename() == "note.txt" and attachment.get_content().strip() == "attached text"
    assert sent.status == "sent" and sent.sent_at is not None and sent.attempts == 1
    assert deliver(app).attempted == 0  # nothing is sent twice


def test_a_subject_with_line_breaks_cannot_add_headers(app, smtp_server):
    queue(app, subject="Invitation\r\nBcc: everyone@example.org")
    deliver(app)
    [received] = smtp_server.messages
    assert received["Bcc"] is None
    assert received["Subject"] == "Invitation Bcc: everyone@example.org"


def test_the_sender_retries_after_the_server_was_down_and_delivers_exactly_once(app, tmp_path):
    port = free_port()  # nothing listens here yet: connection refused
    app.config["MAIL_SMTP_URL"] = f"smtp://127.0.0.1:{port}"
    [message_id] = queue(app)

    report = deliver(app)
    assert (report.sent, report.retrying) == (0, 1)
    waiting = row(app, message_id)
    assert waiting.status == "queued" and waiting.attempts == 1
    assert "cannot reach" in waiting.last_error
    assert waiting.next_attempt_at > utcnow() + timedelta(seconds=50)  # back-off, not a hot loop
    assert deliver(app).attempted == 0  # not due yet

    make_due(app)
    assert deliver(app).retrying == 1  # still down: the second back-off is longer
    second = row(app, message_id)
    assert second.attempts == 2 and second.next_attempt_at > utcnow() + timedelta(seconds=110)

    server = SmtpServer(port).start()
    try:
        make_due(app)
        assert deliver(app).sent == 1
        make_due(app)
        assert deliver(app).attempted == 0
        assert len(server.messages) == 1
    finally:
        server.stop()
    done = row(app, message_id)
    assert done.status == "sent" and done.attempts == 3 and done.last_error is None


def test_a_temporary_refusal_is_retried_and_a_permanent_one_is_recorded(app, smtp_server):
    [temporary] = queue(app)
    smtp_server.mailbox.refuse_with = "451 4.3.0 mailbox busy, try later"
    assert deliver(app).retrying == 1
    assert row(app, temporary).status == "queued" and "451" in row(app, temporary).last_error

    smtp_server.mailbox.refuse_with = "550 5.1.1 no such user here"
    make_due(app)
    report = deliver(app)
    assert report.failed == 1
    failed = row(app, temporary)
    assert failed.status == "failed" and "550" in failed.last_error and "no such user" in failed.last_error
    make_due(app)
    assert deliver(app).attempted == 0  # a permanent failure is never retried
    assert smtp_server.messages == []


def test_too_many_temporary_failures_give_up(app, smtp_server):
    app.config["MAIL_MAX_ATTEMPTS"] = 2
    [message_id] = queue(app)
    smtp_server.mailbox.refuse_with = "421 4.7.0 too busy"
    deliver(app)
    make_due(app)
    deliver(app)
    gave_up = row(app, message_id)
    assert gave_up.status == "failed" and "gave up after 2 attempts" in gave_up.last_error


def test_two_senders_racing_deliver_each_message_once(app, smtp_server):
    ids = queue(app, 30)

    def sender(_n):
        deliver_due(_db.session)

    assert run_together(app, sender, 4) == ["ok"] * 4
    received = [m["Message-ID"] for m in smtp_server.messages]
    assert len(received) == 30 and len(set(received)) == 30
    with app.app_context():
        statuses = _db.session.scalars(select(OutboxMessage.status).where(OutboxMessage.id.in_(ids))).all()
        attempts = _db.session.scalars(select(OutboxMessage.attempts)).all()
    assert set(statuses) == {"sent"} and set(attempts) == {1}


def test_a_claim_left_by_a_crashed_sender_is_taken_over_after_the_stale_limit(app, smtp_server):
    [message_id] = queue(app)
    with app.app_context():  # a sender claimed it, then its process died before recording anything
        _db.session.execute(update(OutboxMessage).values(status="sending", attempts=1, claimed_at=utcnow()))
        _db.session.commit()
    assert deliver(app).attempted == 0  # a fresh claim belongs to a live sender
    with app.app_context():
        _db.session.execute(update(OutboxMessage).values(claimed_at=utcnow() - timedelta(minutes=11)))
        _db.session.commit()
    assert deliver(app).sent == 1
    assert len(smtp_server.messages) == 1 and row(app, message_id).attempts == 2


def test_requests_never_wait_for_smtp(app, logged_in_client, make_user, make_event):
    # No server listens at this port: a registration still answers at once, its mail waits queued.
    app.config["MAIL_SMTP_URL"] = f"smtp://127.0.0.1:{free_port()}"
    user, event = make_user(), make_event()
    client = logged_in_client(user)
    response = post_form(client, f"/events/{event.slug}/register", {"mode": "online"})
    assert response.status_code == 303
    with app.app_context():
        [queued] = _db.session.scalars(select(OutboxMessage)).all()
    assert queued.status == "queued" and queued.attempts == 0 and queued.to_address == user.email


def test_without_smtp_messages_become_eml_files_that_admins_read(app, tmp_path, make_user, logged_in_client):
    app.config["MAIL_SMTP_URL"] = None
    app.config["MAIL_OUTBOX_DIR"] = str(tmp_path / "outbox")
    [message_id] = queue(
        app,
        to="omar@example.org",
        subject="Your sign-in link",
        attachments=[Attachment("badge.png", "image/png", b"\x89PNG fake")],
    )
    with app.app_context():
        _db.session.execute(
            update(OutboxMessage).values(text="Sign in: https://conf.example/signin/abc123\n")
        )
        _db.session.commit()
    assert deliver(app).sent == 1
    [eml] = list(Path(tmp_path / "outbox").glob("*.eml"))
    parsed = message_from_bytes(eml.read_bytes(), policy=policy.default)
    assert parsed["Subject"] == "Your sign-in link" and parsed["To"] == "omar@example.org"
    assert row(app, message_id).status == "sent"

    admin = logged_in_client(make_user("admin"))
    listing = admin.get("/manage/outbox")
    assert listing.status_code == 200
    page = listing.get_data(as_text=True)
    assert "Your sign-in link" in page and "omar@example.org" in page and str(tmp_path / "outbox") in page
    one = admin.get(f"/manage/outbox/{message_id}").get_data(as_text=True)
    assert 'href="https://conf.example/signin/abc123"' in one and "badge.png" in one
    assert admin.get("/manage/outbox/999999").status_code == 404

    attendee = logged_in_client(make_user())
    assert attendee.get("/manage/outbox").status_code == 403
    assert attendee.get(f"/manage/outbox/{message_id}").status_code == 403
    assert app.test_client().get("/manage/outbox").status_code == 302  # to the sign-in page
