"""The Detector contract (scikit-learn/PyOD style) and the reason records every detector explains with.

`fit(features) -> self`, `score(features) -> np.ndarray` (one value per row, higher = more
anomalous, comparable across rows of one table), `explain(features, rows) -> reasons per row`.
Constructors only store parameters; nothing is loaded or computed before `fit`; fitted state
ends in `_`; scoring before fitting raises `DetectorNotFittedError`. `BaseDetector` does the
shared work once (checks, empty tables, NaN, reason lists), so a detector writes only `_fit`,
`_score` and `_reasons`, and one contract test (tests/detectors/test_contract.py) runs over every
registered detector.
"""

from __future__ import annotations

import calendar
import inspect
import math
import weakref
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, ClassVar, Protocol, Self, runtime_checkable

import numpy as np
import polars as pl

from tradesentinel.detectors.signals import Signal
from tradesentinel.errors import InvalidArgumentError, TradeSentinelError

UNITS = ("USD", "USD/kg", "kg", "share", "count", "z", "log", "flag", "month", "year", "code")
"""What a reason's observed and expected are in: money, unit price, weight, a share, a count, a robust
z-score, a log ratio (growth, gap), a yes/no flag as 0/1, a calendar month or year, or a category
code (observed is then None and the label names the value)."""


def significant(value: float, digits: int = 3) -> str:
    """`value` to `digits` significant figures as a reader writes it, never in scientific notation:
    "0.979", "12.3", "1,240" (a large one with thousands separators), "0.0000495" (a tiny one)."""
    if value == 0 or not math.isfinite(value):
        return f"{value:g}"
    exponent = math.floor(math.log10(abs(value)))
    if exponent >= digits - 1:
        return f"{round(value, digits - 1 - exponent):,.0f}"
    text = f"{value:.{digits - 1 - exponent}f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


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
        "USD/kg": lambda v: f"USD {significant(v)}/kg",
        "kg": lambda v: f"{v:,.0f} kg",
        "share": lambda v: f"{v:.1%}",
        "z": lambda v: f"z {v:+.1f}",
        "log": lambda v: f"x{significant(math.exp(v))}",
        "flag": lambda v: "yes" if v else "no",
        "month": lambda v: calendar.month_name[int(v)] if 1 <= v <= 12 else f"month {v:g}",
        "year": lambda v: f"{v:.0f}",
    }
    return words[unit](value) if unit in words else significant(value)


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


REASON_FIELDS: dict[str, pl.DataType] = dict(REASON_DTYPE.inner.to_schema())  # type: ignore[union-attr]
"""The fields of one reason, in order (the struct of REASON_DTYPE)."""
REASON_FRAME: dict[str, pl.DataType] = {"row": pl.Int64(), **REASON_FIELDS}
"""Reasons as a long table, one row per reason: `row` is the features row it explains. Detectors
build it with polars expressions, so explaining 5% of a 1.5M-row table needs no loop per row."""


class DetectorNotFittedError(TradeSentinelError):
    """A detector was asked to score or explain before it was fitted (or loaded)."""

    http_status = 409

    def __init__(self, name: str):
        super().__init__(
            f"the {name} detector is not fitted",
            hint="call fit(features) (or load a saved detector) before score() or explain()",
        )


class DetectorSkipped(TradeSentinelError):
    """A detector has nothing to learn from this table (too few rows, no weights, no monthly
    series...): the scoring run leaves it out and records why, instead of failing."""

    http_status = 422

    def __init__(self, name: str, reason: str):
        self.detector, self.reason = name, reason
        super().__init__(f"detector {name} skipped: {reason}")


def empty_reasons() -> pl.DataFrame:
    """A reason frame with no rows (REASON_FRAME schema)."""
    return pl.DataFrame(schema=REASON_FRAME)


def conform_reasons(frame: pl.DataFrame) -> pl.DataFrame:
    """`frame` cast to REASON_FRAME, columns in order (a missing one is an error: a detector bug)."""
    return frame.select([pl.col(c).cast(t) for c, t in REASON_FRAME.items()])


