"""Auto-balancing breakout rooms on plain data: who goes to which room, within capacity. No database.

`place_people` fills rooms evenly (by fill ratio, then head count, then position); `by="language"`
first narrows each person's choice to rooms in their preferred language (see languages.py), else
English, else any room; `by="country"` deals delegations out one person per country at a time and
sends each person where their country has the fewest people so far. Rooms already holding people
(`taken`) count as they are; whoever fits nowhere is returned in `unplaced`.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field

from .languages import base_language, preferred_language

BALANCE_BY = (None, "language", "country")
_UNLIMITED = 1_000_000  # a room without capacity fills as if it had this many places


@dataclass(frozen=True)
class Room:
    """A breakout room as balancing sees it."""

    id: int
    position: int
    taken: int = 0
    capacity: int | None = None
    language: str | None = None


@dataclass(frozen=True)
class Person:
    id: int
    country: str | None = None


@dataclass
class Placement:
    """`places` in placing order as (person id, room id); `added` counts the new people per room id."""

    places: list[tuple[int, int]] = field(default_factory=list)
    unplaced: list[int] = field(default_factory=list)
    added: Counter = field(default_factory=Counter)


def place_people(rooms: list[Room], people: list[Person], by: str | None = None) -> Placement:
    """Place each person in the best room that still has space (see the module's docstring)."""
    plan = _Plan(rooms)
    placement = Placement()
    for person in ordered_for_balance(people, by):
        room = plan.best_room(person, by)
        if room is None:
            placement.unplaced.append(person.id)
            continue
        plan.place(room, person)
        placement.places.append((person.id, room.id))
    placement.added = plan.added
    return placement


def ordered_for_balance(people: list[Person], by: str | None) -> list[Person]:
    """The order people are placed in: as given, or by country, one delegate of each in turn."""
    if by != "country":
        return people
    # Deal delegations out one person per country at a time so each room gets a mix.
    by_country: dict[str, list[Person]] = defaultdict(list)
    for person in people:
        by_country[person.country or ""].append(person)
    queues = [by_country[c] for c in sorted(by_country, key=lambda c: (-len(by_country[c]), c))]
    ordered = []
    while any(queues):
        for queue in queues:
            if queue:
                ordered.append(queue.pop(0))
    return ordered


class _Plan:
    """Room fill levels while balancing."""

    def __init__(self, rooms: list[Room]):
        self.rooms = rooms
        self.taken = {r.id: r.taken for r in rooms}
        self.added: Counter = Counter()
        self.countries: dict[int, Counter] = defaultdict(Counter)

    def _has_space(self, room: Room) -> bool:
        return room.capacity is None or self.taken[room.id] < room.capacity

    def _fill(self, room: Room) -> float:
        return self.taken[room.id] / room.capacity if room.capacity else self.taken[room.id] / _UNLIMITED

    def best_room(self, person: Person, by: str | None) -> Room | None:
        candidates = [r for r in self.rooms if self._has_space(r)]
        if by == "language" and candidates:
            wanted = preferred_language(person.country)
            for language in (wanted, "en"):
                matching = [r for r in candidates if base_language(r.language) == language]
                if matching:
                    candidates = matching
                    break
        if not candidates:
            return None
        if by == "country":
            return min(
                candidates, key=lambda r: (self.countries[r.id][person.country], self._fill(r), r.position)
            )
        return min(candidates, key=lambda r: (self._fill(r), self.taken[r.id], r.position))

    def place(self, room: Room, person: Person) -> None:
        self.taken[room.id] += 1
        self.added[room.id] += 1
        self.countries[room.id][person.country] += 1
