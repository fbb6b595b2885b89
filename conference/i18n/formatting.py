"""Dates, times and numbers for the viewer's locale (Babel), in the time zone the caller names.

Templates keep naming a format the strftime way (`moment|local(event.tz, '%-d %B %Y')`): English
pages show exactly that, every other language the same fields in its own order and words (Babel's
CLDR skeletons: "29 novembre 2026", "٢٩ نوفمبر ٢٠٢٦", "2026年11月29日"). Times stay 24-hour.
"""

from __future__ import annotations

import re
from datetime import date, datetime

from babel.dates import format_date, format_skeleton, format_time, get_date_format
from babel.numbers import format_decimal
from flask import Flask

from .selection import current_language

# strftime format → (the CLDR skeleton of its date part, its time part). CLDR has few skeletons that
# mix date and time, so the two are formatted apart and joined ("6 мая 09:30", "5月6日 09:30").
SKELETONS = {
    "%H:%M": (None, "HH:mm"),
    "%H:%M:%S": (None, "HH:mm:ss"),
    "%-d %B": ("MMMMd", None),
    "%-d %B %Y": ("yMMMMd", None),
    "%-d %b %Y": ("yMMMd", None),
    "%a %H:%M": ("E", "HH:mm"),
    "%-d %b %H:%M": ("MMMd", "HH:mm"),
    "%a %-d %b %H:%M": ("MMMEd", "HH:mm"),
    "%-d %B %H:%M": ("MMMMd", "HH:mm"),
    "%-d %B %Y %H:%M": ("yMMMMd", "HH:mm"),
}


# A weekday in full: CLDR skeletons abbreviate it in most languages ("lun. 6 mai"), so these take the
# locale's full date pattern ("EEEE d MMMM y", "EEEE، d MMMM y", "y年M月d日EEEE"), without the year where
# strftime has none.
FULL_DAY = {"%A %-d %B %Y": True, "%A %-d %B": False}


def _without_year(pattern: str) -> str:
    pattern = re.sub(r"y+年", "", pattern)
    return re.sub(r"[\s,]*(?:'de'\s*)?y+(?:\s*'г'\.)?", "", pattern).strip()


def _format(moment: date | datetime, fmt: str, tz=None) -> str:
    language = current_language()
    skeleton = SKELETONS.get(fmt)
    if language == "en" or (skeleton is None and fmt not in FULL_DAY):
        return moment.strftime(fmt)  # English as it always read; machine formats (%Y-%m-%dT%H:%M) as they are
    if fmt in FULL_DAY:
        pattern = get_date_format("full", locale=language).pattern
        if not FULL_DAY[fmt]:
            pattern = _without_year(pattern)
        if isinstance(moment, datetime):
            moment = moment.astimezone(tz).date() if tz else moment.date()
        return format_date(moment, pattern, locale=language)
    assert skeleton is not None  # the first test returned for a format without one
    date_part, time_part = skeleton
    parts = []
    if date_part:
        parts.append(format_skeleton(date_part, moment, tzinfo=tz, locale=language))
    if time_part:
        assert isinstance(moment, datetime)  # a format with a time of day is only used on instants
        parts.append(format_time(moment, time_part, tzinfo=tz, locale=language))
    return " ".join(parts)


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
