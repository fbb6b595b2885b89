"""Sign-in links, password reset and invitations, followed from the messages a real SMTP server got."""

from __future__ import annotations

import re
from datetime import timedelta

from concurrency_support import run_together
from conftest import PASSWORD, post_form
from mail_support import deliver, link_in, text_of
from sqlalchemy import func, select, update

from conference.accounts.links import sign_in_with_link
from conference.accounts.models import SignInLink, User
from conference.db_types import utcnow
from conference.extensions import db as _db
from conference.mail.models import OutboxMessage

CSRF = re.compile(r'(name="csrf-token" content="|name="csrf_token" type="hidden" value=")[^"]+')


def without_csrf(body: bytes) -> str:
    return CSRF.sub(r"\1…", body.decode())


def user_row(app, email: str) -> User:
    with app.app_context():
        user = _db.session.scalar(select(User).where(User.email == email))
        _db.session.expunge(user)
        return user


def outbox_count(app) -> int:
    with app.app_context():
        return _db.session.scalar(select(func.count()).select_from(OutboxMessage))


def imported_user(app, email="amina@example.org"):
    from conference.accounts.services import create_user

    with app.app_context():
        user = create_user(_db.session, email=email, name="Amina Diallo")  # no password, as imported
        _db.session.expunge(user)
        return user


def ask_for_link(app, client, smtp_server, url: str, email: str):
    response = post_form(client, url, {"email": email})
    assert response.status_code == 200, response.data[:300]
    deliver(app)
    return smtp_server.mailbox.to(email.strip().lower())[-1]


def test_a_sign_in_link_signs_in_once_and_a_second_use_is_refused(app, client, smtp_server):
    imported_user(app)
    message = ask_for_link(app, client, smtp_server, "/login/link", "amina@example.org")
    assert message["Subject"] == "Your sign-in link" and "30 minutes" in text_of(message)
    path = link_in(message)

    assert client.get("/me/registrations").status_code == 302
    page = client.get(path)  # opening the link (or a mail scanner fetching it) spends nothing
    assert page.status_code == 200 and "Sign in as Amina Diallo" in page.get_data(as_text=True)
    assert client.get(path).status_code == 200
    signed_in = post_form(client, path, {})
    assert signed_in.status_code == 303 and signed_in.headers["Location"].endswith("/me/registrations")
    assert "Amina Diallo" in client.get("/me/registrations").get_data(as_text=True)
    assert user_row(app, "amina@example.org").last_login_at is not None

    again = app.test_client()
    refused = again.get(path)
    assert refused.status_code == 410 and "already used" in refused.get_data(as_text=True)
    assert post_form(again, path, {}).status_code == 410
    assert again.get("/me/registrations").status_code == 302


def test_an_invitation_lets_the_person_set_a_password(app, client, smtp_server, tmp_path, make_event):
    event = make_event()
    csv_file = tmp_path / "one.csv"
    csv_file.write_text(
        "email,name,organisation,country,mode\namina@example.org,Amina Diallo,MoH,SN,online\n"
    )
    assert (
        app.test_cli_runner()
        .invoke(args=["import-participants", str(csv_file), event.slug, "--invite", "now"])
        .exit_code
        == 0
    )
    deliver(app)
    [invitation] = smtp_server.messages
    assert "7 days" in text_of(invitation)
    path = link_in(invitation)
    short = post_form(client, path, {"password": "short", "confirm": "short"})
    assert short.status_code == 400 and "The password needs at least 8 characters" in short.get_data(
        as_text=True
    )
    differ = post_form(client, path, {"password": "long enough 1", "confirm": "long enough 2"})
    assert differ.status_code == 400 and "The passwords differ." in differ.get_data(as_text=True)
    assert (
        post_form(client, path, {"password": "my new password", "confirm": "my new password"}).status_code
        == 303
    )
    page = client.get("/me/registrations").get_data(as_text=True)
    assert "Your password is set" in page and event.title in page

    fresh = app.test_client()
    login = post_form(fresh, "/login", {"email": "amina@example.org", "password": "my new password"})
    assert login.status_code == 303
    assert (
        post_form(
            app.test_client(), path, {"password": "another password", "confirm": "another password"}
        ).status_code
        == 410
    )


def test_password_reset_signs_out_other_sessions(app, client, make_user, logged_in_client, smtp_server):
    user = make_user(email="omar@example.org")
    elsewhere = logged_in_client(user)
    assert elsewhere.get("/me/registrations").status_code == 200

    message = ask_for_link(app, client, smtp_server, "/forgot", "OMAR@example.org ")
    assert message["Subject"] == "Reset your password" and "1 hour" in text_of(message)
    path = link_in(message)
    assert "Choose a new password" in client.get(path).get_data(as_text=True)
    empty = post_form(client, path, {"password": "", "confirm": ""})
    assert empty.status_code == 400 and "Choose a new password." in empty.get_data(as_text=True)
    assert (
        post_form(client, path, {"password": "brand new secret", "confirm": "brand new secret"}).status_code
        == 303
    )
    assert client.get("/me/registrations").status_code == 200
    assert elsewhere.get("/me/registrations").status_code == 302  # the other session is over

    old = post_form(app.test_client(), "/login", {"email": user.email, "password": PASSWORD})
    assert old.status_code == 400
    assert (
        post_form(
            app.test_client(), "/login", {"email": user.email, "password": "brand new secret"}
        ).status_code
        == 303
    )


