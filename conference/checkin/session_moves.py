"""Check-in's receiver of `hooks.session_changed`: a moved session's door lists follow it.

Connected by the check-in feature's init_app through `connect_session_moves()`, not on import.
"""

from __future__ import annotations

import logging

from flask import has_app_context

from .. import hooks
from ..extensions import db
from ..programme.models import ProgrammeSession
from .lists import follow_session

log = logging.getLogger(__name__)


def _on_session_changed(
    _event_id, session_id: int | None = None, changes: dict | None = None, **_extra
) -> None:
    if not has_app_context() or session_id is None:
        return
    try:
        session = db.session.get(ProgrammeSession, session_id)
        if session is not None:
            db.session.refresh(session)
            follow_session(db.session, session, changes)
    except Exception:  # the session's change is committed: log the door list's failure, do not undo it
        db.session.rollback()
        log.exception("the door list of session %s could not follow its change", session_id)


def connect_session_moves() -> None:
    hooks.session_changed.connect(_on_session_changed)
