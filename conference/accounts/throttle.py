"""Rate limits of the sign-in form (a growing delay) and of the link and reset forms (fixed windows).

Sign-in: every attempt is counted, before the password is checked, under two keys: the account (or,
for a browser that signed in to that account before, that browser: see below) and the client
address. The first few failures are free; after that each attempt must wait a delay that doubles
with each failure (2 s, 4 s, 8 s ...), counted from the wrong answer, up to a cap, and failures are forgotten after a quiet hour.
An attempt made too early is refused with the seconds left (HTTP 429, Retry-After) and costs no
password hash. A success clears the account's count (never the client's: one known password must
not reset a password sprayer's count).

No stranger can lock a person out for good: the delay is capped, a browser that signed in to the
account before carries a signed "known device" cookie and is counted on its own (the account's
delay does not apply to it), and the e-mailed sign-in link works whatever the password count.

The counters sit in the database (`login_throttles`), shared by every server process; each attempt
is counted with a compare-and-swap UPDATE, so simultaneous attempts cannot slip in together.

Links (`/login/link`, `/forgot`, sign-up of a taken address) keep the fixed windows of the rooms'
rate limiter: per address (which also limits the mail one address receives) and per client.
"""

from __future__ import annotations

import hashlib
import math
import secrets
import time
from dataclasses import dataclass

from flask import current_app
from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError

from ..db_session import DbSession, execute_dml
from ..errors import ServiceError
from ..rooms.ratelimit import hit
from .models import LoginThrottle

# action: (count, seconds). Override with the app config ACCOUNTS_RATE_LIMITS.
DEFAULT_LIMITS = {
    "link": (3, 900),  # e-mailed links: also a limit on how much mail one address receives
    "link_client": (60, 900),
}

# scope: (free failures, first delay in seconds, longest delay in seconds). A whole venue may sit
# behind one client address, so it gets many more free failures than one account.
DEFAULT_BACKOFF = {
    "account": (5, 2.0, 900.0),
    "client": (100, 2.0, 900.0),
}
FORGET_AFTER = 3600.0  # a key with no failure for this long starts again from zero
DEVICE_COOKIE = "conference_known_device"
DEVICE_COOKIE_DAYS = 365


class TooManyAttempts(ServiceError):
    status = 429


def limits(action: str) -> tuple[int, int]:
    configured = current_app.config["ACCOUNTS_RATE_LIMITS"]
    return tuple(configured.get(action, DEFAULT_LIMITS[action]))


def backoff(scope: str) -> tuple[int, float, float]:
    configured = current_app.config.get("ACCOUNTS_LOGIN_BACKOFF") or {}
    return tuple(configured.get(scope, DEFAULT_BACKOFF[scope]))


def _digest(value: str) -> str:
    return hashlib.sha256((value or "").strip().lower().encode("utf-8")).hexdigest()[:32]


def _key(action: str, scope: str, value: str) -> str:
    return f"accounts:{action}:{scope}:{_digest(value)}"


def allow(db: DbSession, action: str, *, email: str, client: str | None) -> bool:
    """Count one attempt of `action` ("link") for this address and this client; False when either
    is over its limit. In the caller's transaction: the caller commits."""
    by_address = hit(db, _key(action, "address", email), *limits(action))
    by_client = hit(db, _key(action, "client", client or "unknown"), *limits(f"{action}_client"))
    return by_address and by_client


# --- sign-in: a growing delay -------------------------------------------------------------------


def delay_after(failures: int, scope: str) -> float:
    """Seconds the next attempt must wait after `failures` counted failures."""
    free, first, longest = backoff(scope)
    if failures < free:
        return 0.0
    return min(longest, first * 2 ** min(failures - free, 40))


@dataclass(frozen=True)
class LoginKeys:
    account: str  # the account, or this known browser of the account
    client: str
    known_device: bool


def _device_serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt="conference.known-device")


