"""Dates, times and numbers for the viewer's locale (Babel), in the time zone the caller names.

Templates keep naming a format the strftime way (`moment|local(event.tz, '%-d %B %Y')`): English
pages show exactly that, every other language the same fields in its own order and words (Babel's
CLDR skeletons: "29 novembre 2026", "٢٩ نوفمبر ٢٠٢٦", "2026年11月29日"). Times stay 24-hour.
"""

from __future__ import annotations

from datetime import date, datetime

from babel.dates import format_skeleton
from babel.numbers import format_decimal
from flask import Flask

from .selection import current_language

# strftime format → the CLDR skeleton with the same fields.
SKELETONS = {
    "%H:%M": "Hm",
    "%H:%M:%S": "Hms",
    "%-d %B": "MMMMd",
    "%-d %B %Y": "yMMMMd",
    "%-d %b %Y": "yMMMd",
    "%A %-d %B": "MMMMEEEEd",
    "%A %-d %B %Y": "yMMMMEEEEd",
    "%a %H:%M": "EHm",
    "%-d %b %H:%M": "MMMdHm",
    "%a %-d %b %H:%M": "MMMEdHm",
    "%-d %B %H:%M": "MMMMdHm",
    "%-d %B %Y %H:%M": "yMMMMdHm",
}


def _format(moment: date | datetime, fmt: str, tz=None) -> str:
    language = current_language()
    skeleton = SKELETONS.get(fmt)
    if language == "en" or skeleton is None:
        return moment.strftime(fmt)  # English as it always read; machine formats (%Y-%m-%dT%H:%M) as they are
    return format_skeleton(skeleton, moment, tzinfo=tz, locale=language)


def local_time(moment: datetime, tz, fmt: str = "%H:%M") -> str:
    """`moment` in zone `tz`, in the viewer's language."""
    return _format(moment.astimezone(tz), fmt, tz)


def local_day(day: date, fmt: str = "%A %-d %B %Y") -> str:
    """A calendar day (no zone) in the viewer's language."""
    return _format(day, fmt)


def number(value) -> str:
    """1234 → "1,234" (en), "1 234" (fr), "1.234" (es), "١٬٢٣٤" never: Arabic pages keep Latin digits."""
    return format_decimal(value, locale=current_language())


def register_filters(app: Flask) -> None:
    app.jinja_env.filters.update(local=local_time, local_day=local_day, number=number)
