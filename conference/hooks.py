"""Seams between features, so that one feature never reaches into another's internals.

- The check-in feature tells the live rooms how many people are on site (`set_on_site_counter`)
  and announces check-ins (`checkin_changed`), so the moderator console's numbers move.
- Live features add their part to the state a client receives when it joins a room
  (`add_join_state`), e.g. the open polls, and may narrow who enters a room (`add_entry_rule`),
  e.g. a running breakout admits only the people placed in it.
- The live rooms announce that people entered or left a room (`presence_changed`), so the
  attendance dashboards refresh.
"""
from __future__ import annotations

from typing import Callable

from blinker import Namespace
from sqlalchemy.orm import Session

from .accounts.models import User
from .programme.models import ProgrammeSession

_signals = Namespace()

# Sent by check-in after every accepted entry, exit or undo: sender=event_id, session_ids=[...]
# (the sessions whose on-site number may have changed; empty for event-wide lists).
checkin_changed = _signals.signal("checkin-changed")

# Sent by programme after a session's times, room, capacity or stream changed, once committed:
# sender=event_id, session_id=..., changes={field: (old, new)}. Check-in moves the session's door
# list; the live rooms tell the open agenda and live pages.
session_changed = _signals.signal("session-changed")

# Sent by registrations *inside* the transaction, before commit, when a registration's status
# changes: sender=the Registration, db=the Session, change="confirmed" (new, reconfirmed, approved,
# promoted from the waiting list) | "cancelled" | "pending" | "waitlisted" | "declined",
# notify=False when organisers put the person in (an import, "add one": their invitation is how the
# person hears of it). Receivers may add rows to the same session (the mail outbox), never commit.
registration_changed = _signals.signal("registration-changed")

# Sent by the live rooms after someone entered or left a room (join, leave, switch, disconnect),
# once committed: sender=event_id, session_ids=[...]. Attendance refreshes its dashboards on it.
presence_changed = _signals.signal("presence-changed")

OnSiteCounter = Callable[[Session, ProgrammeSession], int]
JoinStateProvider = Callable[[Session, User, ProgrammeSession], dict]
EntryRule = Callable[[Session, User, ProgrammeSession], None]

_on_site_counter: OnSiteCounter | None = None
_join_state_providers: list[JoinStateProvider] = []
_entry_rules: list[EntryRule] = []


def set_on_site_counter(counter: OnSiteCounter) -> None:
    global _on_site_counter
    _on_site_counter = counter


def on_site_count(db: Session, session: ProgrammeSession) -> int:
    """People checked in on site for this session right now (0 when check-in is not installed)."""
    return _on_site_counter(db, session) if _on_site_counter else 0


def add_join_state(provider: JoinStateProvider) -> JoinStateProvider:
    """Register `provider(db, user, session) -> dict`, merged into the `join` ack's state."""
    if provider not in _join_state_providers:
        _join_state_providers.append(provider)
    return provider


def extra_join_state(db: Session, user: User, session: ProgrammeSession) -> dict:
    state: dict = {}
    for provider in _join_state_providers:
        state.update(provider(db, user, session))
    return state


def add_entry_rule(rule: EntryRule) -> EntryRule:
    """Register `rule(db, user, session)`, which raises a ServiceError to keep a participant out."""
    if rule not in _entry_rules:
        _entry_rules.append(rule)
    return rule


def check_entry_rules(db: Session, user: User, session: ProgrammeSession) -> None:
    for rule in _entry_rules:
        rule(db, user, session)
