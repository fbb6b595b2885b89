"""Account rules: creating users, checking passwords, issuing and resolving API tokens."""

from __future__ import annotations

import hashlib
import re
import secrets
from datetime import timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app, has_app_context
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from ..countries import normalise_country
from ..db_session import DbSession
from ..db_types import utcnow
from ..errors import Conflict, ServiceError
from .models import ROLE_VALUES, ApiToken, User

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
    return _hasher().hash(password)


def verify_password(user: User, password: str) -> bool:
    if not user.password_hash:
        return False
    try:
        return _strong_hasher.verify(user.password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


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
    """The user with this e-mail and password, or None (same answer for unknown e-mail and bad password)."""
    user = find_user_by_email(db, email)
    if user is None:
        # Hash anyway so timing does not reveal which e-mails have accounts.
        _hasher().hash(password or "x")
        return None
    if not verify_password(user, password or ""):
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


def create_api_token(db: DbSession, user: User, label: str = "") -> str:
    """Issue a new token for a user and return it; only its digest is kept."""
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    db.add(ApiToken(user_id=user.id, token_hash=_digest(token), label=label[:100]))
    db.commit()
    return token


def user_for_token(db: DbSession, token: str | None) -> User | None:
    """The owner of a live token, or None."""
    if not token or not isinstance(token, str) or len(token) > 200:
        return None
    row = db.scalar(
        select(ApiToken).where(ApiToken.token_hash == _digest(token.strip()), ApiToken.revoked_at.is_(None))
    )
    if row is None:
        return None
    now = utcnow()
    # Scanners send a token with every request: record use at most every few minutes, not per scan.
    if row.last_used_at is None or now - row.last_used_at > TOKEN_TOUCH_INTERVAL:
        row.last_used_at = now
        db.commit()
    return row.user


def revoke_token(db: DbSession, token_id: int, user: User) -> None:
    row = db.get(ApiToken, token_id)
    if row is None or row.user_id != user.id:
        raise ServiceError("token_not_found", "no such token", status=404)
    row.revoked_at = utcnow()
    db.commit()


def record_sign_in(db: DbSession, user: User) -> None:
    """Remember when the person last signed in (organisers see who never did)."""
    user.last_login_at = utcnow()
    db.commit()


def change_password(db: DbSession, user: User, current: str | None, new: str) -> None:
    """Change (or, for an account without one, set) the password; ends the person's other sessions."""
    if user.password_hash and not verify_password(user, current or ""):
        raise ServiceError("wrong_password", "your current password is not that")
    set_password(db, user, new)
