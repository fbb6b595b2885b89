"""ICE servers for the browsers: STUN as configured, TURN with time-limited credentials.

TURN entries that carry a `secret` use coturn's shared-secret scheme (`use-auth-secret`, the
"TURN REST API"): the username is `<expiry unix time>:<user id>` and the credential is
base64(HMAC-SHA1(secret, username)), so a credential handed to one person stops working after
`ttl` seconds and the secret itself never leaves the server.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
from typing import Any

DEFAULT_TTL_S = 3600


def turn_credentials(secret: str, user_id: int, ttl_s: int, now: float | None = None) -> tuple[str, str]:
    expires = int((time.time() if now is None else now) + ttl_s)
    username = f"{expires}:{user_id}"
    digest = hmac.new(secret.encode(), username.encode(), hashlib.sha1).digest()
    return username, base64.b64encode(digest).decode()


def ice_servers_for(configured: list[dict[str, Any]], user_id: int, now: float | None = None) -> list[dict]:
    """The RTCIceServer list one person's browser gets (secrets replaced by their own credentials)."""
    servers = []
    for entry in configured:
        server = {"urls": entry["urls"]}
        if entry.get("secret"):
            ttl = int(entry.get("ttl", DEFAULT_TTL_S))
            server["username"], server["credential"] = turn_credentials(entry["secret"], user_id, ttl, now)
        elif entry.get("username"):
            server["username"], server["credential"] = entry["username"], entry.get("credential", "")
        servers.append(server)
    return servers


def parse_ice_servers(raw: str) -> list[dict[str, Any]]:
    """CONFERENCE_ICE_SERVERS: a JSON list of {"urls": ..., optional "secret"/"ttl" or
    "username"/"credential"}; raises ValueError saying what is wrong."""
    import json

    try:
        value = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise ValueError(f"expected a JSON list of ICE servers ({exc.msg})") from None
    if not isinstance(value, list):
        raise ValueError('expected a JSON list, e.g. [{"urls": "stun:stun.example.org:3478"}]')
    for entry in value:
        urls = entry.get("urls") if isinstance(entry, dict) else None
        if isinstance(urls, str):
            urls = [urls]
        if not urls or not all(
            isinstance(u, str) and u.split(":", 1)[0] in {"stun", "stuns", "turn", "turns"} for u in urls
        ):
            raise ValueError('each ICE server needs "urls": stun:, stuns:, turn: or turns: addresses')
        if any(u.startswith("turn") for u in urls) and not (entry.get("secret") or entry.get("username")):
            raise ValueError(
                'a TURN server needs "secret" (coturn use-auth-secret) or "username"/"credential"'
            )
    return value