def test_an_expired_link_is_refused_with_a_clear_page(app, client, smtp_server):
    imported_user(app)
    path = link_in(ask_for_link(app, client, smtp_server, "/login/link", "amina@example.org"))
    with app.app_context():
        _db.session.execute(update(SignInLink).values(expires_at=utcnow() - timedelta(seconds=1)))
        _db.session.commit()
    page = client.get(path)
    assert page.status_code == 410 and "This link has expired" in page.get_data(as_text=True)
    assert post_form(client, path, {}).status_code == 410
    assert client.get("/me/registrations").status_code == 302


def test_unknown_and_malformed_links_are_404(client):
    for token in ("not-a-token", "x" * 500, "%C3%A9t%C3%A9"):
        page = client.get(f"/signin/{token}")
        assert page.status_code == 404 and "We do not know this link" in page.get_data(as_text=True)


def test_links_are_stored_only_as_digests(app, client, smtp_server):
    imported_user(app)
    path = link_in(ask_for_link(app, client, smtp_server, "/login/link", "amina@example.org"))
    token = path.rsplit("/", 1)[1]
    with app.app_context():
        [stored] = _db.session.scalars(select(SignInLink.token_hash)).all()
    assert token not in stored and len(stored) == 64


def test_two_clicks_at_once_sign_in_once(app, client, smtp_server):
    imported_user(app)
    token = link_in(ask_for_link(app, client, smtp_server, "/login/link", "amina@example.org")).rsplit(
        "/", 1
    )[1]
    outcomes = run_together(app, lambda _n: sign_in_with_link(_db.session, token), 6)
    assert outcomes.count("ok") == 1 and outcomes.count("used_link") == 5


def test_link_and_reset_forms_answer_the_same_for_known_and_unknown_addresses(app, make_user, smtp_server):
    make_user(email="known@example.org")
    for url in ("/login/link", "/forgot"):
        known_client, unknown_client = app.test_client(), app.test_client()
        known = post_form(known_client, url, {"email": "known@example.org"})
        unknown = post_form(unknown_client, url, {"email": "unknown@example.org"})
        assert known.status_code == unknown.status_code == 200
        assert without_csrf(known.data).replace("known@", "X@") == without_csrf(unknown.data).replace(
            "unknown@", "X@"
        )
    deliver(app)
    assert [m["To"] for m in smtp_server.messages] == ["known@example.org", "known@example.org"]


def test_login_answers_the_same_for_an_unknown_address_and_a_wrong_password(app, make_user):
    make_user(email="known@example.org")
    wrong = post_form(
        app.test_client(), "/login", {"email": "known@example.org", "password": "wrong password"}
    )
    unknown = post_form(
        app.test_client(), "/login", {"email": "other@example.org", "password": "wrong password"}
    )
    assert wrong.status_code == unknown.status_code == 400
    assert without_csrf(wrong.data).replace("known@", "X@") == without_csrf(unknown.data).replace(
        "other@", "X@"
    )


def test_link_requests_are_rate_limited_per_address_and_per_client(app, make_user, smtp_server):
    make_user(email="known@example.org")
    client = app.test_client()
    for _ in range(3):
        assert post_form(client, "/login/link", {"email": "known@example.org"}).status_code == 200
    limited = post_form(client, "/login/link", {"email": "known@example.org"})
    assert limited.status_code == 429 and "Too many attempts" in limited.get_data(as_text=True)
    # The same for an address without an account: the limit reveals nothing.
    for _ in range(3):
        post_form(client, "/forgot", {"email": "ghost@example.org"})
    assert post_form(client, "/forgot", {"email": "ghost@example.org"}).status_code == 429
    assert outbox_count(app) == 3

    app.config["ACCOUNTS_RATE_LIMITS"] = {"link_client": (9, 900)}
    statuses = [
        post_form(client, "/forgot", {"email": f"person{n}@example.org"}).status_code for n in range(4)
    ]
    assert statuses == [200, 429, 429, 429]  # 8 requests from this client already counted: one more fits


def test_signing_up_with_an_imported_address_mails_a_sign_in_link(app, client, smtp_server):
    imported_user(app, "layla@example.org")
    response = post_form(
        client,
        "/signup",
        {
            "name": "Someone Else",
            "email": "layla@example.org",
            "organisation": "",
            "country": "JO",
            "password": "takeover-1234",
            "confirm": "takeover-1234",
        },
    )
    assert response.status_code == 200 and "Check your e-mail" in response.get_data(as_text=True)
    assert user_row(app, "layla@example.org").password_hash is None  # the password typed was not set
    assert client.get("/me/registrations").status_code == 302
    deliver(app)
    [message] = smtp_server.messages
    assert "already has one" in text_of(message)
    owner = app.test_client()
    assert post_form(owner, link_in(message), {}).status_code == 303
    assert "Amina Diallo" in owner.get("/me/registrations").get_data(as_text=True)


def test_password_sign_in_records_the_time(app, make_user, login, client):
    user = make_user()
    assert user_row(app, user.email).last_login_at is None
    login(client, user)
    assert user_row(app, user.email).last_login_at is not None


def test_changing_the_password_signs_out_other_sessions(app, make_user, logged_in_client):
    user = make_user()
    here, elsewhere = logged_in_client(user), logged_in_client(user)
    wrong = post_form(
        here,
        "/account/password",
        {"current": "nope", "password": "new password 1", "confirm": "new password 1"},
    )
    assert wrong.status_code == 400 and "current password" in wrong.get_data(as_text=True)
    changed = post_form(
        here,
        "/account/password",
        {"current": PASSWORD, "password": "new password 1", "confirm": "new password 1"},
    )
    assert changed.status_code == 303
    assert here.get("/me/registrations").status_code == 200
    assert elsewhere.get("/me/registrations").status_code == 302
