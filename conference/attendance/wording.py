"""The figures in the words organisers use: "452 participants from 71 countries: 312 online, 140 on site"."""

from __future__ import annotations


def count_of(number: int, singular: str, plural: str | None = None) -> str:
    """ "1 participant", "1,204 participants"."""
    noun = singular if number == 1 else (plural or singular + "s")
    return f"{number:,} {noun}"


def summary_sentence(
    *, participants: int, countries: int, online: int, on_site: int, hybrid: int, sessions: int
) -> str:
    """One sentence for a report or a press release.

    Hybrid participants are counted once in `participants` and once in each mode, so `online` and
    `on_site` may add up to more than `participants`; the sentence then says how many did both.
    """
    modes = f"{online:,} online, {on_site:,} on site"
    if hybrid:
        modes += f" ({hybrid:,} both)"
    return (
        f"{count_of(participants, 'participant')} from {count_of(countries, 'country', 'countries')}: "
        f"{modes}; {count_of(sessions, 'session')}"
    )


def duration_words(seconds: int) -> str:
    """ "1 h 05 min", "12 min", "40 s"."""
    seconds = max(0, int(seconds))
    if seconds < 60:
        return f"{seconds} s"
    minutes = seconds // 60
    if minutes < 60:
        return f"{minutes} min"
    return f"{minutes // 60} h {minutes % 60:02d} min"
