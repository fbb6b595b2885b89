"""Certificate rules: the organisers' attendance rule, issuing, revoking and the public check.

- The rule (per event): attended at least `min_percent` % of the event's sessions (breakout rooms
  count for their session, not on their own), or every session listed. Attendance is what the
  records say (`attendance.services.attended_sessions`: online stays and door-list entries).
- A certificate is issued once per person and event (UNIQUE(event_id, user_id)); its code is random
  (60 bits, printed as XXXX-XXXX-XXXX) and unique. A participant who meets the rule gets theirs on
  asking; organisers issue every due one at once, and revoke one.
- `verify(code)` answers the public page: the certificate when the code exists and is not revoked,
  otherwise None ("not valid"), whatever was typed.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass

from babel.dates import format_interval, format_skeleton
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from ..accounts.models import User
from ..attendance.services import attended_sessions
from ..countries import country_name
from ..db_session import DbSession
from ..db_types import utcnow
from ..errors import Conflict, Forbidden, NotFound, ServiceError
from ..grants import checks
from ..i18n.selection import current_language, text_direction
from ..programme.models import Event, ProgrammeSession
from ..registrations.models import Registration
from .models import Certificate, CertificateRule
from .pdf import CertificateText

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford's base 32: no I, L, O, U
CODE_LENGTH = 12
_CODE_INPUT = re.compile(r"^[0-9A-Za-z\- ]{1,40}$")


# --- the rule ---------------------------------------------------------------------------------


def rule_of(db: DbSession, event: Event) -> CertificateRule | None:
    return db.get(CertificateRule, event.id)


def counted_sessions(db: DbSession, event: Event) -> list[ProgrammeSession]:
    """The sessions a percentage counts: every session of the event except breakout rooms."""
    return list(
        db.scalars(
            select(ProgrammeSession)
            .where(ProgrammeSession.event_id == event.id, ProgrammeSession.parent_id.is_(None))
            .order_by(ProgrammeSession.starts_at, ProgrammeSession.id)
        )
    )


def set_rule(
    db: DbSession, user: User, event: Event, kind: str, min_percent: int | None = None, session_ids=()
) -> CertificateRule:
    checks.ensure_can_manage(db, user, event)
    if kind == "percent":
        if not isinstance(min_percent, int) or isinstance(min_percent, bool) or not 1 <= min_percent <= 100:
            raise ServiceError("invalid_percent", "the share of sessions is a whole number from 1 to 100")
        chosen: list[int] = []
    elif kind == "sessions":
        valid = {s.id for s in counted_sessions(db, event)}
        chosen = sorted({int(i) for i in session_ids if str(i).isdigit()})
        if not chosen or not set(chosen) <= valid:
            raise ServiceError("invalid_sessions", "pick one or more sessions of this event")
        min_percent = None
    else:
        raise ServiceError("invalid_rule", "the rule is a share of sessions or a list of sessions")
    rule = db.get(CertificateRule, event.id)
    if rule is None:
        rule = CertificateRule(event_id=event.id)
        db.add(rule)
    rule.kind, rule.min_percent, rule.session_ids = kind, min_percent, chosen
    db.commit()
    return rule


def meets_rule(rule: CertificateRule | None, attended: set[int], counted: list[ProgrammeSession]) -> bool:
    if rule is None:
        return False
    if rule.kind == "sessions":
        return bool(rule.session_ids) and set(rule.session_ids) <= attended
    if not counted:
        return False
    share = len(attended & {s.id for s in counted}) * 100 / len(counted)
    return share >= (rule.min_percent or 100)


@dataclass
class Standing:
    user: User
    attended: int  # counted sessions attended
    eligible: bool
    certificate: Certificate | None


def standings(db: DbSession, actor: User, event: Event) -> list[Standing]:
    """Every registered person who attended something, with their count, whether the rule is met and
    their certificate (for the organisers' page)."""
    checks.ensure_can_manage(db, actor, event)
    rule, counted = rule_of(db, event), counted_sessions(db, event)
    found = attended_sessions(db, event)
    counted_ids = {s.id for s in counted}
    certificates = {
        c.user_id: c for c in db.scalars(select(Certificate).where(Certificate.event_id == event.id))
    }
    people = db.scalars(
        select(User)
        .join(Registration, (Registration.user_id == User.id) & (Registration.event_id == event.id))
        .where(User.id.in_(set(found) | set(certificates)))
        .order_by(User.name, User.id)
    )
    return [
        Standing(
            p,
            len(found.get(p.id, set()) & counted_ids),
            meets_rule(rule, found.get(p.id, set()), counted),
            certificates.get(p.id),
        )
        for p in people
    ]


def is_eligible(db: DbSession, event: Event, user: User) -> bool:
    attended = attended_sessions(db, event, user_id=user.id).get(user.id, set())
    return meets_rule(rule_of(db, event), attended, counted_sessions(db, event))


# --- issuing ----------------------------------------------------------------------------------


def new_code() -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH))


