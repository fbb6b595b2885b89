"""The demo's interpretation: the opening session is interpreted into Arabic and French."""

from __future__ import annotations

from sqlalchemy import select

from ..db_session import DbSession
from ..programme.models import Event, ProgrammeSession
from .models import InterpretationChannel

DEMO_SESSION = "Opening session"
DEMO_CHANNELS = (
    ("ar", "https://www.youtube.com/embed/live_stream?channel=UCdemo2030ar"),
    ("fr", "https://www.youtube.com/embed/live_stream?channel=UCdemo2030fr"),
)


def add_demo_channels(db: DbSession, event: Event) -> None:
    """Add the opening session's Arabic and French channels, unless they are there (idempotent)."""
    session = db.scalar(
        select(ProgrammeSession).where(
            ProgrammeSession.event_id == event.id, ProgrammeSession.title == DEMO_SESSION
        )
    )
    if session is None:
        return
    present = set(
        db.scalars(
            select(InterpretationChannel.language).where(InterpretationChannel.session_id == session.id)
        )
    )
    for language, url in DEMO_CHANNELS:
        if language not in present:
            db.add(InterpretationChannel(session_id=session.id, language=language, stream_url=url, live=True))
    db.commit()
