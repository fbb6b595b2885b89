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


def _display_language() -> str:
    """The language of the page being drawn (English outside a request)."""
    from flask import has_request_context

    if not has_request_context():
        return "en"
    from .i18n.selection import current_language

    return current_language()


@lru_cache(maxsize=16)
def _territories(language: str) -> dict[str, str]:
    from babel import Locale

    return dict(Locale.parse(language).territories)


def country_name(code: str | None) -> str:
    """The country's short name in the page's language (Babel's CLDR names; English from pycountry)."""
    if not code:
        return ""
    code = code.upper()
    language = _display_language()
    if language != "en":
        name = _territories(language).get(code)
        if name:
            return name
    return country_names().get(code, code)


def display_country_names() -> dict[str, str]:
    """Code → name in the page's language, sorted by that name (for select boxes)."""
    language = _display_language()
    if language == "en":
        return country_names()
    names = {code: country_name(code) for code in country_names()}
    return dict(sorted(names.items(), key=lambda pair: pair[1]))


# UN M49 geographic regions (unstats.un.org/unsd/methodology/m49), at the level organisers report:
# the sub-region, with sub-Saharan Africa and Latin America and the Caribbean kept whole.
# (sub-region, region) → ISO 3166-1 alpha-2 codes. Taiwan follows its neighbours in Eastern Asia.
_M49_SUBREGIONS: dict[tuple[str, str], str] = {
    ("Northern Africa", "Africa"): "DZ EG LY MA SD TN EH",
    ("Sub-Saharan Africa", "Africa"): (
        "IO BI KM DJ ER ET TF KE MG MW MU YT MZ RE RW SC SO SS UG TZ ZM ZW "
        "AO CM CF TD CG CD GQ GA ST BW SZ LS NA ZA "
        "BJ BF CV CI GM GH GN GW LR ML MR NE NG SH SN SL TG"
    ),
    ("Latin America and the Caribbean", "Americas"): (
        "AI AG AW BS BB BQ VG KY CU CW DM DO GD GP HT JM MQ MS PR BL KN LC MF VC SX TT TC VI "
        "BZ CR SV GT HN MX NI PA AR BO BV BR CL CO EC FK GF GY PY PE GS SR UY VE"
    ),
    ("Northern America", "Americas"): "BM CA GL PM US",
    ("Central Asia", "Asia"): "KZ KG TJ TM UZ",
    ("Eastern Asia", "Asia"): "CN HK MO KP JP MN KR TW",
    ("South-eastern Asia", "Asia"): "BN KH ID LA MY MM PH SG TH TL VN",
    ("Southern Asia", "Asia"): "AF BD BT IN IR MV NP PK LK",
    ("Western Asia", "Asia"): "AM AZ BH CY GE IQ IL JO KW LB OM QA SA PS SY TR AE YE",
    ("Eastern Europe", "Europe"): "BY BG CZ HU PL MD RO RU SK UA",
    ("Northern Europe", "Europe"): "AX DK EE FO FI GG IS IE IM JE LV LT NO SJ SE GB",
    ("Southern Europe", "Europe"): "AL AD BA HR GI GR VA IT MT ME MK PT SM RS SI ES",
    ("Western Europe", "Europe"): "AT BE FR DE LI LU MC NL CH",
    ("Australia and New Zealand", "Oceania"): "AU CX CC HM NZ NF",
    ("Melanesia", "Oceania"): "FJ NC PG SB VU",
    ("Micronesia", "Oceania"): "GU KI MH FM NR MP PW UM",
    ("Polynesia", "Oceania"): "AS CK PF NU PN WS TK TO TV WF",
}
UNKNOWN_REGION = "Unknown"


@lru_cache(maxsize=1)
def _m49_index() -> dict[str, tuple[str, str]]:
    return {code: key for key, codes in _M49_SUBREGIONS.items() for code in codes.split()}


def region_names() -> list[str]:
    """The M49 sub-regions, in the order of the table (Africa, Americas, Asia, Europe, Oceania)."""
    return [subregion for subregion, _ in _M49_SUBREGIONS]


def m49_subregion(code: str | None) -> str:
    """The UN M49 sub-region of a country code ("Eastern Asia"), or "Unknown" (no code, Antarctica)."""
    return _m49_index().get((code or "").upper(), (UNKNOWN_REGION, UNKNOWN_REGION))[0]


def m49_region(code: str | None) -> str:
    """The UN M49 region of a country code ("Asia"), or "Unknown"."""
    return _m49_index().get((code or "").upper(), (UNKNOWN_REGION, UNKNOWN_REGION))[1]
