"""The demo symposium's certificate rule: at least 60 % of the sessions, as at the real symposium."""

from __future__ import annotations

from ..db_session import DbSession
from ..programme.models import Event
from .models import CertificateRule

DEMO_PERCENT = 60


def add_demo_rule(db: DbSession, event: Event) -> None:
    """Set the rule once (an organiser's later change is kept)."""
    if db.get(CertificateRule, event.id) is None:
        db.add(CertificateRule(event_id=event.id, kind="percent", min_percent=DEMO_PERCENT, session_ids=[]))
        db.commit()
