"""Flood control for questions, chat, votes, room switching and poll vote changes, behind one small
interface.

`RateLimiter.hit(key, limit, window)` says whether one more action fits in the current window.
The default implementation counts in the database (fixed windows, one row per key and window), so
every server process shares the counters; a Redis implementation can replace it with
`set_limiter()` without touching the handlers or services. A group-commit batch counts all its
items at once (`consume_many`: one statement for the batch with the database limiter, `hit_many`).

Limits come from the app config `ROOMS_RATE_LIMITS` ({"question": (count, seconds), "chat": ...}).
"""

from __future__ import annotations

import time
from collections import Counter
from functools import cache
from typing import Protocol

from flask import Flask, current_app, has_app_context
from sqlalchemy import bindparam, delete
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from ..db_session import DbSession
from ..errors import ServiceError
from .models import RateCounter

# "More than a few questions or chat lines a second" is a flood. Votes and unvotes share one
# allowance, so toggling a vote cannot flood the room with updates.
DEFAULT_LIMITS = {
    "question": (3, 5),
    "chat": (5, 3),
    "vote": (10, 5),
    # per event: every live room of the event shows each one
    "announcement": (5, 60),
    # per person: entering a room (a join, or a switch to another room) writes presence and a visit
    # row; reconnects and breakout moves stay far below this
    "join": (20, 10),
    # per person and poll: changing a ballot re-counts and re-broadcasts the poll
    "poll_vote_change": (10, 10),
    # calls: joining (per person) and switching microphone, camera or hand (per socket)
    "call_join": (10, 30),
    "call_state": (20, 10),
}


class RateLimited(ServiceError):
    status = 429


class RateLimiter(Protocol):
    def hit(self, db: DbSession, key: str, limit: int, window: int) -> bool:
        """Count one action for `key`; False when `limit` actions already happened in this window."""


class DatabaseRateLimiter:
    """Fixed windows counted with one upsert (INSERT ... ON CONFLICT DO UPDATE ... WHERE hits < limit
    RETURNING hits); correct on SQLite and PostgreSQL alike, and a single write statement, no read
    (the hot live events run it: conference.rooms.hot).

    Works inside the caller's transaction: the count is committed with the action it allows, and
    rolled back with it when the action fails.
    """

    def hit(self, db: DbSession, key: str, limit: int, window: int) -> bool:
        now = int(time.time())
        start = now - now % window
        statement = _upsert(db.get_bind().dialect.name)
        # On the session's connection: a Core statement needs none of the ORM's bulk-insert handling.
        hits = (
            db.connection()
            .execute(statement, {"key": key, "start": start, "limit": limit})
            .scalar_one_or_none()
        )
        if hits is None:  # the window's row is at its limit: nothing changed
            return False
        if hits == 1:  # a new window for this key: the old ones are of no use any more
            self._forget_old(db, key, start)
        return True

    @staticmethod
    def _forget_old(db: DbSession, key: str, start: int) -> None:
        db.connection().execute(_FORGET_OLD, {"key": key, "start": start})

    def hit_many(self, db: DbSession, keys: list[str], limit: int, window: int) -> list[bool]:
        """`hit` for each key, in order: the keys named once by one multi-row upsert (RETURNING the
        keys it counted) and one DELETE of their old windows, a key named several times one hit at
        a time (rare: one person's items of one batch)."""
        now = int(time.time())
        start = now - now % window
        times = Counter(keys)
        once = [key for key in times if times[key] == 1]
        allowed: dict[str, bool] = {}
        if once:
            connection = db.connection()
            # An executemany of one cached statement, which SQLAlchemy sends as multi-row VALUES
            # ("insertmanyvalues"): a VALUES list built here was compiled anew for every batch, half
            # of the cost of counting a join storm's batches.
            counted = dict(
                connection.execute(
                    _upsert_returning_key(connection.dialect.name),
                    [{"key": key, "start": start, "limit": limit} for key in once],
                ).all()
            )
            new_windows = [key for key, hits in counted.items() if hits == 1]
            if new_windows:
                connection.execute(_FORGET_OLD_MANY, {"keys": new_windows, "start": start})
            allowed = {key: key in counted for key in once}
        return [allowed[key] if key in allowed else self.hit(db, key, limit, window) for key in keys]


# Built once: every join, vote, question and chat line runs them (building and keying a statement
# anew cost more than running it).
_FORGET_OLD = delete(RateCounter).where(
    RateCounter.key == bindparam("key"), RateCounter.window_start < bindparam("start")
)
_FORGET_OLD_MANY = delete(RateCounter).where(
    RateCounter.key.in_(bindparam("keys", expanding=True)), RateCounter.window_start < bindparam("start")
)


def _counting_upsert(dialect: str):
    insert = postgresql_insert if dialect == "postgresql" else sqlite_insert
    return (
        insert(RateCounter)
        .values(key=bindparam("key"), window_start=bindparam("start"), hits=1)
        .on_conflict_do_update(
            index_elements=[RateCounter.key, RateCounter.window_start],
            set_={"hits": RateCounter.hits + 1},
            where=RateCounter.hits < bindparam("limit"),
        )
    )


@cache
def _upsert(dialect: str):
    return _counting_upsert(dialect).returning(RateCounter.hits)


@cache
def _upsert_returning_key(dialect: str):
    return _counting_upsert(dialect).returning(RateCounter.key, RateCounter.hits)


_DEFAULT_LIMITER: RateLimiter = DatabaseRateLimiter()


def set_limiter(app: Flask, limiter: RateLimiter) -> None:
    """Install another limiter (e.g. one counting in Redis) for this app."""
    app.extensions["rate_limiter"] = limiter


def _limiter() -> RateLimiter:
    if has_app_context():
        return current_app.extensions.get("rate_limiter", _DEFAULT_LIMITER)
    return _DEFAULT_LIMITER


def limits_for(action: str) -> tuple[int, int]:
    configured = current_app.config["ROOMS_RATE_LIMITS"] if has_app_context() else {}
    return tuple(configured.get(action, DEFAULT_LIMITS[action]))


def consume(db: DbSession, key: str, action: str) -> None:
    """Count one `action` for `key`, or raise `rate_limited`."""
    limit, window = limits_for(action)
    if not _limiter().hit(db, key, limit, window):
        raise RateLimited(
            "rate_limited", f"slow down: at most {limit} per {window} seconds", retry_after=window
        )


def consume_many(db: DbSession, keys: list[str], action: str) -> list[RateLimited | None]:
    """`consume` for each key, in order (a group-commit batch): None where the action is counted,
    the `rate_limited` error where it is refused. Nothing is raised."""
    limit, window = limits_for(action)
    limiter = _limiter()
    many = getattr(limiter, "hit_many", None)
    allowed = many(db, keys, limit, window) if many else [limiter.hit(db, key, limit, window) for key in keys]
    return [
        None
        if ok
        else RateLimited(
            "rate_limited", f"slow down: at most {limit} per {window} seconds", retry_after=window
        )
        for ok in allowed
    ]


def hit(db: DbSession, key: str, limit: int, window: int) -> bool:
    """Count one action for `key` with the installed limiter; False when over `limit` per `window` seconds.

    For features with their own limits (e.g. sign-in forms), in the caller's transaction.
    """
    return _limiter().hit(db, key, limit, window)
