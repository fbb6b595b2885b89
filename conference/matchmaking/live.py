"""Matchmaking on the live pages: during a matchmaking session, the session's live page and projector
screen show the practices and the countries interested as they come, without a reload.

- `join` state: in a matchmaking session's room, `matchmaking: {"practices": [...]}` (the published
  practices of the event, each with its interested countries); nothing in any other room.
- broadcasts to `session:<id>` of every matchmaking session of the event, once committed:
  `matchmaking:practice` (a practice offered, changed, or shown again: its public shape),
  `matchmaking:practice_removed` (`{"id"}`: hidden or deleted), and
  `matchmaking:interest` (`{"practice_id", "interest": {...}, "possibilities"}`: a country's new
  expression of interest, or a person added to one).
Names of the people never travel: the public shape has countries and counts.
"""

from __future__ import annotations

import logging

from ..extensions import db, socketio
from ..realtime import LIVE
from ..rooms.access import room_name
from . import services
from .models import Interest, Practice

log = logging.getLogger(__name__)


def join_state(db_session, session) -> dict:
    """The practices on a matchmaking session's live page: the same for everyone in the room."""
    if not services.is_matchmaking_session(db_session, session):
        return {}
    practices = services.practices_of(db_session, session.event)
    return {"matchmaking": {"practices": [services.practice_json(p) for p in practices]}}


def _emit(event_id: int, name: str, body: dict) -> None:
    try:
        for session_id in services.matchmaking_session_ids(db.session, event_id):
            socketio.emit(name, body, to=room_name(session_id), namespace=LIVE)
    except Exception:  # the change is committed: a failed broadcast must not turn it into an error
        db.session.rollback()
        log.exception("matchmaking broadcast %s for event %s failed", name, event_id)


def practice_changed(practice: Practice) -> None:
    if practice.status == "published":
        _emit(practice.event_id, "matchmaking:practice", services.practice_json(practice))
    else:
        practice_removed(practice.event_id, practice.id)


def practice_removed(event_id: int, practice_id: int) -> None:
    _emit(event_id, "matchmaking:practice_removed", {"id": practice_id})


def interest_changed(interest: Interest) -> None:
    practice = interest.practice
    if practice.status != "published":
        return
    _emit(
        practice.event_id,
        "matchmaking:interest",
        {
            "practice_id": practice.id,
            "interest": services.interest_json(interest),
            "possibilities": len(practice.interests),
        },
    )


def init_app(app) -> None:
    from .. import hooks

    hooks.add_join_state_part(join_state, app=app)
