"""Seams between features, so that one feature never reaches into another's internals.

Two kinds of seams: blinker signals (module level, below: who sends them, with what, when) and
registries that live on each app (`Hooks`, filled by the features' `init_app`), documented on
`Hooks`.

- The check-in feature tells the live rooms how many people are on site (`set_on_site_counter`)
  and announces check-ins (`checkin_changed`), so the moderator console's numbers move.
- Live features add their part to the state a client receives when it joins a room
  (`add_join_state_part`: the part everyone in the room shares, built once per room and
  ROOMS_JOIN_SNAPSHOT_SECONDS, and the joiner's own view of it; `add_join_state` for a part that is
  only personal), e.g. the open polls, do their work around a join (`add_before_join_state`,
  `add_after_join`), and may narrow who enters a room (`add_entry_rule`), e.g. a running breakout
  admits only the people placed in it.
- The live rooms announce that people entered or left a room (`presence_changed`), so the
  attendance dashboards refresh.
- The live rooms announce that a session's Q&A is over (`session_ended`): its scheduled end passed
  or a moderator closed its room; the discussion board takes its unanswered questions.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from blinker import Namespace
from flask import Flask, current_app

from .accounts.models import User
from .db_session import DbSession
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
# once committed: sender=event_id, session_ids=[...], and left_ids=[...] the rooms someone left (absent:
# any of them; a disconnect sends []: the socket is gone, and each feature's own disconnect hook
# cleans up after it). Attendance refreshes its dashboards on it; calls prune the rooms someone left.
presence_changed = _signals.signal("presence-changed")

# Sent after someone lost a right that open sockets rely on, once committed: sender=the kind of
# loss, with its fields. "grant" (user_id=..., event_id=...: a grant removed), "session"
# (user_id=..., session_version=...: signed out or password changed), "token" (token_hash=...:
# an API token revoked). The realtime door closes the matching sockets in every server process.
access_lost = _signals.signal("access-lost")

# Sent by grants after a grant was given or removed (once committed when the service commits):
# sender="grant", user_id=..., event_id=... The live rooms forget the person's remembered rights
# (conference.rooms.hot) in every server process.
grants_changed = _signals.signal("grants-changed")

# Sent by `conference serve` (and wsgi.py) once per server process, before it accepts requests:
# sender=the app. The live rooms forget the sockets this process's previous run left and resume the
# timers that died with it (breakout rounds past their end, poll deadlines).
server_starting = _signals.signal("server-starting")

# Sent by the live rooms once a session's Q&A is over, after commit: sender=event_id, session_id=...,
# reason="ended" (a timer at the session's end time), "closed" (a moderator closed its room) or
# "resumed" (a fresh process catching up with sessions that ended while no timer ran). May be sent
# more than once for one session: receivers must be idempotent.
session_ended = _signals.signal("session-ended")

# Sent by breakouts after a round ended (recalled by a moderator or by its timer), once committed:
# sender=the main session's id, session_ids=[the round's breakout rooms], reason="recalled". Calls
# end the rooms' calls with everyone in them.
breakout_round_ended = _signals.signal("breakout-round-ended")

# --- registries on the app: filled by each feature's init_app, read by the live rooms ---------------

OnSiteCounter = Callable[[DbSession, ProgrammeSession], int]
JoinStateProvider = Callable[[DbSession, User, ProgrammeSession], dict]


@dataclass(frozen=True)
class Joiner:
    """The person a join state is personalised for: the user, and whether they moderate the room."""

    user: User
    moderator: bool


SharedJoinState = Callable[[DbSession, ProgrammeSession], dict]
PersonalJoinState = Callable[[DbSession, Joiner, ProgrammeSession, dict], dict]
JoinStateRooms = Callable[[ProgrammeSession], list[str]]


@dataclass(frozen=True)
class JoinStatePart:
    """One feature's keys of the `join` state, in two halves (see conference/rooms/snapshots.py).

    - `shared(db, session) -> dict`: what everyone in the room sees alike (no user, no names a
      participant may not see). Built once per room and ROOMS_JOIN_SNAPSHOT_SECONDS in a fresh
      database session, from a number of queries that does not grow with the room; reused by the
      people who join meanwhile, so it is read-only: never mutate it (or anything inside it).
    - `personal(db, joiner, session, shared) -> dict`: the joiner's own view, from the room's shared
      state (read-only): returns this part's keys as this person sees them (your ballot, a
      moderator's extras), in new containers instead of edited shared ones. None: shared as it is.
    - `rooms(session) -> [Socket.IO room names]`: the rooms, besides `session:<id>` and
      `moderators:<id>`, whose broadcasts announce a change of this part (an event's announcements go
      to `event:<id>`, a main session's breakout counts to the main room). A broadcast to one of
      them makes the room's cached snapshot out of date.
    """

    shared: SharedJoinState
    personal: PersonalJoinState | None = None
    rooms: JoinStateRooms | None = None


JoinStep = Callable[[DbSession, User, ProgrammeSession], None]
EntryRule = Callable[[DbSession, User, ProgrammeSession], None]

EXTENSION = "conference.hooks"


@dataclass
class Hooks:
    """The seams of one app (`app.extensions["conference.hooks"]`).

    - `on_site_counter(db, session) -> int`: people checked in on site for the session now. Asked
      whenever a room's presence is built (join, presence broadcasts). One at most (check-in's).
    - `join_state_parts`: `JoinStatePart`s, the features' shared and personal halves of the `join`
      state (the shared half cached per room); two parts may not return the same key.
    - `join_state_providers`: `provider(db, user, session) -> dict`, a part that is only personal,
      run for every joiner after the join committed. Must only read: its keys are merged into the
      state, and no key may be returned twice.
    - `before_join_state_steps`: `step(db, user, session)`, run by the `join` handler once the
      person was admitted, before their entry is written and the state read, to bring it up to date
      (close the polls whose deadline passed while no timer ran); may write, commit and broadcast.
      `session` may be detached (read as a Core row): read it, never change it.
    - `after_join_steps`: `step(db, user, session)`, run by the `join` handler once the join
      committed and the ack's state is built: start what must run while people are in the room
      (poll timers, a breakout countdown). Failures are logged, never turned into a refused join.
    - `entry_rules`: `rule(db, user, session)`, run before anyone enters a room; raises a
      ServiceError to keep the person out (a running breakout admits only the people placed in it).
    """

    on_site_counter: OnSiteCounter | None = None
    join_state_parts: list[JoinStatePart] = field(default_factory=list)
    join_state_providers: list[JoinStateProvider] = field(default_factory=list)
    before_join_state_steps: list[JoinStep] = field(default_factory=list)
    after_join_steps: list[JoinStep] = field(default_factory=list)
    entry_rules: list[EntryRule] = field(default_factory=list)


def init_app(app: Flask) -> None:
    """Called by create_app before the features' init_app, which fill the registries."""
    app.extensions[EXTENSION] = Hooks()