class BaseDetector(ABC):
    """What every detector shares: parameters, fitted checks, the score and reason contracts.

    Subclasses store their keyword arguments in `__init__` and nothing else, validate them in
    `_validate` (called by `fit`), set fitted state ending in `_` in `_fit`, and return one
    number per row from `_score` and a REASON_FRAME from `_reasons`. Scores point one way:
    higher is more anomalous."""

    name: ClassVar[str] = "detector"
    family: ClassVar[str] = "value"
    """What the detector answers: detectors of one family are redundant estimates of one question
    (the ensemble calibrates and combines them knowing that)."""
    calibrated: ClassVar[bool] = False
    """Its score is already a surprisal (-log10 of a tail probability it computed on the table);
    the ensemble then reads p = 10^-score instead of calibrating the score itself."""
    fits_locally: ClassVar[bool] = False
    """Everything it learns lies within one HS code: on a cluster it is fitted on each HS partition
    (instead of once on a sample)."""
    corroborates: ClassVar[bool] = False
    """A model whose evidence only sharpens its family's calibrated tests (the ensemble averages such
    models and lets them at most double a test's evidence); False for a test that stands alone."""
    witness: ClassVar[bool] = False
    """A corroborator that is a second measurement of the same trade rather than a model of it (the
    partner's report): the ensemble counts it on its own, not in the models' median."""
    weighs: ClassVar[str] = ""
    """The family whose test, when it runs, makes this detector a prior rather than a test: its score
    in 0..1 says how much a flow matters (sanctions exposure, beside the diversion patterns), and the
    ensemble divides the tests' combined p by a weight made from it (weighted p-values) instead of
    letting it claim a share of the budget alone. Without that family it is a test like any other."""

    # parameters -------------------------------------------------------------------------
    @classmethod
    def _param_names(cls) -> list[str]:
        signature = inspect.signature(cls.__init__)
        return [p.name for p in signature.parameters.values() if p.name != "self" and p.kind != p.VAR_KEYWORD]

    def get_params(self) -> dict[str, Any]:
        """The constructor parameters, as stored (scikit-learn's get_params, without nesting)."""
        return {name: getattr(self, name) for name in self._param_names()}

    def set_params(self, **params: Any) -> Self:
        """Change constructor parameters (an unknown name is an error), as scikit-learn's set_params."""
        unknown = sorted(set(params) - set(self._param_names()))
        if unknown:
            raise InvalidArgumentError("params", f"{self.name} has no parameter(s) {', '.join(unknown)}")
        for key, value in params.items():
            setattr(self, key, value)
        return self

    def __repr__(self) -> str:
        params = ", ".join(
            f"{k}={v!r}" for k, v in self.get_params().items() if not isinstance(v, pl.DataFrame)
        )
        return f"{type(self).__name__}({params})"

    def _validate(self) -> None:
        """Check the parameters (InvalidArgumentError naming the bad one); called by fit. The base
        class has none to check."""
        return

    # fitted state -----------------------------------------------------------------------
    @property
    def is_fitted(self) -> bool:
        """Whether fit (or load) has run: some attribute ending in `_` is set."""
        return any(k.endswith("_") and not k.startswith("__") for k in vars(self))

    def check_fitted(self) -> None:
        """Raise DetectorNotFittedError unless fitted."""
        if not self.is_fitted:
            raise DetectorNotFittedError(self.name)

    # the contract -----------------------------------------------------------------------
    def fit(self, features: pl.DataFrame) -> Self:
        """Learn what normal looks like from `features` (labels are never used); returns self.
        Raises DetectorSkipped when the table gives this detector nothing to learn from."""
        self._validate()
        if features.height == 0:
            raise DetectorSkipped(self.name, "the table has no rows")
        self._fit(features)
        self.n_fitted_ = features.height
        return self

    def score(self, features: pl.DataFrame) -> np.ndarray:
        """One finite score per row of `features`, higher = more anomalous (0 where it cannot tell)."""
        self.check_fitted()
        if features.height == 0:
            return np.zeros(0)
        scores = np.asarray(self._score(features), dtype=np.float64)
        if scores.shape != (features.height,):
            raise RuntimeError(f"{self.name}: {scores.shape} scores for {features.height} rows")
        return np.nan_to_num(scores, nan=0.0, posinf=np.finfo(np.float64).max, neginf=0.0)

    def reason_frame(self, features: pl.DataFrame, rows: np.ndarray) -> pl.DataFrame:
        """The reasons behind the scores of `rows` (features row indices) as a REASON_FRAME, each
        row's reasons strongest first."""
        self.check_fitted()
        rows = np.unique(np.asarray(rows, dtype=np.int64))
        if len(rows) == 0:
            return empty_reasons()
        frame = conform_reasons(self._reasons(features, rows))
        return frame.sort(
            ["row", "magnitude"], descending=[False, True], nulls_last=True, maintain_order=True
        )

    def explain(self, features: pl.DataFrame, rows: np.ndarray) -> list[list[Reason]]:
        """For each row index in `rows` (in that order), its reasons strongest first."""
        rows = np.asarray(rows, dtype=np.int64)
        by_row: dict[int, list[Reason]] = {int(r): [] for r in rows}
        for record in self.reason_frame(features, rows).iter_rows(named=True):
            by_row[record.pop("row")].append(Reason(**record))
        return [by_row[int(r)] for r in rows]

    @abstractmethod
    def _fit(self, features: pl.DataFrame) -> None:
        """Set the fitted state (attributes ending in `_`)."""

    @abstractmethod
    def _score(self, features: pl.DataFrame) -> np.ndarray:
        """Raw scores, one per row (NaN allowed: read as 0)."""

    @abstractmethod
    def _reasons(self, features: pl.DataFrame, rows: np.ndarray) -> pl.DataFrame:
        """Reasons of `rows` (sorted, unique features row indices) as a frame with REASON_FRAME columns."""

    def remembered(self, features: pl.DataFrame, compute: Callable[[pl.DataFrame], Any]) -> Any:
        """`compute(features)`, kept for the same table object (by a weak reference): scoring a
        table and then explaining its rows derives the per-row work once. Not fitted state: never
        saved, dropped when the table goes."""
        cached = self.__dict__.get("_memo")
        if cached is not None and cached[0]() is features:
            return cached[1]
        value = compute(features)
        self.__dict__["_memo"] = (weakref.ref(features), value)
        return value

    def __getstate__(self) -> dict[str, Any]:
        state = dict(self.__dict__)
        state.pop("_memo", None)
        return state

    # persistence ------------------------------------------------------------------------
    def save(self, path: Path) -> Path:
        """Write the fitted detector to `path` (joblib; detectors with their own format override)."""
        import joblib

        self.check_fitted()
        joblib.dump(self, path)
        return path

    @classmethod
    def load(cls, path: Path) -> Self:
        """A fitted detector from `save`'s file."""
        import joblib

        detector = joblib.load(path)
        if not isinstance(detector, cls):
            raise TypeError(f"{path} holds a {type(detector).__name__}, not a {cls.__name__}")
        return detector


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
