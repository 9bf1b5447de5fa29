"""Polars expressions the evidence document builders share: lookups, HS and country words, polars only.

They let `documents.py` build every row's text in one pass instead of a Python loop per row.
"""

from __future__ import annotations

import polars as pl

from tradesentinel.reference import country_name


def _lookup(expr: pl.Expr, mapping: dict[str, str]) -> pl.Expr:
    """`mapping[value]` for each value of `expr`, null where the value is not a key."""
    return expr.replace_strict(mapping, default=None, return_dtype=pl.String)


def hs_words_expr(code: pl.Expr, descriptions: dict[str, str]) -> pl.Expr:
    """`_hs_words` as a polars expression: 'HS 854231 (desc), heading 8542 (desc), chapter 85 (desc)'."""
    own = pl.concat_str(
        pl.lit("HS "), code, pl.lit(" (") + _lookup(code, descriptions) + pl.lit(")"), ignore_nulls=True
    )
    parents = []
    for size, word in ((4, "heading"), (2, "chapter")):
        head = code.str.slice(0, size)
        parents.append(
            pl.when(code.str.len_chars() > size).then(
                pl.lit(f", {word} ") + head + pl.lit(" (") + _lookup(head, descriptions) + pl.lit(")")
            )
        )
    return (
        pl.when(code.fill_null("") == "")
        .then(pl.lit("HS code unknown"))
        .otherwise(pl.concat_str(own, *parents, ignore_nulls=True))
    )


def country_words(countries: pl.Expr, names: dict[str, str]) -> pl.Expr:
    """'Kazakhstan (KAZ), Russia (RUS)' for a list column of ISO3 codes."""
    return countries.list.eval(
        _lookup(pl.element(), names).fill_null(pl.element()) + pl.lit(" (") + pl.element() + pl.lit(")")
    ).list.join(", ")


def names_of(countries: pl.Series) -> dict[str, str]:
    """Country names for every code in a list column (one lookup per distinct code, not per row)."""
    return {c: country_name(c) for c in countries.explode().drop_nulls().unique().to_list()}


def present(column: str) -> pl.Expr:
    """A list column that is neither null nor empty."""
    return pl.col(column).list.len().fill_null(0) > 0
