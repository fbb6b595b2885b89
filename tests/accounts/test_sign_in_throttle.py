"""Sign-in under attack: a growing delay per account and per client address (with Retry-After and
the limit code), no lock a stranger can hold on a victim, client addresses from X-Forwarded-For
only behind configured proxies, and the same work for every wrong answer."""

from __future__ import annotations

import statistics
import time

import pytest
from conftest import PASSWORD, csrf_token

from conference.accounts import throttle
from conference.extensions import db as _db


class Clock:
    """time.time() as the throttle sees it, moved by the test."""

    def __init__(self, monkeypatch):
        self.now = time.time()
        monkeypatch.setattr(throttle.time, "time", lambda: self.now)

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture()
def clock(monkeypatch):
    return Clock(monkeypatch)


def attempt(client, email, password, *, json=False, headers=None, **kwargs):
    headers = {**(headers or {}), **({"Accept": "application/json"} if json else {})}
    data = {"email": email, "password": password, "csrf_token": csrf_token(client)}
    return client.post("/login", data=data, headers=headers, **kwargs)


def test_wrong_passwords_meet_a_growing_delay_with_retry_after_and_the_limit_code(app, make_user, clock):
    user = make_user(email="known@example.org")
    client = app.test_client()
    for _ in range(5):  # the first five failures are free
        assert attempt(client, user.email, "guess").status_code == 400
    refused = attempt(client, user.email, "guess", json=True)
    assert refused.status_code == 429
    assert refused.headers["Retry-After"] == "2"
    assert refused.json["error"]["code"] == "too_many_attempts"
    assert refused.json["error"]["details"]["retry_after"] == 2
    # The page says it too, and even the right password waits.
    page = attempt(client, user.email, PASSWORD)
    assert page.status_code == 429 and "Please wait 2 seconds" in page.get_data(as_text=True)

    waits = []
    for _ in range(6):
        clock.advance(int(refused.headers["Retry-After"]))
        assert attempt(client, user.email, "guess").status_code == 400  # the wait is over: one more try
        refused = attempt(client, user.email, "guess")
        waits.append(int(refused.headers["Retry-After"]))
    assert waits == [4, 8, 16, 32, 64, 128]  # doubling


def test_the_delay_is_capped_and_forgotten_after_a_quiet_hour(app, make_user, clock):
    user = make_user(email="known@example.org")
    client = app.test_client()
    with app.app_context():
        keys = throttle.login_keys(user.email, "127.0.0.1", None)
        counted = 0
        while counted < 20:  # twenty failures, each made as soon as it is allowed
            left = throttle.wait_before_login(_db.session, keys)
            if left:
                clock.advance(left + 0.001)
            else:
                counted += 1
        assert throttle.delay_after(20, "account") == 900
        left = throttle.wait_before_login(_db.session, keys)
        assert 890 < left <= 900  # never longer than the cap: no permanent lock
    clock.advance(throttle.FORGET_AFTER + 1)
    response = attempt(client, user.email, PASSWORD)
    assert response.status_code == 303


def test_a_browser_that_signed_in_before_is_not_locked_out_by_a_stranger(app, make_user, clock):
    user = make_user(email="victim@example.org")
    own_browser = app.test_client()
    assert attempt(own_browser, user.email, PASSWORD).status_code == 303
    own_browser.post("/logout", data={"csrf_token": csrf_token(own_browser)})

    stranger = app.test_client()
    for _ in range(8):
        attempt(stranger, user.email, "guess")
    assert attempt(stranger, user.email, PASSWORD).status_code == 429  # the stranger is held back
    assert attempt(own_browser, user.email, PASSWORD).status_code == 303  # the owner is not


def test_success_clears_the_account_count(app, make_user, clock):
    user = make_user(email="known@example.org")
    client = app.test_client()
    for _ in range(4):
        attempt(client, user.email, "guess")
    assert attempt(client, user.email, PASSWORD).status_code == 303
    client.post("/logout", data={"csrf_token": csrf_token(client)})
    other = app.test_client()  # no known-device cookie: counted on the account
    for _ in range(5):
        assert attempt(other, user.email, "guess").status_code == 400


def test_one_client_address_trying_many_accounts_is_slowed_down(app, make_user, clock):
    app.config["ACCOUNTS_LOGIN_BACKOFF"] = {"client": (3, 5.0, 60.0)}
    client = app.test_client()
    statuses = [attempt(client, f"person{n}@example.org", "guess").status_code for n in range(5)]
    assert statuses == [400, 400, 400, 429, 429]
    elsewhere = attempt(
        app.test_client(), "person9@example.org", "guess", environ_base={"REMOTE_ADDR": "10.0.0.9"}
    )
    assert elsewhere.status_code == 400


def test_x_forwarded_for_counts_only_behind_configured_proxies(make_app, make_user, clock):
    def app_with(proxies: int):
        return make_app(
            f"p{proxies}.db", TRUSTED_PROXIES=proxies, ACCOUNTS_LOGIN_BACKOFF={"client": (2, 5.0, 60.0)}
        )

    for proxies, expected in ((0, [400, 400, 429, 429]), (1, [400, 400, 400, 400])):
        app = app_with(proxies)
        client = app.test_client()
        statuses = [
            attempt(
                client,
                f"person{n}@example.org",
                "guess",
                headers={"X-Forwarded-For": f"203.0.113.{n}"},
            ).status_code
            for n in range(4)
        ]
        # Without a trusted proxy a forged X-Forwarded-For changes nothing: one client address.
        assert statuses == expected, proxies
        with app.app_context():
            _db.engine.dispose()


def test_a_token_cannot_use_the_sign_in_form(app, client, make_user, make_token):
    user = make_user()
    response = client.post(
        "/login",
        data={"email": user.email, "password": PASSWORD},
        headers={"Authorization": f"Bearer {make_token(user)}"},
    )
    assert response.status_code == 403 and response.json["error"]["code"] == "token_not_allowed"


def _median_cpu_ms(cases: dict, rounds=5) -> dict[str, float]:
    """Each case's median CPU time of this process (the hash runs in a thread of it), the rounds taken
    in turn: another process's load (a parallel test run) slows no case more than the others."""
    times: dict[str, list[float]] = {name: [] for name in cases}
    for _ in range(rounds):
        for name, fn in cases.items():
            started = time.process_time()
            fn()
            times[name].append((time.process_time() - started) * 1000)
    return {name: statistics.median(spent) for name, spent in times.items()}


def test_every_wrong_answer_costs_the_same_work(app, make_user):
    """Unknown account, account without a password, wrong password: one real Argon2 verification
    each (with production's parameters here), so the answer time tells nothing."""
    from conference.accounts.services import authenticate, create_user

    app.config["PASSWORD_HASH_FAST"] = False
    with app.app_context():
        create_user(_db.session, email="with@example.org", name="With Password", password=PASSWORD)
        create_user(_db.session, email="without@example.org", name="Imported, no password")
        cases = {
            "unknown": lambda: authenticate(_db.session, "nobody@example.org", "guess-guess"),
            "no password": lambda: authenticate(_db.session, "without@example.org", "guess-guess"),
            "wrong password": lambda: authenticate(_db.session, "with@example.org", "guess-guess"),
        }
        for check in cases.values():
            assert check() is None
        timings = _median_cpu_ms(cases)
    fastest, slowest = min(timings.values()), max(timings.values())
    assert fastest > 5, timings  # a real hash each time, not a shortcut
    assert slowest / fastest < 2, timings
