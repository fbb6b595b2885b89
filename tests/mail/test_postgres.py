"""On PostgreSQL (schema from the migrations): racing senders deliver each message once, and two
clicks on one link sign in once."""

from __future__ import annotations

import pytest
from concurrency_support import run_together
from mail_support import SmtpServer
from pg_support import postgres_app

from conference.accounts.links import issue_link, sign_in_with_link
from conference.accounts.services import create_user
from conference.extensions import db
from conference.mail.sender import deliver_due
from conference.mail.services import enqueue


@pytest.fixture()
def pg_app():
    with postgres_app("mail") as app:
        yield app


def test_racing_senders_deliver_each_message_once_on_postgres(pg_app):
    server = SmtpServer().start()
    pg_app.config["MAIL_SMTP_URL"] = server.url
    try:
        with pg_app.app_context():
            for n in range(25):
                enqueue(db.session, to=f"p{n}@example.org", subject=f"Message {n}", text="Hello\n")
            db.session.commit()
        assert run_together(pg_app, lambda _n: deliver_due(db.session), 5) == ["ok"] * 5
        ids = [m["Message-ID"] for m in server.messages]
        assert len(ids) == 25 and len(set(ids)) == 25
    finally:
        server.stop()


def test_two_clicks_on_one_link_sign_in_once_on_postgres(pg_app):
    with pg_app.app_context():
        user = create_user(db.session, email="amina@example.org", name="Amina Diallo")
        token = issue_link(db.session, user, "signin")
        db.session.commit()
    outcomes = run_together(pg_app, lambda _n: sign_in_with_link(db.session, token), 6)
    assert outcomes.count("ok") == 1 and outcomes.count("used_link") == 5
