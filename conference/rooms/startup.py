"""What a live server process does as it starts (`hooks.server_starting`), so a restart needs no
`conference rooms-reset`:

- it forgets the presence rows its own previous run left (their sockets died with it) and closes
  their visits, by its INSTANCE_ID, so the people connected to the other processes stay counted;
  the rooms concerned get their new numbers;
- it resumes the timers that died with it: polls whose deadline passed are closed (and announced),
  the others re-armed; breakout rounds still running get their countdown back, and one whose end
  passed is recalled now rather than at someone's next join.
"""

from __future__ import annotations

import logging

from flask import Flask
from sqlalchemy import select

from .. import hooks
from ..extensions import db
from ..programme.models import ProgrammeSession
from . import presence

log = logging.getLogger(__name__)


def on_server_starting(app: Flask, **_extra) -> None:
    with app.app_context():
        instance = presence.instance_id()
        sessions = presence.forget_instance(db.session, instance)
        if sessions:
            log.info(
                "instance %r forgot the sockets of its previous run in %d rooms", instance, len(sessions)
            )
            _announce_presence(sessions)
        _resume_polls()
        _resume_breakouts()


def _announce_presence(session_ids: list[int]) -> None:
    from .sockets import broadcast_presence

    by_event: dict[int, list[int]] = {}
    for session_id in session_ids:
        session = db.session.get(ProgrammeSession, session_id)
        if session is None:
            continue
        by_event.setdefault(session.event_id, []).append(session_id)
        broadcast_presence(session_id)  # through the message queue, to the other processes' clients
    for event_id, ids in by_event.items():
        hooks.presence_changed.send(event_id, session_ids=ids)


def _resume_polls() -> None:
    from .polls import broadcast

    broadcast.close_due_and_announce()
    broadcast.resume_timers()


def _resume_breakouts() -> None:
    from .breakouts.models import BreakoutRound, RoundStatus
    from .breakouts.sockets import ensure_timer

    running = db.session.scalars(
        select(BreakoutRound.id).where(BreakoutRound.status == RoundStatus.RUNNING.value)
    ).all()
    for round_id in running:
        ensure_timer(round_id)  # its first tick recalls a round whose end has passed
