"""Demo data: the symposium's regional breakouts, prepared as a draft round a moderator can start."""

from __future__ import annotations

from sqlalchemy import select

from ...accounts.models import User
from ...db_session import DbSession
from ...programme.models import Event, ProgrammeSession
from . import services
from .models import BreakoutRound

PARENT_TITLE = "Regional breakout sessions"
DEMO_MODERATOR = "moderator1@symposium.example"


def prepare_demo_round(db: DbSession, event: Event) -> BreakoutRound | None:
    """A self-select draft round over the existing breakouts (en and ar), unless the session has one."""
    parent = db.scalar(
        select(ProgrammeSession).where(
            ProgrammeSession.event_id == event.id,
            ProgrammeSession.title == PARENT_TITLE,
        )
    )
    moderator = db.scalar(select(User).where(User.email == DEMO_MODERATOR))
    if parent is None or moderator is None or services.latest_round(db, parent.id) is not None:
        return None
    return services.create_round(db, moderator, parent.id, [], mode="self_select", duration_s=30 * 60)
