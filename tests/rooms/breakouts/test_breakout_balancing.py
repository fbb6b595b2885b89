"""Auto-balancing on plain data: rooms and people in, places out (no app, no database)."""

from __future__ import annotations

from collections import Counter

import pytest

from conference.rooms.breakouts.balancing import Person, Room, ordered_for_balance, place_people


def rooms_of(placement) -> dict[int, int]:
    return dict(placement.places)


def test_rooms_fill_evenly_in_position_order():
    rooms = [Room(1, 0, capacity=10), Room(2, 1, capacity=10), Room(3, 2, capacity=10)]
    placement = place_people(rooms, [Person(i) for i in range(1, 7)])
    assert [room for _person, room in placement.places] == [1, 2, 3, 1, 2, 3]
    assert placement.added == Counter({1: 2, 2: 2, 3: 2}) and placement.unplaced == []


def test_even_means_by_fill_ratio_and_people_already_inside_count():
    # Room 1 is half full (5 of 10), room 2 empty but small (0 of 2): the lower ratio wins, then at an
    # equal ratio (1 of 2 against 5 of 10) the room with fewer people; the full room takes nobody.
    rooms = [Room(1, 0, taken=5, capacity=10), Room(2, 1, taken=0, capacity=2)]
    placement = place_people(rooms, [Person(1), Person(2), Person(3)])
    assert placement.places == [(1, 2), (2, 2), (3, 1)]


def test_nobody_goes_past_a_capacity_and_those_who_fit_nowhere_are_unplaced():
    rooms = [Room(1, 0, taken=1, capacity=2), Room(2, 1, capacity=1)]
    placement = place_people(rooms, [Person(i) for i in (10, 11, 12, 13)])
    assert sorted(rooms_of(placement).values()) == [1, 2]
    assert placement.unplaced == [12, 13]
    assert placement.added == Counter({1: 1, 2: 1})


def test_a_room_without_capacity_takes_everyone_left():
    placement = place_people([Room(1, 0, capacity=1), Room(2, 1)], [Person(i) for i in range(5)])
    assert placement.unplaced == [] and placement.added == Counter({1: 1, 2: 4})


def test_no_rooms_leaves_everyone_unplaced():
    placement = place_people([], [Person(1), Person(2)], by="language")
    assert placement.places == [] and placement.unplaced == [1, 2]


def test_by_language_sends_people_to_their_language_then_english_then_anywhere():
    rooms = [Room(1, 0, language="en"), Room(2, 1, language="fr-CA"), Room(3, 2, language="ar")]
    people = [Person(1, "SN"), Person(2, "EG"), Person(3, "JP"), Person(4, None), Person(5, "ru")]
    assert rooms_of(place_people(rooms, people, by="language")) == {1: 2, 2: 3, 3: 1, 4: 1, 5: 1}
    # No English room: a Russian speaker goes wherever there is space.
    only_arabic = place_people([Room(3, 0, capacity=1, language="ar")], [Person(5, "RU")], by="language")
    assert only_arabic.places == [(5, 3)]


def test_by_language_falls_back_when_the_language_rooms_are_full():
    rooms = [Room(1, 0, capacity=1, language="es"), Room(2, 1, capacity=5, language="en")]
    placement = place_people(rooms, [Person(1, "MX"), Person(2, "AR")], by="language")
    assert placement.places == [(1, 1), (2, 2)]


def test_by_country_deals_delegations_out_one_person_per_country_at_a_time():
    people = [
        Person(1, "KE"),
        Person(2, "KE"),
        Person(3, "KE"),
        Person(4, "BR"),
        Person(5, "BR"),
        Person(6, None),
    ]
    # The largest delegation first; no country is a country of its own ("").
    assert [p.id for p in ordered_for_balance(people, "country")] == [1, 4, 6, 2, 5, 3]
    assert ordered_for_balance(people, None) == people and ordered_for_balance(people, "language") == people


def test_by_country_spreads_each_delegation_across_rooms():
    rooms = [Room(1, 0, capacity=3), Room(2, 1, capacity=3)]
    people = [Person(i, "KE") for i in range(1, 5)] + [Person(i, "BR") for i in range(5, 7)]
    placement = place_people(rooms, people, by="country")
    by_room: dict[int, Counter] = {1: Counter(), 2: Counter()}
    countries = {p.id: p.country for p in people}
    for person_id, room_id in placement.places:
        by_room[room_id][countries[person_id]] += 1
    assert by_room == {1: Counter({"KE": 2, "BR": 1}), 2: Counter({"KE": 2, "BR": 1})}


@pytest.mark.parametrize("by", [None, "language", "country"])
def test_every_person_is_placed_once_or_listed_as_unplaced(by):
    rooms = [Room(1, 0, capacity=2, language="fr"), Room(2, 1, capacity=3), Room(3, 2, taken=3, capacity=3)]
    people = [
        Person(i, country) for i, country in enumerate(["FR", "FR", "US", "SN", None, "CN", "FR"], start=1)
    ]
    placement = place_people(rooms, people, by)
    placed = [person for person, _room in placement.places]
    assert sorted(placed + placement.unplaced) == list(range(1, 8)) and len(set(placed)) == len(placed)
    assert len(placement.unplaced) == 2 and 3 not in rooms_of(placement).values()
    assert sum(placement.added.values()) == len(placed)
