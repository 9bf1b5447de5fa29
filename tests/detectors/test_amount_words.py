"""A reason's amounts as a reader scans them: three significant figures, never scientific notation."""

from __future__ import annotations

import math

import pytest

from tradesentinel.detectors.base import amount_words, significant


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (0.979, "0.979"),
        (12.345, "12.3"),
        (36.02, "36"),
        (1240.6, "1,240"),
        (156_000.0, "156,000"),
        (-34_560_000.0, "-34,600,000"),
        (4.95e-05, "0.0000495"),
        (0.0, "0"),
    ],
)
def test_significant_figures_without_an_exponent(value: float, text: str) -> None:
    assert significant(value) == text


def test_large_and_tiny_multiples_and_unit_values_read_plainly() -> None:
    """Real mirror gaps and year-on-year jumps reach x2,660 and x0.0000495: they were x2.66e+03."""
    assert amount_words(math.log(2660.0), "log") == "x2,660"
    assert amount_words(math.log(4.95e-05), "log") == "x0.0000495"
    assert amount_words(12_345.6, "USD/kg") == "USD 12,300/kg"
    assert amount_words(3.2, "USD/kg") == "USD 3.2/kg"
    assert amount_words(1_234_567.0, "count") == "1,230,000"
    for value in (1e-9, 1e-5, 0.5, 7.0, 1e4, 1e12):
        for unit in ("log", "USD/kg", "USD", "count"):
            words = amount_words(math.log(value) if unit == "log" else value, unit)
            assert "e+" not in words and "e-" not in words, words
