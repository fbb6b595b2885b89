"""Users and their API tokens."""

from __future__ import annotations

import enum
from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import CheckConstraint, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..db_types import UTCDateTime, utcnow
from ..extensions import Model


class Role(str, enum.Enum):
    """The platform-wide kind of account; what a person may do at one event is an EventGrant."""

    ADMIN = "admin"
    ATTENDEE = "attendee"


ROLE_VALUES = tuple(r.value for r in Role)


class User(UserMixin, Model):
    __tablename__ = "users"
    __table_args__ = (CheckConstraint("role IN ('admin', 'attendee')", name="role"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    organisation: Mapped[str] = mapped_column(String(200), default="")
    country: Mapped[str | None] = mapped_column(String(2))
    role: Mapped[str] = mapped_column(String(16), default=Role.ATTENDEE.value)
    # The interface language the person chose with the header's switch (None: follow the browser).
    language: Mapped[str | None] = mapped_column(String(8))
    password_hash: Mapped[str | None] = mapped_column(String(255))
    # Bumped on logout-everywhere and password change so live sockets and remember-me cookies die.
    session_version: Mapped[int] = mapped_column(default=1)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # The last time this person signed in (None: never, e.g. imported and not yet invited in).
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    tokens: Mapped[list[ApiToken]] = relationship(back_populates="user", cascade="all, delete-orphan")

    def get_id(self) -> str:
        return f"{self.id}:{self.session_version}"

    def has_role(self, *roles: str | Role) -> bool:
        wanted = {r.value if isinstance(r, Role) else r for r in roles}
        return self.role in wanted

    @property
    def is_admin(self) -> bool:
        return self.role == Role.ADMIN.value

    def __repr__(self) -> str:
        return f"<User {self.email} {self.role}>"


class ApiToken(Model):
    """A personal token for devices and bots; only its SHA-256 digest is stored."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    label: Mapped[str] = mapped_column(String(100), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    user: Mapped[User] = relationship(back_populates="tokens")


class LinkPurpose(str, enum.Enum):
    INVITATION = "invitation"  # sent by organisers; signs in and offers to set a password
    SIGNIN = "signin"  # "e-mail me a sign-in link"
    RESET = "reset"  # "forgot password": signs in and asks for a new password


class SignInLink(Model):
    """A single-use link sent by e-mail; only the SHA-256 digest of its token is stored."""

    __tablename__ = "sign_in_links"
    __table_args__ = (CheckConstraint("purpose IN ('invitation', 'signin', 'reset')", name="purpose"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    purpose: Mapped[str] = mapped_column(String(16))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    user: Mapped[User] = relationship()
