"""The join snapshot: one build per room and ROOMS_JOIN_SNAPSHOT_SECONDS, never older than a broadcast.

A `join` ack carries the whole room (services.room_state). Its *shared* half (the public questions,
the chat tail, the open polls and their public results, the breakout round, the call, the
announcement: `hooks.JoinStatePart.shared`) is the same for everyone in the room, so when a
thousand people arrive within a second it is built once and handed to all of them; each joiner
then adds their own view (`personal`: your pending questions, your ballots, your upvotes, a
moderator's extras, your breakout room), which is never cached.

Why a joiner never misses a committed change
--------------------------------------------
Every change of the room is committed first and broadcast after, and the broadcast goes to a
Socket.IO room: `session:<id>`, `moderators:<id>`, `call:<id>`, `event:<id>`. Each process counts
the broadcasts it delivers, per room name (`BroadcastVersions`, bumped by the delivery watcher of
conference.fanout, just before the broadcast reaches this process's sockets, for its own emits and
for those of other processes read from the message queue in order). A cached shared part is
labelled with the counts of the rooms it depends on, read BEFORE its queries; its queries run in a
fresh database session, so they see everything committed before the label was read.

The `join` handler puts the socket in its Socket.IO rooms first (instant T1), and only then reads
the label and takes the snapshot. Take a change C, committed at Tc, counted at Tb (> Tc) and
delivered to this process's sockets right after:
- C delivered after T1: the joiner's socket was in the room, so it receives C's broadcast. The
  client keeps the broadcasts that arrive before the join's ack and applies them after the
  snapshot (static/js/live.js), so C is applied whatever the snapshot holds (questions and chat are
  upserted by id).
- C delivered before T1: then Tb < T1 < the moment the joiner reads the label. A cached part whose
  label equals the current one was labelled after Tb (counts only grow), so its queries ran after Tc
  and include C; a part labelled before Tb has another label and is not used: a new one is built.
The personal half is read after T1 in a fresh transaction of the joiner's session, so it includes
every change committed before T1; later ones reach the joiner as broadcasts (its `user:<id>` and
`moderators:<id>` rooms are entered at T1 as well).

One kind of broadcast does not count: `presence` (numbers only, several a second in a join storm,
where counting it would rebuild the shared part at every flush). The shared part's only presence
number is `on_site` (`online` is counted for each joiner, their own arrival included); a joiner whose
snapshot has an older one receives the `presence` broadcast that their own join announces, read
after they entered the room. So the window bounds the staleness of that number and of time itself
(`remaining_s` is counted for each joiner), never of a question, a line of chat, a poll or a room.

Single flight: the people who join a room while its shared part is being built wait for that build
instead of each starting their own (`SnapshotCache.get`).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from flask import Flask, current_app
from sqlalchemy.orm import Session

from .. import fanout
from ..errors import NotFound
from ..extensions import db
from ..programme.models import ProgrammeSession

LIVE = "/live"
EXTENSION = "rooms.join_snapshots"
# Broadcasts to these rooms can change a shared join state. Sockets (`to=sid`) and `user:<id>`
# rooms carry personal news only: the personal half is never cached.
TRACKED_PREFIXES = ("session:", "moderators:", "call:", "event:")
UNTRACKED_EVENTS = frozenset({"presence"})  # see the module docstring
WAIT_FOR_BUILD_S = 30.0  # a waiter builds for itself after this long (a build that hangs)


class BroadcastVersions:
    """How many broadcasts this process delivered to each room, in 4,096 counters shared by hashing
    the room's name: two rooms on one counter only cost each other a rebuild, never a stale state."""

    STRIPES = 4096

    def __init__(self) -> None:
        self._counts = [0] * self.STRIPES
        self._everything = 0  # broadcasts to the whole namespace
        self._lock = threading.Lock()

    def bump(self, room: str | None) -> None:
        with self._lock:
            if room is None:
                self._everything += 1
            else:
                self._counts[hash(room) % self.STRIPES] += 1

    def label(self, rooms: list[str]) -> tuple[int, ...]:
        with self._lock:
            return (self._everything, *(self._counts[hash(room) % self.STRIPES] for room in rooms))


