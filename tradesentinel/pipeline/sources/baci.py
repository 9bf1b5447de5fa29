"""CEPII BACI (`t, i, j, k, v, q`): reconciled bilateral trade, one row per exporter, importer, HS6
product and year, mapped to the raw frame `clean.clean_flows` checks.

Units: v is in thousand US dollars and q in metric tonnes, so value_usd = v * 1000 and
net_weight_kg = q * 1000 (q is often NA, and padded with spaces). i and j are BACI's country codes,
which are Comtrade's numeric codes (`comtrade_codes`); k is an HS6 code written as a number, so its
leading zero is restored (10121 is 010121); 711 (SACU before 2000) is South Africa as in CEPII's
own country file, and 490 "Other Asia, nes" is quarantined like Comtrade's (CEPII's older country
files call it Taiwan; we do not guess). BACI reconciles each exporter's and importer's reports
into one figure, so each row becomes the exporter's export (reporter i, partner j, flow X) of year t
(freq A). The HS edition is BACI's release (BACI_HS92_... is HS 1992, H0), read from the file name
or given by the user.
"""

from __future__ import annotations

import re

import polars as pl

from tradesentinel.pipeline.sources.comtrade_codes import code_to_iso3
from tradesentinel.reference import hs_version_code

COLUMNS = ("t", "i", "j", "k", "v")
BACI_CODES = {"711": "ZAF"}
"""Where CEPII's own country concordance differs from Comtrade's: 711, the Southern African Customs
Union before 2000, is South Africa's reported trade in BACI (Comtrade: an area, quarantined)."""


def hs_version_from_name(name: str) -> str | None:
    """The HS edition a BACI file name states (BACI_HS92_Y2021_V202301.csv -> H0), or None."""
    found = re.search(r"(?i)hs(92|96|02|07|12|17|22)(?!\d)", name)
    return hs_version_code(f"HS{found.group(1)}") if found else None


def _country(column: str) -> pl.Expr:
    code = pl.col(column).str.strip_chars().str.replace(r"\.0+$", "")
    return code.replace_strict({**code_to_iso3(), **BACI_CODES}, default=code, return_dtype=pl.String)


def _thousand(column: str) -> pl.Expr:
    """A column in thousands (USD or kg per tonne) times 1000, as text; empty or NA is empty."""
    text = pl.col(column).str.strip_chars()
    number = text.cast(pl.Float64, strict=False)
    thousands = (number * 1000).round(3).cast(pl.String)
    return pl.when(number.is_not_null()).then(thousands).when(text == "NA").then(pl.lit("")).otherwise(text)


def raw_flows(frame: pl.DataFrame) -> pl.DataFrame:
    """The raw frame of BACI rows (all-string `frame` with folded names and `_row`)."""
    k = pl.col("k").str.strip_chars().str.replace(r"\.0+$", "")
    hs = pl.when(k.str.contains(r"^\d{1,6}$")).then(k.str.zfill(6)).otherwise(k)
    q = pl.col("q") if "q" in frame.columns else pl.lit("")
    return frame.select(
        "_row",
        pl.col("t").str.strip_chars().str.replace(r"\.0+$", "").alias("period"),
        _country("i").alias("reporter"),
        _country("j").alias("partner"),
        pl.lit("X").alias("flow"),
        hs.alias("hs_code"),
        _thousand("v").alias("value_usd"),
        _thousand("q").alias("net_weight_kg") if "q" in frame.columns else q.alias("net_weight_kg"),
    )
