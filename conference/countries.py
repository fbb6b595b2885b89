"""ISO 3166-1 alpha-2 country codes and their English names."""
from __future__ import annotations

from functools import lru_cache

import pycountry


@lru_cache(maxsize=1)
def country_names() -> dict[str, str]:
    """Code → short English name, sorted by name (for select boxes)."""
    pairs = ((c.alpha_2, getattr(c, "common_name", None) or c.name) for c in pycountry.countries)
    return dict(sorted(pairs, key=lambda pair: pair[1]))


def normalise_country(value: str | None) -> str | None:
    """Upper-case ISO code, or None for empty; ValueError for anything that is not a code."""
    if value is None or not value.strip():
        return None
    code = value.strip().upper()
    if code not in country_names():
        raise ValueError(f"{value!r} is not an ISO 3166-1 alpha-2 country code")
    return code


def country_name(code: str | None) -> str:
    if not code:
        return ""
    return country_names().get(code.upper(), code)
