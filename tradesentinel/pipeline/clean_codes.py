"""The code columns of a raw flow row checked once per distinct value: period, countries, flow, HS code.

Each `*_checks` function returns expressions over `v` (one distinct text) giving the parsed value(s)
and `!`, the reason it is rejected (null when valid); `lookup` evaluates them per distinct value and
aligns the result back to the rows. A file has a few thousand distinct codes at most, so this is
cheap on 10M rows.

Flows: the four canonical flows (X, M, RX, RM) and Comtrade's components of them (DX domestic
export, FM foreign import, MIP/XIP/MOP/XOP processing flows), as codes or as the words Comtrade
writes. A component maps to its canonical flow and keeps its own code in `flow_code`; its rank says
which row wins when several describe one flow (`pipeline.clean`): the total first, then DX/FM, then
the processing flows.
"""

from __future__ import annotations

from datetime import date

import polars as pl

from tradesentinel.reference import WORLD, special_partner_reasons, valid_iso3

FIRST_YEAR = 1950
FLOW_CODES: dict[str, tuple[str, int]] = {
    "X": ("X", 0),
    "M": ("M", 0),
    "RX": ("RX", 0),
    "RM": ("RM", 0),
    "DX": ("X", 1),
    "FM": ("M", 1),
    "XIP": ("X", 2),
    "MIP": ("M", 2),
    "XOP": ("X", 3),
    "MOP": ("M", 3),
}
"""Comtrade flow code -> (canonical flow, rank: 0 a total, higher a component used only without it)."""
FLOW_WORDS: dict[str, str] = {
    "EXPORT": "X",
    "EXPORTS": "X",
    "IMPORT": "M",
    "IMPORTS": "M",
    "REEXPORT": "RX",
    "REEXPORTS": "RX",
    "REIMPORT": "RM",
    "REIMPORTS": "RM",
    "DOMESTICEXPORT": "DX",
    "DOMESTICEXPORTS": "DX",
    "FOREIGNIMPORT": "FM",
    "FOREIGNIMPORTS": "FM",
    "IMPORTOFGOODSFORINWARDPROCESSING": "MIP",
    "EXPORTOFGOODSAFTERINWARDPROCESSING": "XIP",
    "IMPORTOFGOODSAFTEROUTWARDPROCESSING": "MOP",
    "EXPORTOFGOODSFOROUTWARDPROCESSING": "XOP",
}
"""Flow words (upper case, spaces, hyphens and underscores removed) and their Comtrade code."""


def _v() -> pl.Expr:
    return pl.col("v").str.strip_chars()


def _missing(name: str) -> pl.Expr:
    return pl.when(_v() == "").then(pl.lit(f"missing {name}"))


def period_checks(today: date) -> dict[str, pl.Expr]:
    """Date, freq and reason of each distinct period text: YYYY-MM, YYYYMM (Comtrade) or YYYY (annual)."""
    text = _v()
    monthly, annual = text.str.contains(r"^\d{4}-?\d{2}$"), text.str.contains(r"^\d{4}$")
    year = text.str.slice(0, 4).cast(pl.Int32, strict=False)
    month = pl.when(annual).then(1).otherwise(text.str.slice(-2).cast(pl.Int32, strict=False))
    parsed = (monthly | annual) & month.is_between(1, 12)
    when = pl.when(parsed).then(pl.date(year, month, 1))
    reason = (
        _missing("period")
        .when(~parsed)
        .then(pl.format("unparsable period '{}' (expected YYYY-MM, YYYYMM or YYYY)", text))
        .when(year < FIRST_YEAR)
        .then(pl.format(f"period '{{}}' is before {FIRST_YEAR}", text))
        .when(when > pl.lit(today.replace(day=1)))
        .then(pl.format("period '{}' is in the future", text))
    )
    return {"_period": when, "_freq": pl.when(annual).then(pl.lit("A")).otherwise(pl.lit("M")), "!": reason}


def country_checks(name: str) -> dict[str, pl.Expr]:
    """ISO3 code (upper case) and reason of each distinct country text; Comtrade areas, bunkers, free
    zones and groups get a reason that says what they are (reference.special_partner_reasons)."""
    code = _v().str.to_uppercase()
    special = code.replace_strict(special_partner_reasons(), default=None, return_dtype=pl.String)
    reason = (
        _missing(name)
        .when(~code.is_in(sorted(valid_iso3())) & special.is_not_null())
        .then(special)
        .when(~code.is_in(sorted(valid_iso3())))
        .then(pl.format("unknown country code '{}' (expected ISO 3166 alpha-3, or WLD for world)", code))
    )
    if name == "reporter":
        reason = reason.when(code == WORLD).then(pl.lit(f"{WORLD} (world) can be a partner, not a reporter"))
    return {f"_{name}": code, "!": reason}


def flow_checks() -> dict[str, pl.Expr]:
    """Canonical flow, published code, rank and reason of each distinct flow text."""
    word = _v().str.to_uppercase().str.replace_all(r"[\s_-]", "")
    code = (
        pl.when(word.is_in(list(FLOW_CODES)))
        .then(word)
        .otherwise(word.replace_strict(FLOW_WORDS, default=None, return_dtype=pl.String))
    )
    canonical = {k: v[0] for k, v in FLOW_CODES.items()}
    rank = {k: v[1] for k, v in FLOW_CODES.items()}
    reason = (
        _missing("flow")
        .when(code.is_null())
        .then(
            pl.format(
                "unknown flow code '{}' (expected X, M, RX, RM or a component DX, FM, MIP, XIP, MOP, XOP)",
                _v(),
            )
        )
    )
    return {
        "_flow": code.replace_strict(canonical, default=None, return_dtype=pl.String),
        "_flow_code": code,
        "_rank": code.replace_strict(rank, default=None, return_dtype=pl.Int8),
        "!": reason,
    }


def hs_checks() -> dict[str, pl.Expr]:
    """HS code (dots and spaces removed, leading zeros kept) and reason of each distinct text."""
    code = _v().str.replace_all(r"[.\s]", "")
    length = code.str.len_chars()
    reason = (
        _missing("hs_code")
        .when(code.str.to_uppercase() == "TOTAL")
        .then(pl.lit("all-commodity total 'TOTAL', not an HS code: query HS codes (AG2, AG4, AG6 or a list)"))
        .when(~code.str.contains(r"^\d+$"))
        .then(pl.format("HS code '{}' is not numeric", _v()))
        .when(length.is_in([1, 3, 5]))
        .then(pl.format("HS code '{}' has {} digits: a leading zero may have been dropped", _v(), length))
        .when(length > 6)
        .then(
            pl.format(
                "HS code '{}' has {} digits: national tariff lines are not supported, use HS6", _v(), length
            )
        )
    )
    return {"_hs": code, "!": reason}


def lookup(raw: pl.DataFrame, column: str, exprs: dict[str, pl.Expr]) -> pl.DataFrame:
    """`exprs` evaluated once per distinct value of `column` and aligned back to the rows of `raw`."""
    values = raw.select(pl.col(column).fill_null("").alias("v"))
    table = values.unique().with_columns(**exprs).rename({"!": f"!{column}"})
    return values.join(table, on="v", how="left", maintain_order="left").drop("v")
