"""Which breakout language suits a participant, guessed from their country.

Users carry no language field, so auto-balancing "by language" reads the user's ISO country code:
a country whose main working language is one of the UN languages other than English maps to it
(Arabic, French, Spanish, Russian, Chinese); every other country, and no country, maps to English.
A participant whose language has no room goes to the English rooms (or to any room if there is none).
"""

from __future__ import annotations

_COUNTRIES_BY_LANGUAGE = {
    "ar": "AE SA QA KW BH OM JO LB IQ YE EG MA TN DZ SD SY LY PS MR",
    "fr": "FR BE LU MC SN CI ML BF NE TD GN BJ TG CM GA CG CD CF MG HT",
    "es": "ES MX AR CO PE VE CL EC GT CU BO DO HN PY SV NI CR PA UY",
    "ru": "RU BY KZ KG TJ",
    "zh": "CN TW",
}
LANGUAGE_OF_COUNTRY = {
    country: language
    for language, countries in _COUNTRIES_BY_LANGUAGE.items()
    for country in countries.split()
}
DEFAULT_LANGUAGE = "en"


def preferred_language(country: str | None) -> str:
    """The language a participant from `country` most likely prefers (a base tag such as "ar")."""
    return LANGUAGE_OF_COUNTRY.get((country or "").upper(), DEFAULT_LANGUAGE)


def base_language(tag: str | None) -> str:
    """ "ar-EG" → "ar": rooms are matched on the base language only."""
    return (tag or DEFAULT_LANGUAGE).split("-")[0].lower()
