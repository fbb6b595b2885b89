"""Account rules: creating users, checking passwords, issuing and resolving API tokens."""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app, has_app_context
from sqlalchemy import Select, bindparam, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import contains_eager

from ..countries import normalise_country
from ..db_session import DbSession, detached_from_row, mapped_columns
from ..db_types import utcnow
from ..errors import Conflict, ServiceError
from ..names import check_name
from ..offload import run_blocking
from .models import ROLE_VALUES, TOKEN_SCOPES, ApiToken, User

EMAIL_RE = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]{2,}$")
MIN_PASSWORD_LENGTH = 8
TOKEN_PREFIX = "cf_"
TOKEN_TOUCH_INTERVAL = timedelta(minutes=5)

_strong_hasher = PasswordHasher()
# Tests create hundreds of users; the minimum Argon2 cost keeps them fast without changing code paths.
_fast_hasher = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)


def _hasher() -> PasswordHasher:
    if has_app_context() and current_app.config["PASSWORD_HASH_FAST"]:
        return _fast_hasher
    return _strong_hasher


def hash_password(password: str) -> str:
    """An Argon2id hash, computed in a real thread (offload.run_blocking): a hash takes tens of
    milliseconds of CPU, which under eventlet would freeze every other client of the worker."""
    return run_blocking(_hasher().hash, password)


def _verify(hasher: PasswordHasher, stored: str, password: str) -> bool:
    try:
        return hasher.verify(stored, password)
    except (VerificationError, InvalidHashError):
        return False


def verify_password(user: User, password: str) -> bool:
    if not user.password_hash:
        return False
    return run_blocking(_verify, _strong_hasher, user.password_hash, password)


# A hash of nothing anybody knows, per hasher: checked when the account is unknown or has no password,
# so every answer of the sign-in form costs one verification (no timing tells which e-mails exist).
_decoys: dict[int, str] = {}


def _decoy_hash() -> str:
    hasher = _hasher()
    if id(hasher) not in _decoys:
        _decoys[id(hasher)] = run_blocking(hasher.hash, secrets.token_urlsafe(24))
    return _decoys[id(hasher)]


def normalise_email(email: str) -> str:
    email = (email or "").strip().lower()
    if len(email) > 254 or not EMAIL_RE.match(email):
        raise ServiceError("invalid_email", f"{email or 'an empty value'!r} is not a valid e-mail address")
    return email


def validate_password(password: str) -> None:
    if len(password or "") < MIN_PASSWORD_LENGTH:
        raise ServiceError("weak_password", f"a password needs at least {MIN_PASSWORD_LENGTH} characters")


def validate_role(role: str) -> str:
    if role not in ROLE_VALUES:
        raise ServiceError("invalid_role", f"role must be one of {', '.join(ROLE_VALUES)}")
    return role


def create_user(
    db: DbSession,
    *,
    email: str,
    name: str,
    password: str | None = None,
    role: str = "attendee",
    organisation: str = "",
    country: str | None = None,
    commit: bool = True,
) -> User:
    """Create a user; a duplicate e-mail raises Conflict('email_taken')."""
    name = (name or "").strip()
    if not name or len(name) > 200:
        raise ServiceError("invalid_name", "a name of 1 to 200 characters is required")
    if problem := check_name(name):
        raise ServiceError("invalid_name", problem)
    try:
        country_code = normalise_country(country)
    except ValueError as exc:
        raise ServiceError("invalid_country", str(exc)) from None
    if password is not None:
        validate_password(password)
    user = User(
        email=normalise_email(email),
        name=name,
        role=validate_role(role),
        organisation=(organisation or "").strip()[:200],
        country=country_code,
        password_hash=hash_password(password) if password else None,
    )
    db.add(user)
    try:
        db.flush()
        if commit:
            db.commit()
    except IntegrityError:
        db.rollback()
        raise Conflict("email_taken", f"an account with {user.email} already exists") from None
    return user


def find_user_by_email(db: DbSession, email: str) -> User | None:
    return db.scalar(select(User).where(User.email == (email or "").strip().lower()))


