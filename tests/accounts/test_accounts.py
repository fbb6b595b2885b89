"""Sign-up, sign-in, sign-out, roles, tokens and the security settings around them."""

from __future__ import annotations

import pytest
from conftest import PASSWORD, csrf_token, post_form
from sqlalchemy import func, select

from conference import create_app
from conference.accounts.models import User

SIGNUP = {
    "name": "Layla Haddad",
    "email": "Layla@Example.org",
    "organisation": "ESCWA",
    "country": "JO",
    "password": "a-long-password",
    "confirm": "a-long-password",
}


def user_count(app) -> int:
    with app.app_context():
        from conference.extensions import db

        return db.session.scalar(select(func.count()).select_from(User))


def test_signup_creates_account_signs_in_and_hashes_with_argon2(app, client):
    response = post_form(client, "/signup", SIGNUP)
    assert response.status_code == 303
    assert "Layla Haddad" in client.get("/").get_data(as_text=True)
    with app.app_context():
        from conference.extensions import db

        user = db.session.scalar(select(User).where(User.email == "layla@example.org"))
        assert user.password_hash.startswith("$argon2id$")
        assert user.country == "JO" and user.role == "attendee"


@pytest.mark.parametrize(
    "field, value, message",
    [
        ("name", "", "This field is required."),
        ("email", "not-an-email", "Invalid email address."),
        ("password", "short", "Field must be between 8 and 200 characters long."),
        ("confirm", "something-else", "The passwords differ."),
        ("country", "", "Please choose your country."),
        ("country", "XX", "Not a valid choice."),
    ],
)
def test_signup_bad_input_gets_a_clear_message_and_writes_nothing(app, client, field, value, message):
    response = post_form(client, "/signup", {**SIGNUP, field: value})
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    assert user_count(app) == 0


def test_signup_with_a_taken_email_mails_a_sign_in_link_instead(app, client, make_user):
    # Issue #11: an imported address must not be a dead end, and must not be taken over either.
    make_user(email="layla@example.org")
    response = post_form(client, "/signup", SIGNUP)
    assert response.status_code == 200
    assert "Check your e-mail" in response.get_data(as_text=True)
    assert user_count(app) == 1
    assert client.get("/me/registrations").status_code == 302  # not signed in by knowing the address


def test_login_logout_and_wrong_password(client, make_user):
    user = make_user()
    bad = post_form(client, "/login", {"email": user.email, "password": "wrong-password"})
    assert bad.status_code == 400 and "Wrong e-mail or password." in bad.get_data(as_text=True)
    assert post_form(client, "/login", {"email": user.email.upper(), "password": PASSWORD}).status_code == 303
    assert client.get("/me/registrations").status_code == 200
    assert post_form(client, "/logout", {}).status_code == 303
    assert client.get("/me/registrations").status_code == 302


def test_logout_without_csrf_token_is_refused(client, login, make_user):
    login(client, make_user())
    assert client.post("/logout").status_code == 400
    assert client.get("/me/registrations").status_code == 200


def test_remember_me_sets_a_httponly_cookie_and_session_cookie_flags(client, make_user):
    user = make_user()
    response = post_form(client, "/login", {"email": user.email, "password": PASSWORD, "remember": "y"})
    cookies = response.headers.getlist("Set-Cookie")
    remember = next(c for c in cookies if c.startswith("remember_token="))
    session = next(c for c in cookies if c.startswith("session="))
    for cookie in (remember, session):
        assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_logout_ends_the_remembered_login_too(app, make_user):
    user = make_user()
    client = app.test_client()
    post_form(client, "/login", {"email": user.email, "password": PASSWORD, "remember": "y"})
    remember = client.get_cookie("remember_token").value
    post_form(client, "/logout", {})
    thief = app.test_client()
    thief.set_cookie("remember_token", remember)
    assert thief.get("/me/registrations").status_code == 302


@pytest.mark.parametrize(
    "target", ["https://elsewhere.example", "//elsewhere.example/x", "/\\elsewhere.example"]
)
def test_login_never_redirects_off_site(client, make_user, target):
    user = make_user()
    response = client.post(
        f"/login?next={target}",
        data={"email": user.email, "password": PASSWORD, "csrf_token": csrf_token(client)},
    )
    assert response.status_code == 303
    assert response.headers["Location"] == "/"


