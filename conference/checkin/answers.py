"""What a scanner is told: the stored answer to a scan_id, the attendee card, and times in answers.

Scans and undos both keep their answer in the audit log (`checkin_scans`); the same id sent again gets
that answer back, so a scanner may retry freely.
"""

from __future__ import annotations

import json

from sqlalchemy import select

from ..countries import country_name
from ..db_session import DbSession
from ..errors import Conflict
from ..registrations.models import Registration
from .models import ScanRecord


def clean_text(text: str, limit: int) -> str:
    """Text safe to store anywhere: no control characters (PostgreSQL refuses NUL), no lone surrogates."""
    text = "".join(ch for ch in text[: limit * 2] if ch >= " " and ch != "\x7f")
    return text.encode("utf-8", "replace").decode("utf-8")[:limit]


def stored_response(db: DbSession, scan_id: str, list_id: int | None = None) -> dict | None:
    """The answer already given to this scan_id (None if new). A scan_id is one scan on one list:
    reusing it elsewhere is refused rather than answered with another list's data."""
    stored = db.execute(
        select(ScanRecord.response, ScanRecord.list_id).where(ScanRecord.scan_id == scan_id)
    ).first()
    if stored is None:
        return None
    if list_id is not None and stored.list_id != list_id:
        raise Conflict("scan_id_reused", "this scan_id was already used for another scan")
    return json.loads(stored.response)


def attendee_card(registration: Registration) -> dict:
    """Who the badge belongs to, as the scanner shows it."""
    user = registration.user
    return {
        "registration_id": registration.id,
        "name": user.name,
        "organisation": user.organisation,
        "country": user.country,
        "country_name": country_name(user.country) if user.country else "",
        "mode": registration.mode,
    }
