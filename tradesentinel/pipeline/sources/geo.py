"""Country codes of the outside world mapped to ISO3: names as lists write them, ISO2, FIPS 10-4.

Sanctions lists write countries as names ("Korea, North", "Burma", "Iran (Islamic Republic of)"),
the EU as ISO2 and GDELT's geography as FIPS 10-4 codes (UK, RS, GM, UP). Each maps to ISO3 here;
a name or code that maps to nothing gives None (the caller keeps the text, never a guess).
The FIPS table (data/fips_iso3.csv) was checked against the place names in a real GDELT export.
"""

from __future__ import annotations

import csv
import re
import unicodedata
from functools import lru_cache
from importlib import resources

NAME_ALIASES: dict[str, str] = {
    "russia": "RUS",
    "korea north": "PRK",
    "north korea": "PRK",
    "korea south": "KOR",
    "south korea": "KOR",
    "burma": "MMR",
    "iran": "IRN",
    "syria": "SYR",
    "turkey": "TUR",
    "turkiye": "TUR",
    "palestinian": "PSE",
    "west bank": "PSE",
    "gaza": "PSE",
    "region gaza": "PSE",
    "gaza strip": "PSE",
    "state of palestine": "PSE",
    "congo democratic republic of the": "COD",
    "democratic republic of the congo": "COD",
    "congo republic of the": "COG",
    "the gambia": "GMB",
    "gambia the": "GMB",
    "bahamas the": "BHS",
    "kosovo": "XKX",
    "cote d ivoire": "CIV",
    "ivory coast": "CIV",
    "brunei": "BRN",
    "macau": "MAC",
    "macao": "MAC",
    "laos": "LAO",
    "vietnam": "VNM",
    "venezuela": "VEN",
    "bolivia": "BOL",
    "tanzania": "TZA",
    "united republic of tanzania": "TZA",
    "moldova": "MDA",
    "taiwan": "TWN",
    "czech republic": "CZE",
    "macedonia": "MKD",
    "cape verde": "CPV",
    "swaziland": "SWZ",
    "holy see": "VAT",
    "vatican": "VAT",
    "micronesia": "FSM",
    "united states": "USA",
    "usa": "USA",
    "uk": "GBR",
    "great britain": "GBR",
    "britain": "GBR",
    "region crimea": "UKR",
    "crimea": "UKR",
    "netherlands antilles": "ANT",
    "hong kong": "HKG",
    "china hong kong special administrative region": "HKG",
    "china macao special administrative region": "MAC",
    "slovak republic": "SVK",
    "bosnia herzegovina": "BIH",
    "british virgin islands": "VGB",
    "yugoslavia": "YUG",
    "serbia and montenegro": "SCG",
    "soviet union": "SUN",
    "ussr": "SUN",
    "east timor": "TLS",
    "saint kitts and nevis": "KNA",
}
"""Names that pycountry does not know under the spelling real lists use."""


def _key(name: str) -> str:
    """A name folded for lookup: accents, punctuation and case removed, words single-spaced."""
    text = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    return " ".join(re.sub(r"[^a-z0-9]+", " ", text.lower()).split())


@lru_cache(maxsize=1)
def _names() -> dict[str, str]:
    import pycountry

    table: dict[str, str] = {}
    for country in [*pycountry.historic_countries, *pycountry.countries]:
        code = getattr(country, "alpha_3", None)
        for attr in ("name", "official_name", "common_name"):
            value = getattr(country, attr, None)
            if value and code:
                table[_key(value)] = code
    table.update({_key(k): v for k, v in NAME_ALIASES.items()})
    return table


@lru_cache(maxsize=4096)
def iso3_from_name(name: str | None) -> str | None:
    """ISO3 of a country name as a list writes it, or None (undetermined, regions, unknown)."""
    if not name:
        return None
    key = _key(name)
    found = _names().get(key)
    if found is None and "," in name:  # "Korea, Republic of" / "Bahamas, The"
        head, _, tail = name.partition(",")
        found = _names().get(_key(f"{tail} {head}")) or _names().get(_key(head))
    if found is None and key.startswith("region "):
        found = _names().get(key.removeprefix("region "))
    return found


@lru_cache(maxsize=1)
def _iso2() -> dict[str, str]:
    import pycountry

    table = {c.alpha_2: c.alpha_3 for c in pycountry.countries}
    table.update({"XK": "XKX", "UK": "GBR", "EL": "GRC"})  # EU usage: Kosovo, UK, Greece (EL)
    return table


def iso3_from_iso2(code: str | None) -> str | None:
    """ISO3 of an ISO 3166 alpha-2 code (plus XK Kosovo and the EU's EL/UK), or None."""
    return _iso2().get(code.strip().upper()) if code else None


@lru_cache(maxsize=1)
def fips_table() -> dict[str, str]:
    """FIPS 10-4 country code -> ISO3 (GDELT geography); territories without an ISO code are absent."""
    text = resources.files("tradesentinel.pipeline.sources").joinpath("data/fips_iso3.csv").read_text()
    return {row["fips"]: row["iso3"] for row in csv.DictReader(text.splitlines())}


def iso3_from_fips(code: str | None) -> str | None:
    """ISO3 of a FIPS 10-4 country code, or None."""
    return fips_table().get(code.strip().upper()) if code else None
