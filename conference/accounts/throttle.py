"""Rate limits of the sign-in, link and reset forms, per e-mail address and per client address.

Counted with the rooms' database rate limiter (shared by every process). The per-address limit
stops guessing one account's password; the per-client limit, set high because a whole venue may
sit behind one address, stops one machine from trying many accounts. Both count whatever the
address, so a refusal tells nothing about which addresses have accounts.
"""

from __future__ import annotations

import hashlib

from flask import current_app

from ..db_session import DbSession
from ..rooms.ratelimit import hit

# action: (count, seconds). Override with the app config ACCOUNTS_RATE_LIMITS.
DEFAULT_LIMITS = {
    "login": (10, 900),
    "login_client": (300, 600),
    "link": (3, 900),  # e-mailed links: also a limit on how much mail one address receives
    "link_client": (60, 900),
}


def limits(action: str) -> tuple[int, int]:
    configured = current_app.config["ACCOUNTS_RATE_LIMITS"]
    return tuple(configured.get(action, DEFAULT_LIMITS[action]))


def _key(action: str, scope: str, value: str) -> str:
    digest = hashlib.sha256((value or "").strip().lower().encode("utf-8")).hexdigest()[:32]
    return f"accounts:{action}:{scope}:{digest}"


def allow(db: DbSession, action: str, *, email: str, client: str | None) -> bool:
    """Count one attempt of `action` ("login" or "link") for this address and this client; False
    when either is over its limit. In the caller's transaction: the caller commits."""
    by_address = hit(db, _key(action, "address", email), *limits(action))
    by_client = hit(db, _key(action, "client", client or "unknown"), *limits(f"{action}_client"))
    return by_address and by_client