def printed(code: str) -> str:
    return "-".join(code[i : i + 4] for i in range(0, len(code), 4))


def certificate_of(db: DbSession, event: Event, user: User) -> Certificate | None:
    return db.scalar(
        select(Certificate).where(Certificate.event_id == event.id, Certificate.user_id == user.id)
    )


def issue(db: DbSession, event: Event, user: User) -> Certificate:
    """The person's certificate, issued now if they meet the rule (once: a second call returns it)."""
    existing = certificate_of(db, event, user)
    if existing is not None:
        if existing.is_revoked:
            raise Forbidden("certificate_revoked", "your certificate for this event was revoked")
        return existing
    if not is_eligible(db, event, user):
        raise Forbidden("not_eligible", "your attendance does not meet this event's rule for a certificate")
    return _create(db, event, user)


def _create(db: DbSession, event: Event, user: User) -> Certificate:
    """Insert the certificate (the rule was checked); a concurrent request's row wins the race."""
    for _attempt in range(5):
        certificate = Certificate(event_id=event.id, user_id=user.id, code=new_code(), name=user.name)
        db.add(certificate)
        try:
            db.commit()
            return certificate
        except IntegrityError:
            db.rollback()
            existing = certificate_of(db, event, user)
            if existing is not None:  # issued by a concurrent request
                return existing
    raise Conflict("code_collision", "no free certificate code; try again")  # pragma: no cover - 2^-60


def issue_all(db: DbSession, actor: User, event: Event) -> int:
    """Issue a certificate to everyone who meets the rule and has none yet. Returns how many were new."""
    new = 0
    for standing in standings(db, actor, event):
        if standing.eligible and standing.certificate is None:
            _create(db, event, standing.user)  # standings() read everyone's attendance in one go
            new += 1
    return new


def revoke(db: DbSession, actor: User, event: Event, certificate_id: int) -> Certificate:
    checks.ensure_can_manage(db, actor, event)
    certificate = db.get(Certificate, certificate_id)
    if certificate is None or certificate.event_id != event.id:
        raise NotFound("certificate_not_found", f"no certificate {certificate_id} in this event")
    if certificate.is_revoked:
        raise Conflict("already_revoked", "this certificate is revoked already")
    certificate.revoked_at, certificate.revoked_by_id = utcnow(), actor.id
    db.commit()
    return certificate


# --- checking ---------------------------------------------------------------------------------


def normalise(code: str) -> str | None:
    """The stored form of a typed code (case, dashes and spaces ignored), or None when it cannot be one."""
    if not isinstance(code, str) or not _CODE_INPUT.match(code):
        return None
    bare = code.replace("-", "").replace(" ", "").upper()
    if len(bare) != CODE_LENGTH or any(ch not in ALPHABET for ch in bare):
        return None
    return bare


def verify(db: DbSession, code: str) -> Certificate | None:
    """The valid certificate with this code, or None (unknown, malformed or revoked: "not valid")."""
    bare = normalise(code)
    if bare is None:
        return None
    certificate = db.scalar(select(Certificate).where(Certificate.code == bare))
    if certificate is None or certificate.is_revoked:
        return None
    return certificate


def event_dates(event: Event) -> str:
    """The event's days in its zone ("6–8 May 2030"), in the language in force (Babel's intervals)."""
    start, end = event.starts_at.astimezone(event.tz), event.ends_at.astimezone(event.tz)
    language = current_language()
    if language != "en":
        if start.date() == end.date():
            return format_skeleton("yMMMMd", start.date(), locale=language)
        return format_interval(start.date(), end.date(), "yMMMMd", locale=language)
    if (start.year, start.month) == (end.year, end.month):
        return (
            f"{start.day}–{end.day} {end.strftime('%B %Y')}"
            if start.day != end.day
            else end.strftime("%-d %B %Y")
        )
    if start.year == end.year:
        return f"{start.strftime('%-d %B')} – {end.strftime('%-d %B %Y')}"
    return f"{start.strftime('%-d %B %Y')} – {end.strftime('%-d %B %Y')}"


def pdf_text(certificate: Certificate, verify_url: str) -> CertificateText:
    """The PDF's text in the language in force (wrap the call in `force_locale` to choose another)."""
    event = certificate.event
    place = ", ".join(p for p in (event.city, country_name(event.country) if event.country else "") if p)
    return CertificateText(
        name=certificate.name,
        event_title=event.title,
        dates=event_dates(event),
        place=place,
        code=printed(certificate.code),
        verify_url=verify_url,
        labels={
            "title": _("Certificate of attendance"),
            "certify": _("This is to certify that"),
            "attended": _("attended"),
            "code": _("Certificate code: %(code)s"),
            "check": _("Check it at %(url)s"),
        },
        rtl=text_direction() == "rtl",
    )
