"""Valid country codes for flows: ISO 3166 alpha-3, plus the few codes trade data needs beyond it.

Accepted: every current ISO 3166-1 alpha-3 code; the alpha-3 codes ISO 3166-3 lists for former
countries (SUN, YUG, CSK, DDR, ANT, SCG, ...), because trade series before their dissolution are
reported under them and ISO does not reassign such codes; `WLD` for the world as a partner; and
`XKX` for Kosovo, the user-assigned code the World Bank, IMF and EU use for one well-defined
territory. Rejected: aggregates that are not one territory (EU "EUR", Comtrade's "areas nes"
codes such as S19, X1, _X, E19), since adding them up with their members would count trade twice.
A source that knows its own codes (Comtrade "W00", "_KS") maps them to these before cleaning.
"""

from __future__ import annotations

from functools import lru_cache

WORLD = "WLD"
"""The partner code for trade with the whole world (a reporter's total)."""

EXTRA_CODES: dict[str, str] = {
    WORLD: "World (partner total)",
    "XKX": "Kosovo (user-assigned code used by the World Bank, IMF and EU)",
}
"""Codes outside ISO 3166 that real trade tables use and that mean one well-defined area."""


@lru_cache(maxsize=1)
def former_iso3() -> frozenset[str]:
    """ISO 3166-3 alpha-3 codes of countries that no longer exist (for historic series)."""
    import pycountry

    return frozenset(c.alpha_3 for c in pycountry.historic_countries if getattr(c, "alpha_3", None))


@lru_cache(maxsize=1)
def valid_iso3() -> frozenset[str]:
    """Every accepted country code (loaded from pycountry on first use, not at import)."""
    import pycountry

    current = frozenset(c.alpha_3 for c in pycountry.countries)
    return current | former_iso3() | frozenset(EXTRA_CODES)


SHORT_NAMES = {
    "RUS": "Russia",
    "IRN": "Iran",
    "KOR": "South Korea",
    "PRK": "North Korea",
    "SYR": "Syria",
    "VNM": "Vietnam",
    "TUR": "Turkey",
    "VEN": "Venezuela",
    "BOL": "Bolivia",
    "TZA": "Tanzania",
    "LAO": "Laos",
    "MDA": "Moldova",
    "CZE": "Czechia",
    "TWN": "Taiwan",
    "COD": "DR Congo",
    "WLD": "World",
}
"""The names people type, where the ISO name differs (Russia, not Russian Federation)."""


@lru_cache(maxsize=4096)
def country_name(iso3: str) -> str:
    """The English name people use for an ISO3 code (the code itself when unknown)."""
    import pycountry

    if iso3 in SHORT_NAMES:
        return SHORT_NAMES[iso3]
    found = pycountry.countries.get(alpha_3=iso3)
    if found is None:
        return {"WLD": "World"}.get(iso3, iso3)
    return getattr(found, "common_name", None) or found.name
