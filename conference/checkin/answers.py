"""What a scanner is told: the stored answer to a scan_id, the attendee card, and times in answers.

Scans and undos both keep their answer in the audit log (`checkin_scans`); the same id sent again gets
that answer back, so a scanner may retry freely.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from sqlalchemy import select

from ..countries import country_name
from ..db_session import DbSession
from ..errors import Conflict
from ..registrations.models import Registration
from .models import ScanRecord

log = logging.getLogger(__name__)
CODE_LOG_CHARS = 256  # the audit log keeps this much of a scanned code


def clean_text(text: str, limit: int) -> str:
    """Text safe to store anywhere: no control characters (PostgreSQL refuses NUL), no lone surrogates."""
    text = "".join(ch for ch in text[: limit * 2] if ch >= " " and ch != "\x7f")
    return text.encode("utf-8", "replace").decode("utf-8")[:limit]


# What `answer_from` reads of a scan record, by these names.
ANSWER_COLUMNS = (
    ScanRecord.response,
    ScanRecord.list_id,
    ScanRecord.action,
    ScanRecord.code,
    ScanRecord.direction,
    ScanRecord.reason,
)


def stored_response(
    db: DbSession,
    scan_id: str,
    list_id: int | None = None,
    *,
    action: str = "scan",
    code: str | None = None,
    direction: str | None = None,
    undoes: str | None = None,
) -> dict | None:
    """The answer already given to this id (None if new). An id names one request: the same scan
    (code, list, direction) or the same undo (of the same scan_id). Any other request under a used id
    (another code, another list, an undo_id that was a scan's id...) is a 409 `scan_id_reused`,
    logged, rather than answered with another request's answer."""
    stored = db.execute(select(*ANSWER_COLUMNS).where(ScanRecord.scan_id == scan_id)).first()
    return answer_from(stored, scan_id, list_id, action=action, code=code, direction=direction, undoes=undoes)


def answer_from(
    stored: Any,
    scan_id: str,
    list_id: int | None = None,
    *,
    action: str = "scan",
    code: str | None = None,
    direction: str | None = None,
    undoes: str | None = None,
) -> dict | None:
    """`stored_response` for a caller that read the record's columns itself (`response, list_id,
    action, code, direction, reason` by those names; `stored.response` None: the id is new), e.g. in
    one statement with the other questions of a scan."""
    if stored is None or stored.response is None:
        return None
    same = stored.action == action and (list_id is None or stored.list_id == list_id)
    if same and action == "scan":
        same = (code is None or stored.code == clean_text(code, CODE_LOG_CHARS)) and (
            direction is None or stored.direction == direction
        )
    if same and action == "undo":
        same = undoes is None or stored.reason == undoes[:64]
    if not same:
        log.warning(
            "scan_id_reused: %s %r was already used by a %s on list %s (now a %s on list %s)",
            action,
            scan_id,
            stored.action,
            stored.list_id,
            action,
            list_id,
        )
        raise Conflict("scan_id_reused", "this id was already used for another request; send a new one")
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
