"""What an API token may do: the scope each request and each /live event needs.

A token carries some of `read`, `checkin`, `live`, `manage` (models.TOKEN_SCOPES). A request made
with a token needs:
- nothing it can have, for the account's own sign-in machinery: signing in or out, passwords,
  sign-in links and the tokens page (a token must neither mint nor revoke tokens, nor end the
  owner's browser sessions);
- `checkin` for the check-in API (`/api/v1/checkin/...`: scans, undo, offline sync, door lists);
- `read` for any other GET or HEAD (the API's reads and pages);
- `manage` for any other change (events, programme, participants, documents, grants...).
On /live: `checkin:*` events need `checkin`, `attendance:*` need `read`, the rooms' events `live`.
The grants (conference.grants.checks) still decide what the owner may do at each event: a scope
only narrows what the token may do of it.
"""

from __future__ import annotations

NOT_FOR_TOKENS = frozenset(
    {
        "accounts.login",
        "accounts.logout",
        "accounts.signup",
        "accounts.login_link",
        "accounts.forgot",
        "accounts.signin_link",
        "accounts.change_password",
        "accounts.tokens",
        "accounts.revoke_token",
    }
)
READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def scope_for_request(endpoint: str | None, path: str, method: str) -> str | None:
    """The scope a token needs for this request, or None when no token may make it."""
    if endpoint in NOT_FOR_TOKENS or path.startswith("/account/") or path in ("/account", "/logout"):
        return None
    if path.startswith("/api/v1/checkin/") or path == "/api/v1/checkin":
        return "checkin"
    return "read" if method.upper() in READ_METHODS else "manage"


def scope_for_live_event(event: str) -> str:
    """The scope a token-authenticated socket needs to send `event` on /live."""
    if event.startswith("checkin:"):
        return "checkin"
    if event.startswith("attendance:"):
        return "read"
    return "live"
