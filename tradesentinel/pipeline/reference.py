"""Reference lists the features use: country sanctions programmes and controlled HS codes.

These are small, public, slowly changing lists kept as data in code so the pipeline runs offline.
Both can be replaced by a user's own CSV (see `load_reference_csv`); the sanctions connectors
(`ingest ofac|eu|un`) describe designated *entities*, which the evidence store links separately.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import polars as pl

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
        raise ValueError(f"{path}: reference file lacks column(s) {', '.join(missing)}")
    return frame.select(columns)