@dataclass
class _Entry:
    label: tuple[int, ...]
    started: float
    ready: threading.Event = field(default_factory=threading.Event)
    value: dict | None = None


class SnapshotCache:
    """The shared parts of the rooms of this process, with single flight."""

    PRUNE_ABOVE = 64  # entries kept before the expired ones are dropped

    def __init__(self, window: Callable[[], float]) -> None:
        self._window = window
        self._entries: dict[int, _Entry] = {}
        self._lock = threading.Lock()
        self.builds = 0  # how many times a shared part was built (for tests and benchmarks)

    def get(self, key: int, label: tuple[int, ...], build: Callable[[], dict]) -> dict:
        """The shared part of room `key` for `label`: a fresh enough one built for the same label,
        the one being built for it now (waiting for it), or a new build."""
        window = float(self._window())
        while True:
            with self._lock:
                now = time.monotonic()
                entry = self._entries.get(key)
                reusable = (
                    window > 0
                    and entry is not None
                    and entry.label == label
                    and (
                        not entry.ready.is_set() or (entry.value is not None and now - entry.started < window)
                    )
                )
                if not reusable:
                    entry = _Entry(label, now)
                    self._entries[key] = entry
                    self._prune(now, window)
            assert entry is not None
            if not reusable:
                return self._build(key, entry, build)
            if entry.ready.wait(WAIT_FOR_BUILD_S) and entry.value is not None:
                return entry.value
            with self._lock:  # the build failed or hangs: the next turn builds anew
                if self._entries.get(key) is entry:
                    del self._entries[key]

    def _build(self, key: int, entry: _Entry, build: Callable[[], dict]) -> dict:
        try:
            entry.value = build()
            self.builds += 1
            return entry.value
        except BaseException:
            with self._lock:
                if self._entries.get(key) is entry:
                    del self._entries[key]
            raise
        finally:
            entry.ready.set()

    def forget(self, key: int | None = None) -> None:
        with self._lock:
            if key is None:
                self._entries.clear()
            else:
                self._entries.pop(key, None)

    def _prune(self, now: float, window: float) -> None:
        if len(self._entries) <= self.PRUNE_ABOVE:
            return
        for key, entry in list(self._entries.items()):
            if entry.ready.is_set() and now - entry.started >= window:
                del self._entries[key]


@dataclass
class Snapshots:
    versions: BroadcastVersions
    cache: SnapshotCache


def init_app(app: Flask) -> None:
    """The broadcast counts and the cache of `app`, and the watcher that keeps the counts."""
    versions = BroadcastVersions()
    app.extensions[EXTENSION] = Snapshots(
        versions, SnapshotCache(lambda: app.config["ROOMS_JOIN_SNAPSHOT_SECONDS"])
    )

    def delivered(event: str, namespace: str, room) -> None:
        if namespace != LIVE or event in UNTRACKED_EVENTS:
            return
        for name in room if isinstance(room, (list, tuple)) else [room]:
            if name is None or (isinstance(name, str) and name.startswith(TRACKED_PREFIXES)):
                versions.bump(name)

    fanout.watch_deliveries(app, delivered)


def of(app: Flask | None = None) -> Snapshots:
    return (app or current_app).extensions[EXTENSION]


def shared_state(
    session_id: int, rooms: list[str], build: Callable[[Session, ProgrammeSession], dict]
) -> dict:
    """The shared part of a room's join state: cached, or built by `build(fresh_db, session)` in a
    database session of its own, opened after the label of `rooms` was read (see the module doc)."""
    snapshots = of()
    label = snapshots.versions.label(rooms)

    def fresh_build() -> dict:
        with Session(db.engine, expire_on_commit=False) as fresh:
            session = fresh.get(ProgrammeSession, session_id)
            if session is None:  # deleted since the join committed
                raise NotFound("session_not_found", f"there is no session {session_id}")
            return build(fresh, session)

    return snapshots.cache.get(session_id, label, fresh_build)
