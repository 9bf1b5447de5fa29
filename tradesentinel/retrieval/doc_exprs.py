"""Polars expressions the evidence document builders share: lookups, HS and country words, and JSON written
as json.dumps writes it (`extra`), polars only.

They let `documents.py` build every row's text in one pass instead of a Python loop per row.
"""

from __future__ import annotations

import json

import polars as pl

from tradesentinel.detectors.amount_columns import repr_series
from tradesentinel.reference import country_name

JSON_ESCAPED = r'[\\"]|[^ -~]'
"""The characters json.dumps escapes (ensure_ascii): quote, backslash, control and non-ASCII characters."""


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


def country_name_expr(code: pl.Expr, names: dict[str, str]) -> pl.Expr:
    """A country's name for each ISO3 code of `code` (`names` from `names_of`), the code where unknown."""
    return _lookup(code, names).fill_null(code)


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


def json_escapes(texts: list[pl.Series]) -> dict[str, str]:
    """json.dumps' escape of every character of `texts` it escapes ('"' -> '\\"', 'é' -> '\\u00e9'):
    one entry per distinct character, so that `json_text` escapes a whole column in one pass."""
    found = pl.concat([t.cast(pl.String) for t in texts]).str.extract_all(JSON_ESCAPED).explode()
    return {c: json.dumps(c)[1:-1] for c in found.drop_nulls().unique().to_list()}


def json_text(text: pl.Expr, escapes: dict[str, str]) -> pl.Expr:
    """A String column as json.dumps writes each value: quoted and escaped (`json_escapes`), null as null."""
    escaped = text.str.replace_many(escapes) if escapes else text
    return pl.when(text.is_null()).then(pl.lit("null")).otherwise(pl.lit('"') + escaped + pl.lit('"'))


def json_number(numbers: pl.Series) -> pl.Series:
    """Each number as json.dumps writes it: an int as its digits, a float as its repr, NaN, Infinity,
    -Infinity; null as null."""
    if not numbers.dtype.is_float():
        return numbers.cast(pl.String).fill_null("null")
    x = pl.col("x")
    frame = pl.DataFrame({"x": numbers, "repr": repr_series(numbers)})
    special = pl.when(x.is_nan()).then(pl.lit("NaN")).when(x == float("inf")).then(pl.lit("Infinity"))
    written = special.when(x == float("-inf")).then(pl.lit("-Infinity")).otherwise(pl.col("repr"))
    return frame.select(written.fill_null("null").alias(numbers.name))[numbers.name]


def json_object(fields: dict[str, pl.Expr]) -> pl.Expr:
    """A JSON object as json.dumps writes it, '{"key": value, ...}', from values already written as JSON."""
    parts: list[pl.Expr] = []
    for i, (key, value) in enumerate(fields.items()):
        parts += [pl.lit(("{" if i == 0 else ", ") + json.dumps(key) + ": "), value]
    return pl.concat_str([*parts, pl.lit("}")])
