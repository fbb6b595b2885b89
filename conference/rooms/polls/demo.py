"""Draft polls for the demo event's opening session, ready for a moderator to launch (idempotent)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from ...db_session import DbSession
from ...programme.models import Event, ProgrammeSession
from .models import Poll, PollOption

DEMO_POLLS: list[dict[str, Any]] = [
    {
        "title": "Which area should AI governance in the region address first?",
        "kind": "single",
        "options": [
            "Health",
            "Education",
            "Climate and disaster risk",
            "Trade and digital economy",
            "Public services",
        ],
    },
    {
        "title": "Pick up to two priorities for regional cooperation",
        "kind": "multiple",
        "max_choices": 2,
        "options": [
            "Shared compute",
            "Data-sharing agreements",
            "Skills and capacity building",
            "Common standards",
        ],
        "results_visibility": "after_close",
    },
    {
        "title": "How ready is your institution for AI? (1 = not at all, 5 = fully)",
        "kind": "rating",
        "scale": 5,
    },
    {"title": "One word for the future of AI governance", "kind": "word_cloud", "duration_s": 90},
    {
        "title": "What should the regional AI charter include?",
        "kind": "open_text",
        "results_visibility": "hidden",
    },
]


def add_demo_polls(db: DbSession, event: Event) -> int:
    """Add the draft polls to the opening session unless it already has polls; returns how many were added."""
    opening = db.scalar(
        select(ProgrammeSession).where(
            ProgrammeSession.event_id == event.id, ProgrammeSession.title == "Opening session"
        )
    )
    if (
        opening is None
        or db.scalar(select(Poll.id).where(Poll.session_id == opening.id).limit(1)) is not None
    ):
        return 0
    for spec in DEMO_POLLS:
        fields = dict(spec)
        options = fields.pop("options", [])
        poll = Poll(
            session_id=opening.id,
            status="draft",
            allow_change=False,
            results_visibility=fields.pop("results_visibility", "live"),
            **fields,
        )
        poll.options = [PollOption(position=i, text=text) for i, text in enumerate(options)]
        db.add(poll)
    db.commit()
    return len(DEMO_POLLS)