def test_login_follows_a_local_next(client, make_user):
    user = make_user()
    response = client.post(
        "/login?next=/me/registrations",
        data={"email": user.email, "password": PASSWORD, "csrf_token": csrf_token(client)},
    )
    assert response.headers["Location"] == "/me/registrations"


def test_roles_attendee_403_staff_200_anonymous_to_login(
    client, login, make_user, make_event, logged_in_client
):
    event = make_event()
    url = f"/manage/events/{event.slug}/participants"
    assert client.get(url).status_code == 302
    assert logged_in_client(make_user("attendee")).get(url).status_code == 403
    for role in ("staff", "moderator", "admin"):
        assert logged_in_client(make_user(role)).get(url).status_code == 200


def test_bearer_token_authenticates_and_enforces_roles(client, make_user, make_event, make_token):
    event = make_event()
    url = f"/manage/events/{event.slug}/participants"
    staff_token = make_token(make_user("staff"))
    attendee_token = make_token(make_user("attendee"))
    assert client.get(url, headers={"Authorization": f"Bearer {staff_token}"}).status_code == 200
    refused = client.get(
        url, headers={"Authorization": f"Bearer {attendee_token}", "Accept": "application/json"}
    )
    assert refused.status_code == 403 and refused.json["error"]["code"] == "forbidden"
    bogus = client.get(url, headers={"Authorization": "Bearer cf_nope", "Accept": "application/json"})
    assert bogus.status_code == 401 and bogus.json["error"]["code"] == "unauthorized"


def test_tokens_page_creates_a_token_shown_once_and_stored_hashed(app, client, login, make_user):
    user = make_user()
    login(client, user)
    response = post_form(
        client, "/account/tokens", {"label": "Gate 2 scanner", "scopes": ["checkin", "read"]}
    )
    assert response.headers["Cache-Control"] == "no-store"  # no cache keeps the page that shows it
    token = response.get_data(as_text=True).split('id="new-token">')[1].split("<")[0]
    assert token.startswith("cf_")
    assert token not in client.get("/account/tokens").get_data(as_text=True)
    with app.app_context():
        from conference.accounts.models import ApiToken
        from conference.extensions import db

        row = db.session.scalar(select(ApiToken))
        assert row.token_hash != token
        assert row.scopes == "read checkin"


def test_production_refuses_default_secret_and_sets_secure_cookies(tmp_path, monkeypatch):
    monkeypatch.delenv("CONFERENCE_SECRET_KEY", raising=False)
    db_url = f"sqlite:///{tmp_path / 'p.db'}"
    with pytest.raises(RuntimeError):
        create_app(
            {"ENV_NAME": "production", "SQLALCHEMY_DATABASE_URI": db_url, "SOCKETIO_ASYNC_MODE": "threading"}
        )
    with pytest.raises(RuntimeError):
        create_app(
            {
                "ENV_NAME": "production",
                "SECRET_KEY": "change-me",
                "SQLALCHEMY_DATABASE_URI": db_url,
                "SOCKETIO_ASYNC_MODE": "threading",
            }
        )
    app = create_app(
        {
            "ENV_NAME": "production",
            "SECRET_KEY": "x" * 40,
            "SQLALCHEMY_DATABASE_URI": db_url,
            "SOCKETIO_ASYNC_MODE": "threading",
            "PUBLIC_BASE_URL": "https://symposium.example",
        }
    )
    assert app.config["SESSION_COOKIE_SECURE"] and app.config["REMEMBER_COOKIE_SECURE"]
    assert app.config["SESSION_COOKIE_HTTPONLY"] and app.config["SESSION_COOKIE_SAMESITE"] == "Lax"


def test_secret_key_is_generated_once_and_kept_in_instance(tmp_path, monkeypatch):
    from conference.config import load_or_create_secret_key

    first = load_or_create_secret_key(tmp_path)
    assert first == load_or_create_secret_key(tmp_path) and len(first) >= 40
    assert (tmp_path / "secret_key").stat().st_mode & 0o777 == 0o600


def test_environment_variables_configure_the_app(tmp_path, monkeypatch):
    monkeypatch.setenv("CONFERENCE_DATABASE_URL", f"sqlite:///{tmp_path / 'env.db'}")
    monkeypatch.setenv("CONFERENCE_SECRET_KEY", "k" * 40)
    monkeypatch.setenv("CONFERENCE_ASYNC_MODE", "threading")
    app = create_app()
    assert app.config["SQLALCHEMY_DATABASE_URI"].endswith("env.db")
    assert app.config["SECRET_KEY"] == "k" * 40
