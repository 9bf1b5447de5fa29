"""The Detector contract (scikit-learn/PyOD style) and the reason records every detector explains with.

`fit(features) -> self`, `score(features) -> np.ndarray` (one value per row, higher = more
anomalous, comparable across rows of one table), `explain(features, rows) -> reasons per row`.
Constructors only store parameters; nothing is loaded or computed before `fit`.
"""

from __future__ import annotations

import calendar
import math
from dataclasses import asdict, dataclass
from typing import Protocol, Self, runtime_checkable

import numpy as np
import polars as pl

from tradesentinel.detectors.signals import Signal

UNITS = ("USD", "USD/kg", "kg", "share", "count", "z", "log", "flag", "month", "year", "code")
"""What a reason's observed and expected are in: money, unit price, weight, a share, a count, a robust
z-score, a log ratio (growth, gap), a yes/no flag as 0/1, a calendar month or year, or a category
code (observed is then None and the label names the value)."""


def amount_words(value: float | None, unit: str) -> str:
    """A reason's observed or expected value as a reader scans it: "USD 12.3 million", "USD 4.1/kg",
    "x5.2" (a log ratio as a multiple), "12.5%" (a share), "yes" (a flag); "n/a" when missing."""
    if value is None or math.isnan(value):
        return "n/a"
    if unit == "USD":
        for size, word in ((1e9, "billion"), (1e6, "million"), (1e3, "thousand")):
            if abs(value) >= size:
                return f"USD {value / size:.1f} {word}"
        return f"USD {value:.0f}"
    words = {
        "USD/kg": lambda v: f"USD {v:.3g}/kg",
        "kg": lambda v: f"{v:,.0f} kg",
        "share": lambda v: f"{v:.1%}",
        "z": lambda v: f"z {v:+.1f}",
        "log": lambda v: f"x{math.exp(v):.3g}",
        "flag": lambda v: "yes" if v else "no",
        "month": lambda v: calendar.month_name[int(v)] if 1 <= v <= 12 else f"month {v:g}",
        "year": lambda v: f"{v:.0f}",
    }
    return words[unit](value) if unit in words else f"{value:,.3g}"


@dataclass(frozen=True, kw_only=True)
class Reason:
    """Why a row scored high: which detector saw what (`signal`, `label`), on which feature column,
    observed vs expected (in `unit`), against what reference (`comparison`), and how strongly."""

    detector: str
    signal: Signal
    label: str  # human words for what was compared, e.g. "value vs the same month last year"
    feature: str  # the feature column it rests on, e.g. "growth_yoy", "unit_value", "mirror_gap"
    observed: float | None
    expected: float | None
    unit: str
    comparison: str  # the reference in words, e.g. "vs the same month of 2022"
    magnitude: float

    def __post_init__(self) -> None:
        object.__setattr__(self, "signal", Signal(self.signal))  # a bad signal is a bug: ValueError
        if self.unit not in UNITS:
            raise ValueError(f"reason unit {self.unit!r} is not one of {', '.join(UNITS)}")

    def as_dict(self) -> dict[str, object]:
        """Plain dict, as stored in the scores table's `reasons` column (the signal as its value)."""
        return {**asdict(self), "signal": self.signal.value}


REASON_DTYPE = pl.List(
    pl.Struct(
        {
            "detector": pl.String,
            "signal": pl.String,
            "label": pl.String,
            "feature": pl.String,
            "observed": pl.Float64,
            "expected": pl.Float64,
            "unit": pl.String,
            "comparison": pl.String,
            "magnitude": pl.Float64,
        }
    )
)
"""The scores table's `reasons` column: a list of Reason.as_dict() structs, strongest first."""


@runtime_checkable
class Detector(Protocol):
    """Anything that can be fitted on a feature table and score its rows."""

    name: str

    def fit(self, features: pl.DataFrame) -> Self:
        """Learn what normal looks like from `features` (labels are never used)."""
        ...

    def score(self, features: pl.DataFrame) -> np.ndarray:
        """One anomaly score per row of `features`, higher = more anomalous; NaN never returned."""
        ...

    def explain(self, features: pl.DataFrame, rows: np.ndarray) -> list[list[Reason]]:
        """For each row index in `rows`, the reasons behind its score, strongest first."""
        ...