def authenticate(db: DbSession, email: str, password: str) -> User | None:
    """The user with this e-mail and password, or None.

    The same answer and the same work for an unknown e-mail, an account without a password and a
    wrong password: one Argon2 verification each time (against a decoy hash when there is no real
    one), run off the event loop.
    """
    user = find_user_by_email(db, email)
    stored = user.password_hash if user is not None and user.password_hash else None
    matched = run_blocking(_verify, _strong_hasher, stored or _decoy_hash(), password or "")
    if user is None or stored is None or not matched:
        return None
    if (
        _hasher() is _strong_hasher
        and user.password_hash
        and _strong_hasher.check_needs_rehash(user.password_hash)
    ):
        user.password_hash = hash_password(password)
        db.commit()
    return user


def set_password(db: DbSession, user: User, password: str) -> None:
    validate_password(password)
    user.password_hash = hash_password(password)
    user.session_version += 1
    db.commit()


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def normalise_scopes(scopes) -> str:
    """Space-separated known scopes in their canonical order; ServiceError for none or an unknown one."""
    wanted = set(scopes.split() if isinstance(scopes, str) else scopes or ())
    unknown = wanted - set(TOKEN_SCOPES)
    if unknown:
        raise ServiceError(
            "invalid_scope", f"unknown scope {sorted(unknown)[0]!r}; use {', '.join(TOKEN_SCOPES)}"
        )
    if not wanted:
        raise ServiceError("invalid_scope", "choose at least one scope")
    return " ".join(s for s in TOKEN_SCOPES if s in wanted)


def create_api_token(
    db: DbSession,
    user: User,
    label: str = "",
    *,
    scopes=TOKEN_SCOPES,
    expires_at: datetime | None = None,
) -> str:
    """Issue a new token for a user and return it; only its digest is kept. `scopes` defaults to all
    of them (the command line's tokens); `expires_at` None means until revoked."""
    if expires_at is not None and expires_at <= utcnow():
        raise ServiceError("invalid_expiry", "the expiry must be in the future")
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    db.add(
        ApiToken(
            user_id=user.id,
            token_hash=_digest(token),
            label=label[:100],
            scopes=normalise_scopes(scopes),
            expires_at=expires_at,
        )
    )
    db.commit()
    return token


# Every API request asks it: built once, and the owner comes in the same statement (kept on the row).
_LIVE_TOKEN = (
    select(ApiToken)
    .join(ApiToken.user)
    .options(contains_eager(ApiToken.user))
    .where(ApiToken.token_hash == bindparam("token_hash"), ApiToken.revoked_at.is_(None))
)


def token_row(db: DbSession, token: str | None, *, touch: bool = True) -> ApiToken | None:
    """The live (not revoked, not expired) token row for a token string, or None; records its use
    (unless `touch` is False: the caller records it with `touch_token` when `token_needs_touch`)."""
    if not token or not isinstance(token, str) or len(token) > 200:
        return None
    row = db.scalar(_LIVE_TOKEN, {"token_hash": _digest(token.strip())})
    now = utcnow()
    if row is None or not row.is_live(now):
        return None
    if touch and token_needs_touch(row, now):
        row.last_used_at = now
        db.commit()
    return row


def token_needs_touch(row: ApiToken | LiveToken, now) -> bool:
    """Scanners send a token with every request: its use is recorded at most every few minutes."""
    return row.last_used_at is None or now - row.last_used_at > TOKEN_TOUCH_INTERVAL


def touch_token(db: DbSession, token_id: int, now) -> None:
    """Record a token's use (in the caller's transaction: a group-commit batch)."""
    db.execute(update(ApiToken).where(ApiToken.id == token_id).values(last_used_at=now))


def touch_tokens(db: DbSession, uses: list[tuple[int, datetime]]) -> list[None]:
    """A group-commit bulk write (conference.group_commit.submit_bulk): record the use of these
    tokens, (token id, when) each, with one executemany UPDATE for the whole batch; no commit."""
    db.connection().execute(_TOUCH, [{"token_id": token_id, "used_at": when} for token_id, when in uses])
    return [None] * len(uses)


