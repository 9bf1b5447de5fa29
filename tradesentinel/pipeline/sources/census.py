"""US Census Bureau international trade API, HS6 by country and month (imports `I_COMMODITY`,
`GEN_VAL_MO`; exports `E_COMMODITY`, `ALL_VAL_MO`), mapped to the raw frame `clean.clean_flows` checks.

The reporter is the United States. Partners are Census country codes (Schedule C) with an English
name (`CTY_NAME`: "KOREA SOUTH", "BURMA", "CONGO (KINSHASA)"); the name gives the ISO3 code, and a
name that gives none is rejected with it. `-` ("TOTAL FOR ALL COUNTRIES") is the world (WLD).
Country groups (SUMMARY_LVL CGP, codes 0xxx and 1XXX-7XXX: EU, NAFTA, ASIA...) add up countries
already in the file, so they are left out and counted. A month with value 0 is no trade: left out
and counted. Census gives shipping weight (gross, packaging included) for goods that went by air or
vessel only: it stands for the net weight where air and vessel carry the whole value, flagged
weight_estimated; elsewhere the weight is unknown. HS edition: the HTS of that year (H5 for
2017-2021, H6 from 2022...).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import polars as pl

from tradesentinel.pipeline.sources.geo import iso3_from_name
from tradesentinel.reference import WORLD

CENSUS_NAMES: dict[str, str] = {
    "KOREA SOUTH": "KOR",
    "KOREA NORTH": "PRK",
    "CONGO (BRAZZAVILLE)": "COG",
    "CONGO (KINSHASA)": "COD",
    "FALKLAND ISLANDS (ISLAS MALVINAS)": "FLK",
    "WEST BANK ADMINISTERED BY ISRAEL": "PSE",
    "GAZA STRIP ADMINISTERED BY ISRAEL": "PSE",
    "HEARD AND MCDONALD ISLANDS": "HMD",
    "FRENCH SOUTHERN AND ANTARCTIC LANDS": "ATF",
    "PITCAIRN ISLANDS": "PCN",
    "SVALBARD, JAN MAYEN ISLAND": "SJM",
    "VATICAN CITY": "VAT",
    "ST MARTIN": "MAF",
    "ST BARTHELEMY": "BLM",
    "MACEDONIA": "MKD",
    "KOSOVO": "XKX",
    "SERBIA AND MONTENEGRO": "SCG",
    "NETHERLANDS ANTILLES": "ANT",
    "BRUNEI": "BRN",
    "MACAU": "MAC",
    "ST HELENA": "SHN",
}
"""Census country names that the general name table does not know under this spelling."""
VALUE = {"I_COMMODITY": ("M", ("GEN_VAL_MO", "CON_VAL_MO")), "E_COMMODITY": ("X", ("ALL_VAL_MO",))}
"""The commodity column of each direction: the flow and its monthly value columns, preferred first."""
HS_EDITION_SINCE = ((2022, "H6"), (2017, "H5"), (2012, "H4"), (2007, "H3"), (2002, "H2"), (1996, "H1"))


@dataclass(frozen=True)
class CensusRows:
    """The raw frame of a Census file and the counts of rows left out (country groups, zero months)."""

    frame: pl.DataFrame
    n_groups: int
    n_zero: int


def iso3_of_census_name(name: str) -> str | None:
    """ISO3 of a Census country name ("KOREA SOUTH" -> KOR, "ST LUCIA" -> LCA), or None."""
    text = " ".join(name.upper().split())
    if text in CENSUS_NAMES:
        return CENSUS_NAMES[text]
    return iso3_from_name(re.sub(r"^ST ", "SAINT ", text)) or iso3_from_name(text)


def _hs_version(year: pl.Expr) -> pl.Expr:
    version = pl.when(year >= HS_EDITION_SINCE[0][0]).then(pl.lit(HS_EDITION_SINCE[0][1]))
    for since, code in HS_EDITION_SINCE[1:]:
        version = version.when(year >= since).then(pl.lit(code))
    return version.otherwise(pl.lit("H0"))


def _number(column: str, columns: list[str]) -> pl.Expr:
    if column not in columns:
        return pl.lit(None, pl.Float64)
    return pl.col(column).str.strip_chars().cast(pl.Float64, strict=False)


def raw_flows(frame: pl.DataFrame) -> CensusRows:
    """The raw rows of a Census file (all-string `frame` with its own upper-case names and `_row`)."""
    columns = frame.columns
    commodity = next(c for c in VALUE if c in columns)
    flow, value_columns = VALUE[commodity]
    value_column = next(c for c in value_columns if c in columns)
    code = pl.col("CTY_CODE").str.strip_chars()
    group = code.str.contains(r"^0|X")
    if "SUMMARY_LVL" in columns:
        group = group | (pl.col("SUMMARY_LVL").str.strip_chars() == "CGP")
    groups = frame.filter(group)
    frame = frame.filter(~group)
    value = _number(value_column, columns)
    zero = frame.filter(value == 0).height
    frame = frame.filter((value != 0) | value.is_null())
    names = frame["CTY_NAME"].unique().to_list()
    table = {n: iso3_of_census_name(n) for n in names if n}
    partner = (
        pl.when(code == "-")
        .then(pl.lit(WORLD))
        .otherwise(pl.col("CTY_NAME").replace_strict(table, default=None, return_dtype=pl.String))
    )
    air_sea = _number("AIR_VAL_MO", columns) + _number("VES_VAL_MO", columns)
    shipped = _number("AIR_WGT_MO", columns) + _number("VES_WGT_MO", columns)
    covered = (air_sea >= value) & (shipped > 0)
    year = pl.col("YEAR").str.strip_chars()
    raw = frame.select(
        "_row",
        pl.concat_str(year, pl.col("MONTH").str.strip_chars().str.zfill(2)).alias("period"),
        pl.lit("USA").alias("reporter"),
        partner.fill_null(code).alias("partner"),
        pl.lit(flow).alias("flow"),
        pl.col(commodity).str.strip_chars().alias("hs_code"),
        pl.col(value_column).str.strip_chars().alias("value_usd"),
        pl.when(covered).then(shipped.cast(pl.String)).otherwise(pl.lit("")).alias("net_weight_kg"),
        pl.when(covered).then(pl.lit("true")).alias("weight_estimated"),
        _hs_version(year.cast(pl.Int32, strict=False)).alias("hs_version"),
        pl.when(partner.is_null())
        .then(pl.format("Census country '{}' (code {}) has no ISO 3166 code", "CTY_NAME", code))
        .alias("reject"),
    )
    return CensusRows(frame=raw, n_groups=groups.height, n_zero=zero)