def of(app: Flask | None = None) -> Hooks:
    """The hooks of `app`, by default the current one."""
    return (app or current_app).extensions[EXTENSION]


def _add(registry: list, item) -> None:
    if item not in registry:
        registry.append(item)


def set_on_site_counter(counter: OnSiteCounter | None, app: Flask | None = None) -> None:
    """Install (or with None remove) the on-site counter of `app`."""
    of(app).on_site_counter = counter


def on_site_count(db: DbSession, session: ProgrammeSession) -> int:
    """People checked in on site for this session right now (0 when check-in is not installed)."""
    counter = of().on_site_counter
    return counter(db, session) if counter else 0


def add_join_state(provider: JoinStateProvider, app: Flask | None = None) -> JoinStateProvider:
    """Register `provider(db, user, session) -> dict`, merged into the `join` ack's state."""
    _add(of(app).join_state_providers, provider)
    return provider


def remove_join_state(provider: JoinStateProvider, app: Flask | None = None) -> None:
    of(app).join_state_providers.remove(provider)


def add_join_state_part(
    shared: SharedJoinState,
    personal: PersonalJoinState | None = None,
    rooms: JoinStateRooms | None = None,
    app: Flask | None = None,
) -> JoinStatePart:
    """Register a feature's part of the `join` state: its shared half, cached per room, and the
    joiner's own view of it (see `JoinStatePart`)."""
    part = JoinStatePart(shared, personal, rooms)
    _add(of(app).join_state_parts, part)
    return part


def remove_join_state_part(part: JoinStatePart, app: Flask | None = None) -> None:
    of(app).join_state_parts.remove(part)


def merge_join_state(state: dict, part: dict, name: Any) -> None:
    """Add a part's keys to the state; a key returned twice is a wiring error."""
    clash = state.keys() & part.keys()
    if clash:
        raise RuntimeError(f"join state part {name} returns keys already set: {sorted(clash)}")
    state.update(part)


def extra_join_state(db: DbSession, user: User, session: ProgrammeSession) -> dict:
    """What every personal-only provider adds to the join state."""
    state: dict = {}
    for provider in of().join_state_providers:
        merge_join_state(state, provider(db, user, session), getattr(provider, "__name__", provider))
    return state


def add_before_join_state(step: JoinStep, app: Flask | None = None) -> JoinStep:
    _add(of(app).before_join_state_steps, step)
    return step


def add_after_join(step: JoinStep, app: Flask | None = None) -> JoinStep:
    _add(of(app).after_join_steps, step)
    return step


def add_entry_rule(rule: EntryRule, app: Flask | None = None) -> EntryRule:
    """Register `rule(db, user, session)`, which raises a ServiceError to keep a participant out."""
    _add(of(app).entry_rules, rule)
    return rule


def remove_entry_rule(rule: EntryRule, app: Flask | None = None) -> None:
    of(app).entry_rules.remove(rule)


def check_entry_rules(db: DbSession, user: User, session: ProgrammeSession) -> None:
    for rule in of().entry_rules:
        rule(db, user, session)