# --- the /live socket's door: Core rows, statements built once (a connect storm runs them) ---------


@dataclass(frozen=True)
class LiveToken:
    """What a socket's connect needs of a live API token (a Core row, no mapped object)."""

    id: int
    user_id: int
    token_hash: str
    scope_set: frozenset[str]
    expires_at: datetime | None
    last_used_at: datetime | None


_tokens = ApiToken.__table__.c
_users = User.__table__.c
_SOCKET_TOKEN = select(
    _tokens.id, _tokens.user_id, _tokens.token_hash, _tokens.scopes, _tokens.expires_at, _tokens.last_used_at
).where(_tokens.token_hash == bindparam("token_hash"), _tokens.revoked_at.is_(None))
_TOUCH = (
    update(ApiToken).where(ApiToken.id == bindparam("token_id")).values(last_used_at=bindparam("used_at"))
)
# Every column but the password hash: a socket's person, as the ORM would load them.
_USER_COLUMNS = mapped_columns(User, without=("password_hash",))


def live_token(db: DbSession, token: str | None) -> LiveToken | None:
    """`token_row(..., touch=False)` as a Core row: the live (not revoked, not expired) token, or None."""
    if not token or not isinstance(token, str) or len(token) > 200:
        return None
    row = db.connection().execute(_SOCKET_TOKEN, {"token_hash": _digest(token.strip())}).first()
    if row is None:
        return None
    found = LiveToken(row[0], row[1], row[2], frozenset(row[3].split()), row[4], row[5])
    if found.expires_at is not None and found.expires_at <= utcnow():
        return None
    return found


@cache
def _socket_user_statement(with_token: bool) -> Select:
    """The person of a socket (bind `user_id`), with their token still live (bind `token_hash`)."""
    query = select(*(column for _name, column in _USER_COLUMNS)).where(_users.id == bindparam("user_id"))
    if with_token:
        query = query.add_columns(_tokens.expires_at).where(
            _tokens.user_id == _users.id,
            _tokens.token_hash == bindparam("token_hash"),
            _tokens.revoked_at.is_(None),
        )
    return query


def socket_person(
    db: DbSession, user_id: int, *, session_version: int | None, token_hash: str | None
) -> User | None:
    """The person behind a socket if their login still holds (the cookie's session version, or the
    token neither revoked nor expired), else None: one Core statement, no mapped object loaded.

    The User returned is detached (built from the row, not in `db`): its columns read as loaded, a
    relationship raises DetachedInstanceError. For the handlers that need the person's id, name and
    role only (the `join`)."""
    params: dict = {"user_id": user_id}
    if token_hash is not None:
        params["token_hash"] = token_hash
    row = db.connection().execute(_socket_user_statement(token_hash is not None), params).first()
    if row is None:
        return None
    if session_version is not None and row.session_version != session_version:
        return None
    if token_hash is not None and row.expires_at is not None and row.expires_at <= utcnow():
        return None
    return detached_from_row(User, _USER_COLUMNS, row)


def user_for_token(db: DbSession, token: str | None) -> User | None:
    """The owner of a live token, or None."""
    row = token_row(db, token)
    return row.user if row is not None else None


def revoke_token(db: DbSession, token_id: int, user: User) -> ApiToken:
    """Revoke one of `user`'s tokens (the caller closes its sockets: realtime / fanout)."""
    row = db.get(ApiToken, token_id)
    if row is None or row.user_id != user.id:
        raise ServiceError("token_not_found", "no such token", status=404)
    row.revoked_at = utcnow()
    db.commit()
    return row


def record_sign_in(db: DbSession, user: User) -> None:
    """Remember when the person last signed in (organisers see who never did)."""
    user.last_login_at = utcnow()
    db.commit()


def change_password(db: DbSession, user: User, current: str | None, new: str) -> None:
    """Change (or, for an account without one, set) the password; ends the person's other sessions."""
    if user.password_hash and not verify_password(user, current or ""):
        raise ServiceError("wrong_password", "your current password is not that")
    set_password(db, user, new)
