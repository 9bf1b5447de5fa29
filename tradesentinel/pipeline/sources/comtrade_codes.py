"""Comtrade's own code lists: country codes that are not ISO numeric, quantity units, legacy flow codes.

Comtrade numbers most countries by their ISO 3166 numeric code, but not all (842 USA, 699 IND, 251
FRA, 579 NOR, 757 CHE, historic territories); partner 0 is the world. Every Comtrade-family layout
and BACI (whose country codes are Comtrade's) map codes through `code_to_iso3`.
"""

from __future__ import annotations

from functools import lru_cache

from tradesentinel.reference import WORLD

COMTRADE_CODES: dict[int, str] = {
    0: WORLD,
    842: "USA",
    841: "USA",
    699: "IND",
    381: "ITA",  # Italy as older Comtrade data and CEPII BACI number it (ISO 380)
    251: "FRA",
    579: "NOR",
    757: "CHE",
    412: "XKX",
    280: "DEU",
    886: "YEM",
    736: "SDN",
    230: "ETH",
    868: "VNM",
    590: "PAN",
    658: "KNA",
    891: "SCG",
    890: "YUG",
    810: "SUN",
    200: "CSK",
    278: "DDR",
    720: "YMD",
    530: "ANT",
    # historic territories, coded as Comtrade codes them (ISO 3166-3 or the principal member)
    58: "BEL",
    588: "PAK",
    532: "ANT",
    866: "VDR",
    582: "PCI",
    592: "PCZ",
    536: "NTZ",
    849: "PUS",
    80: "ATB",
}
"""Comtrade numeric codes that are not (or no longer) the ISO 3166 numeric code of their country."""
QTY_UNITS: dict[str, str | None] = {
    "-1": None,
    "1": None,  # legacy "No Quantity"
    "2": "m²",
    "3": "1000 kWh",
    "4": "m",
    "5": "u",
    "6": "2u",
    "7": "l",
    "8": "kg",
    "9": "1000u",
    "10": "U (jeu/pack)",
    "11": "12u",
    "12": "m³",
    "13": "carat",
    "14": "km",
    "15": "g",
    "17": "1000 m³",
    "18": "TJ",
    "19": "BBL",
    "20": "1000 L",
    "21": "1000 KG",
    "22": "kWH",
    "23": "l alc 100%",
    "24": "head",
}
"""Comtrade quantity unit code -> WCO abbreviation (the legacy codes 1..13 agree with Comtrade Plus)."""
QTY_UNIT_NAMES: dict[str, str | None] = {
    "no quantity": None,
    "area in square meters": "m²",
    "electrical energy in thousands of kilowatt-hours": "1000 kWh",
    "length in meters": "m",
    "number of items": "u",
    "number of pairs": "2u",
    "volume in liters": "l",
    "volume in litres": "l",
    "weight in kilograms": "kg",
    "thousands of items": "1000u",
    "thousand of items": "1000u",
    "number of packages": "U (jeu/pack)",
    "dozen of items": "12u",
    "volume in cubic meters": "m³",
    "weight in carats": "carat",
}
"""Legacy unit descriptions (lower case) -> abbreviation, for files that give the words only."""
LEGACY_FLOWS = {"1": "M", "2": "X", "3": "RX", "4": "RM"}
"""Legacy Comtrade trade flow codes: 1 import, 2 export, 3 re-export, 4 re-import."""
WORLD_TEXTS = ("W00", "WLD", "WORLD", "0")
"""How Comtrade layouts write the world as a partner."""


@lru_cache(maxsize=1)
def code_to_iso3() -> dict[str, str]:
    """Comtrade numeric country code (as text) -> ISO3, for files without ISO fields (bulk files)."""
    import pycountry

    table = {str(int(c.numeric)): c.alpha_3 for c in pycountry.countries}
    table.update({str(code): iso for code, iso in COMTRADE_CODES.items()})
    return table


def iso3_to_code() -> dict[str, str]:
    """ISO3 -> the code Comtrade queries take (842 for USA, 699 for IND...), current countries only."""
    import pycountry

    reverse = {c.alpha_3: str(int(c.numeric)) for c in pycountry.countries}
    reverse.update({"USA": "842", "IND": "699", "FRA": "251", "NOR": "579", "CHE": "757", "XKX": "412"})
    return reverse