def login_keys(email: str, client: str | None, device_cookie: str | None) -> LoginKeys:
    """The keys one sign-in attempt is counted under."""
    account = f"login:account:{_digest(email)}"
    known = False
    if device_cookie:
        try:
            value = _device_serializer().loads(device_cookie)
        except BadSignature:
            value = None
        if isinstance(value, dict) and value.get("a") == _digest(email) and isinstance(value.get("d"), str):
            account = f"login:device:{_digest(email)}:{value['d'][:32]}"
            known = True
    return LoginKeys(account, f"login:client:{_digest(client or 'unknown')}", known)


def device_cookie_for(email: str) -> str:
    """A signed cookie value naming this browser as one that signed in to `email`'s account."""
    return _device_serializer().dumps({"a": _digest(email), "d": secrets.token_urlsafe(12)})


def _count(db: DbSession, key: str, scope: str, now: float) -> float:
    """Count one attempt for `key`; 0 when it may go ahead, else the seconds left to wait (and
    nothing is counted). Commits its own short transaction per key."""
    for _ in range(10):
        row = db.execute(
            select(LoginThrottle.failures, LoginThrottle.last_failure_at, LoginThrottle.locked_until).where(
                LoginThrottle.key == key
            )
        ).one_or_none()
        if row is None:
            try:
                with db.begin_nested():
                    db.add(
                        LoginThrottle(
                            key=key,
                            failures=1,
                            last_failure_at=now,
                            locked_until=now + delay_after(1, scope),
                        )
                    )
                db.commit()
                return 0.0
            except IntegrityError:  # another attempt made the row first: count again
                db.rollback()
                continue
        failures, last, locked_until = row
        if locked_until > now:
            db.rollback()
            return locked_until - now
        counted = (0 if now - last > FORGET_AFTER else failures) + 1
        swapped = execute_dml(
            db,
            update(LoginThrottle)
            .where(
                LoginThrottle.key == key,
                LoginThrottle.failures == failures,
                LoginThrottle.last_failure_at == last,
            )
            .values(failures=counted, last_failure_at=now, locked_until=now + delay_after(counted, scope)),
        ).rowcount
        db.commit()
        if swapped:
            return 0.0
    raise ServiceError("busy", "the server is busy with sign-ins; try again in a moment", status=503)


def wait_before_login(db: DbSession, keys: LoginKeys) -> float:
    """Count this attempt under every key; 0 when it may go ahead, else the seconds to wait."""
    now = time.time()
    for key, scope in ((keys.account, "account"), (keys.client, "client")):
        left = _count(db, key, scope, now)
        if left > 0:
            return left
    return 0.0


def check_login_attempt(db: DbSession, keys: LoginKeys) -> None:
    """Raise TooManyAttempts (429, `retry_after` seconds) when this attempt comes too early."""
    left = wait_before_login(db, keys)
    if left > 0:
        seconds = max(1, math.ceil(left))
        raise TooManyAttempts(
            "too_many_attempts",
            f"Too many failed sign-ins for this account or from this network. Please wait {seconds} "
            "seconds and try again, or e-mail yourself a sign-in link.",
            retry_after=seconds,
        )


def login_failed(db: DbSession, keys: LoginKeys) -> None:
    """The password was wrong: the wait runs from now, the answer (the password check takes a
    while: a wait counted from the attempt's start could be over before the answer arrives)."""
    now = time.time()
    for key, scope in ((keys.account, "account"), (keys.client, "client")):
        failures = db.scalar(select(LoginThrottle.failures).where(LoginThrottle.key == key))
        if failures is None:
            continue
        until = now + delay_after(failures, scope)
        db.execute(
            update(LoginThrottle)
            .where(LoginThrottle.key == key, LoginThrottle.locked_until < until)
            .values(locked_until=until)
        )
    db.commit()


def login_succeeded(db: DbSession, keys: LoginKeys) -> None:
    """The password was right: the account (or this device) starts again from zero."""
    db.execute(delete(LoginThrottle).where(LoginThrottle.key == keys.account))
    db.commit()
