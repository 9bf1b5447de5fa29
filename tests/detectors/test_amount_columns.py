"""Amounts written for a whole column (amount_columns.py) read exactly as `amount_words` writes each one."""

from __future__ import annotations

import math

import numpy as np
import polars as pl
import pytest

from tradesentinel.detectors.amount_columns import (
    amount_words_series,
    fixed_series,
    general_series,
    repr_series,
    significant_series,
)
from tradesentinel.detectors.base import UNITS, amount_words, significant

SPECIAL = [0.0, -0.0, math.inf, -math.inf, math.nan, None]


def sample(seed: int, n: int = 3000) -> list[float | None]:
    """`n` random values over magnitudes 1e-7..1e12 of both signs, plus halves and other exact ties,
    neighbours of powers of ten, quotients that polars' literal division rounds the other way, and
    zero, -0.0, inf, NaN and null."""
    rng = np.random.default_rng(seed)
    random = 10 ** rng.uniform(-7, 12, n) * rng.choice([-1.0, 1.0], n)
    ties = [k / 8 for k in range(-80, 80)] + [k + 0.5 for k in range(-20, 20)] + [2.675, 0.0125, 1e12 + 0.5]
    near = [float(np.nextafter(10.0**k, to)) for k in range(-7, 13) for to in (0.0, math.inf)]
    near += [10.0**k * f for k in range(-7, 13) for f in (1.0, 0.9995, 9.995, 99.95, 999.5, 0.99999995)]
    quotients = [912_550.0, 238_450.0, 99_950_000.0, 1_234_550_000.0]
    return [*map(float, random), *ties, *near, *quotients, *SPECIAL]


def column(values: list[float | None]) -> pl.Series:
    return pl.Series(values, dtype=pl.Float64)


@pytest.mark.parametrize("unit", [*UNITS, "count per month", None])
def test_amount_words_of_a_column_are_amount_words_of_each_value(unit: str | None) -> None:
    values = sample(seed=len(str(unit)))
    if unit == "log":  # Python's math.exp overflows from 709.8; inf and -inf stay in (x inf, x0)
        values = [*np.random.default_rng(3).uniform(-60.0, 60.0, 3000).tolist(), *SPECIAL]
    units = pl.Series([unit] * len(values), dtype=pl.String)
    assert amount_words_series(column(values), units).to_list() == [amount_words(v, unit) for v in values]


def test_one_column_may_mix_units() -> None:
    values = sample(seed=11, n=2000)
    units = [UNITS[i % len(UNITS)] for i in range(len(values))]
    values = [
        min(max(v, -60.0), 60.0) if u == "log" and v is not None else v
        for v, u in zip(values, units, strict=True)
    ]
    written = amount_words_series(column(values), pl.Series(units)).to_list()
    assert written == [amount_words(v, u) for v, u in zip(values, units, strict=True)]


@pytest.mark.parametrize(
    ("write", "python"),
    [
        (significant_series, significant),
        (lambda s: fixed_series(s, 0), lambda v: f"{v:.0f}"),
        (lambda s: fixed_series(s, 2), lambda v: f"{v:.2f}"),
        (lambda s: fixed_series(s, 3), lambda v: f"{v:.3f}"),
        (lambda s: fixed_series(s, 1, plus=True), lambda v: f"{v:+.1f}"),
        (lambda s: fixed_series(s, 0, thousands=True), lambda v: f"{v:,.0f}"),
        (general_series, lambda v: f"{v:g}"),
        (repr_series, repr),
    ],
    ids=["significant", ".0f", ".2f", ".3f", "+.1f", ",.0f", "g", "repr"],
)
def test_each_format_rounds_the_binary_value_half_to_even_as_python(write, python) -> None:
    values = [v for v in sample(seed=5) if v is not None]
    assert write(column(values)).to_list() == [python(v) for v in values]


def test_ties_and_literal_quotients_round_as_python() -> None:
    """0.125 is exact and rounds to even; 2.675 is just below its decimal; 912550 / 1e3 is 912.55, which
    polars' product with the reciprocal of a literal would make 912.5500000000001."""
    assert fixed_series(column([0.125, 0.375, 2.675, -0.04]), 2).to_list() == [
        "0.12",
        "0.38",
        "2.67",
        "-0.04",
    ]
    assert amount_words_series(column([912_550.0, 99_950_000.0]), "USD").to_list() == [
        "USD 912.5 thousand",
        "USD 100.0 million",
    ]


def test_a_value_beyond_the_exact_range_is_written_as_its_shortest_repr() -> None:
    """Python writes every binary digit of 1e40 ("10000000000000000303786028427003666890752 kg"); the
    column writer, exact below about 1e36, writes polars' shortest repr there instead."""
    assert amount_words_series(column([1e40]), "kg").to_list() == ["1e+40 kg"]
    assert amount_words_series(column([1e30]), "kg").to_list() == [amount_words(1e30, "kg")]
