"""A late scan placed among one person's movements on one list, in `scanned_at` order.

An offline scanner uploads scans made minutes or hours ago. Judging such a scan against the "inside"
flag of now is wrong (a person who left and came back at another gate would look like a pass-back);
judged against the movements that stand at its own scan time, it is right:

- an entry is valid when the person was outside just before it (and re-entry is allowed if they had
  entered before); an exit when they were inside;
- a valid entry followed directly by another entry (the same badge let in twice without an exit
  between: two gates, one badge) is the one true conflict: the movement is kept (the person did pass)
  and the answer is `already_checked_in`, flagged for staff;
- a list whose automatic check-out has already run gives a late entry before that time its automatic
  exit, as everyone inside then got one;
- "inside now" and the first entry are recomputed from the whole timeline afterwards.

Pure functions on plain data: the scanning service loads the movements and writes what this decides.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any


@dataclass(frozen=True)
class Move:
    """A standing (not undone) movement: when, which way, and the caller's own row (`ref`)."""

    at: datetime
    direction: str  # "in" | "out"
    ref: Any = None
    automatic: bool = False


@dataclass(frozen=True)
class Placement:
    """What a late scan does. `record`: keep it as a movement (at its scan time); `auto_exit`: also
    record an automatic exit at that time; `inside`/`first_entry`: the state the timeline ends in."""

    result: str
    reason: str
    record: bool
    auto_exit: datetime | None = None
    inside: bool = False
    first_entry: Move | None = None


def state_before(moves: list[Move], at: datetime) -> tuple[bool, bool]:
    """(inside, entered before) just after every movement at or before `at`; `moves` in time order."""
    earlier = [m for m in moves if m.at <= at]
    inside = bool(earlier) and earlier[-1].direction == "in"
    return inside, any(m.direction == "in" for m in earlier)


def place(
    moves: list[Move],
    new: Move,
    *,
    allow_reentry: bool,
    auto_checkout_done_at: datetime | None = None,
) -> Placement:
    """Judge `new` against the movements before it and say what the timeline becomes with it.

    `moves` are the standing movements in time order; `auto_checkout_done_at` is the list's automatic
    check-out time when it has already run (None otherwise)."""
    inside, entered = state_before(moves, new.at)
    later = [m for m in moves if m.at > new.at]
    if new.direction == "in":
        if inside:
            return _unchanged(moves, "already_checked_in", "already_inside")
        if entered and not allow_reentry:
            return _unchanged(moves, "already_checked_in", "no_reentry")
        if later and later[0].direction == "in":
            result, reason = "already_checked_in", "already_inside"  # let in twice without an exit
        else:
            result, reason = "ok", "reentry" if entered else ""
    else:
        if not inside:
            return _unchanged(moves, "not_inside", "not_inside")
        result, reason = "ok", "exit"
    timeline = sorted([*moves, new], key=lambda m: m.at)  # stable: `new` after movements at its time
    auto_exit = None
    if auto_checkout_done_at is not None and new.at <= auto_checkout_done_at:
        inside_then, _entered = state_before(timeline, auto_checkout_done_at)
        if inside_then:
            auto_exit = auto_checkout_done_at
            timeline = sorted([*timeline, Move(auto_exit, "out", automatic=True)], key=lambda m: m.at)
    return Placement(result, reason, True, auto_exit, *_final(timeline))


def _unchanged(moves: list[Move], result: str, reason: str) -> Placement:
    return Placement(result, reason, False, None, *_final(moves))


def _final(timeline: list[Move]) -> tuple[bool, Move | None]:
    inside = bool(timeline) and timeline[-1].direction == "in"
    entries = [m for m in timeline if m.direction == "in"]
    return inside, entries[0] if entries else None
