"""Valid country codes for flows: ISO 3166-1 alpha-3, plus the few codes trade data needs beyond it."""

from __future__ import annotations

from functools import lru_cache

EXTRA_CODES: dict[str, str] = {
    "WLD": "World (partner total)",
    "XKX": "Kosovo (user-assigned code used by the World Bank and IMF)",
}
"""Codes outside ISO 3166 that real trade tables use and that mean one well-defined area."""


@lru_cache(maxsize=1)
def valid_iso3() -> frozenset[str]:
    """Every accepted country code (loaded from pycountry on first use, not at import)."""
    import pycountry

    return frozenset(c.alpha_3 for c in pycountry.countries) | frozenset(EXTRA_CODES)
