"""The Detector contract (scikit-learn/PyOD style) and the reason records every detector explains with.

`fit(features) -> self`, `score(features) -> np.ndarray` (one value per row, higher = more
anomalous, comparable across rows of one table), `explain(features, rows) -> reasons per row`.
Constructors only store parameters; nothing is loaded or computed before `fit`.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Protocol, Self, runtime_checkable

import numpy as np
import polars as pl


@dataclass(frozen=True)
class Reason:
    """Why a row scored high: which detector, on which feature, observed vs expected, how strongly."""

    detector: str
    feature: str
    observed: float | None
    expected: float | None
    magnitude: float

    def as_dict(self) -> dict[str, object]:
        """Plain dict, as stored in the scores table's `reasons` column."""
        return asdict(self)


REASON_DTYPE = pl.List(
    pl.Struct(
        {
            "detector": pl.String,
            "feature": pl.String,
            "observed": pl.Float64,
            "expected": pl.Float64,
            "magnitude": pl.Float64,
        }
    )
)


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
