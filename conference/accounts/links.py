"""Single-use sign-in links: invitations (7 days), "e-mail me a link" (30 minutes), resets (1 hour).

The token travels only in the e-mail; the database keeps its SHA-256 digest. Using a link is one
conditional UPDATE (`used_at IS NULL AND expires_at > now`), so two clicks racing each other, or a
replay after use or expiry, sign nobody in a second time.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from sqlalchemy import select, update

from ..db_session import DbSession, execute_dml
from ..db_types import utcnow
from ..errors import ServiceError
from .models import LinkPurpose, SignInLink, User

LIFETIMES = {
    LinkPurpose.INVITATION.value: timedelta(days=7),
    LinkPurpose.SIGNIN.value: timedelta(minutes=30),
    LinkPurpose.RESET.value: timedelta(hours=1),
}
MAX_TOKEN_CHARS = 100


class LinkRefused(ServiceError):
    """`unknown_link` (404), `used_link` or `expired_link` (410)."""


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def issue_link(db: DbSession, user: User, purpose: str) -> str:
    """Create a link for `user` in the caller's transaction (never commits) and return its token."""
    if purpose not in LIFETIMES:
        raise ServiceError("invalid_purpose", f"purpose must be one of {', '.join(LIFETIMES)}")
    token = secrets.token_urlsafe(32)
    db.add(
        SignInLink(
            user_id=user.id,
            purpose=purpose,
            token_hash=_digest(token),
            expires_at=utcnow() + LIFETIMES[purpose],
        )
    )
    return token


def _find(db: DbSession, token: object) -> SignInLink | None:
    if not isinstance(token, str) or not token or len(token) > MAX_TOKEN_CHARS or not token.isascii():
        return None
    return db.scalar(select(SignInLink).where(SignInLink.token_hash == _digest(token)))


def _refusal(link: SignInLink | None) -> LinkRefused:
    if link is None:
        return LinkRefused("unknown_link", "this link is not one of ours, or it was mistyped", status=404)
    if link.used_at is not None:
        return LinkRefused("used_link", "this link was already used: each link signs in once", status=410)
    return LinkRefused("expired_link", "this link has expired", status=410)


def check_link(db: DbSession, token: object) -> SignInLink:
    """The link behind `token` if it can still be used (nothing changes), else LinkRefused."""
    link = _find(db, token)
    if link is None or link.used_at is not None or link.expires_at <= utcnow():
        raise _refusal(link)
    return link


def use_link(db: DbSession, token: object) -> SignInLink:
    """Spend the link in the caller's transaction (the caller commits with the sign-in), or raise
    LinkRefused. Of two uses at once, exactly one succeeds."""
    link = _find(db, token)
    if link is None:
        raise _refusal(None)
    now = utcnow()
    spent = execute_dml(
        db,
        update(SignInLink)
        .where(SignInLink.id == link.id, SignInLink.used_at.is_(None), SignInLink.expires_at > now)
        .values(used_at=now)
        .execution_options(synchronize_session=False),
    ).rowcount
    db.refresh(link)
    if spent != 1:
        raise _refusal(link)
    return link


# --- the messages that carry links ---------------------------------------------------------------------

LINK_SUBJECTS = {
    LinkPurpose.SIGNIN.value: _l("Your sign-in link"),
    LinkPurpose.RESET.value: _l("Reset your password"),
}


def link_url(token: str) -> str:
    from ..mail.services import absolute_url

    return absolute_url("accounts.signin_link", token=token)


def send_link(db: DbSession, email: str, purpose: str, *, reason: str = "") -> bool:
    """E-mail a sign-in or reset link to the account with this address, if there is one, and
    commit. Returns whether a message was queued; callers answer the same way either way."""
    from ..i18n.selection import current_language
    from ..mail.services import enqueue_template, written_in
    from .services import find_user_by_email

    user = find_user_by_email(db, email)
    if user is None:
        db.commit()  # the rate counters
        return False
    token = issue_link(db, user, purpose)
    # The account's language, else the language of the page the person asked from (their own browser).
    with written_in(user, fallback=current_language()):
        enqueue_template(
            db,
            to=user.email,
            subject=LINK_SUBJECTS[purpose],
            template=f"link_{purpose}",
            kind=purpose,
            user=user,
            url=link_url(token),
            reason=reason,
            lifetime=_describe(LIFETIMES[purpose]),
        )
    db.commit()
    return True


def _describe(lifetime: timedelta) -> str:
    minutes = int(lifetime.total_seconds() // 60)
    if minutes % (24 * 60) == 0:
        days = minutes // (24 * 60)
        return ngettext("%(num)s day", "%(num)s days", days)
    if minutes % 60 == 0:
        hours = minutes // 60
        return ngettext("%(num)s hour", "%(num)s hours", hours)
    return ngettext("%(num)s minute", "%(num)s minutes", minutes)


def describe_lifetime(purpose: str) -> str:
    return _describe(LIFETIMES[purpose])


def sign_in_with_link(db: DbSession, token: object, new_password: str | None = None) -> User:
    """Spend the link and sign its owner in; with `new_password`, set it (which signs the person's
    other sessions out). Commits. A reset link needs a password."""
    from .services import hash_password, validate_password

    link = check_link(db, token)
    if link.purpose == LinkPurpose.RESET.value and not new_password:
        raise ServiceError("password_required", "choose a new password")
    if new_password:
        validate_password(new_password)
        password_hash = hash_password(new_password)  # before the claim: the slow part stays outside it
    link = use_link(db, token)
    user = link.user
    if new_password:
        user.password_hash = password_hash
        user.session_version += 1
    user.last_login_at = utcnow()
    db.commit()
    return user
