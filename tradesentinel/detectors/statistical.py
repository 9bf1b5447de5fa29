"""The statistical detector: how far each flow is from its own series, in that series' own noise
(detectors.series_signals), each signal calibrated to a tail probability over the table
(detectors.calibration), the strongest one the flow's score.

Signals by frequency: monthly rows are judged on their level (vs the months 7-18 before), a run of
three months away from it, their unit value's level and the gap to the partner's mirror report;
annual rows on their value and unit value vs the years around them (a year's level moves with
long trends that a fixed past window mistakes for shifts; where the years around have no unit
value, the years before stand in) and the mirror gap. A signal judged against the periods around
a row is calibrated apart by how many of them the row has on its sparser side
(`calibration_cells`): a series' edge years, compared with one side only, have a wider null of
their own. Falls in trade that are expected are discounted (by `expected_fall`, to nothing by
default): trade with a country under a sanctions programme after it began, and a series' first or
last period (a corridor opening or closing within it).
Score = -log10 of the smallest tail probability (surprisal).
"""

from __future__ import annotations

import numpy as np
import polars as pl

from tradesentinel.detectors.base import BaseDetector
from tradesentinel.detectors.calibration import TailModel, surprisal
from tradesentinel.detectors.exposure import Exposure, build_exposure, sanctioned_relation
from tradesentinel.detectors.series_signals import LOCAL, SERIES, Horizon, frequencies, series_signals
from tradesentinel.detectors.statistical_reasons import signal_reasons
from tradesentinel.errors import InvalidArgumentError

MAD_SCALE = 1.4826
SIGNALS_BY_FREQ = {"M": ("level", "run", "unit_level", "mirror"), "A": ("local", "unit_local", "mirror")}
"""The signals a row of each frequency is scored on."""
VALUE_SIGNALS = ("level", "local", "run")
STAND_IN = {"A": {"unit_level": "unit_local"}}
"""Per frequency, a signal scored only where another cannot be computed: an annual year whose
neighbouring years have no weight (so no unit value) is judged against the years before it."""
EXPECTED_FALL = 0.0
REASON_SURPRISAL = 2.0  # signals at least this surprising (p <= 0.01) give reasons

__all__ = ["MAD_SCALE", "SERIES", "StatisticalDetector", "calibration_cells", "robust_scale"]


def robust_scale(values: np.ndarray, floor: float = 1e-6) -> tuple[float, float]:
    """(median, 1.4826 * MAD) of the finite values, the scale floored so it never divides by zero."""
    finite = values[np.isfinite(values)]
    if finite.size == 0:
        return 0.0, 1.0
    center = float(np.median(finite))
    return center, max(float(np.median(np.abs(finite - center))) * MAD_SCALE, floor)


def scored_signals() -> tuple[str, ...]:
    """Every signal some frequency is scored on, in a stable order."""
    return tuple(dict.fromkeys(s for signals in SIGNALS_BY_FREQ.values() for s in signals))


def calibration_cells() -> tuple[str, ...]:
    """Every null the detector fits, in a stable order: one per scored signal, and for a signal
    judged against the periods around a row (series_signals.LOCAL) one more per lesser support,
    `<signal>@<k>` (k of them on the sparser side; "local@0": a series' first or last year, whose
    neighbours all lie on one side). Such rows' departures run wider, since a long trend moves all
    their neighbours the same way; sharing one null with the inner rows, they took its tail and
    the inner rows' anomalies were judged against it."""
    return tuple(
        cell for name in scored_signals() for cell in (name, *(f"{name}@{k}" for k in _lesser_supports(name)))
    )


def _lesser_supports(name: str) -> range:
    """The supports short of a full window that have a cell of their own (none outside LOCAL)."""
    if name not in LOCAL:
        return range(0)
    return range(max(Horizon.of(f).near for f, names in SIGNALS_BY_FREQ.items() if name in names))


def _signal_of(cell: str) -> str:
    return cell.split("@", 1)[0]


class StatisticalDetector(BaseDetector):
    """Per-series robust signals, calibrated per signal, the most surprising one wins (see the
    module docstring). `exposure`: whose trade is expected to fall (None: the shipped programme
    list); `expected_fall`: the factor such falls are discounted by."""

    name = "statistical"
    family = "value"

    def __init__(self, exposure: Exposure | None = None, *, expected_fall: float = EXPECTED_FALL) -> None:
        self.exposure = exposure
        self.expected_fall = expected_fall

    def _validate(self) -> None:
        if not 0.0 <= self.expected_fall <= 1.0:
            raise InvalidArgumentError("expected_fall", f"must be in [0, 1], got {self.expected_fall}")

    def magnitudes(
        self, features: pl.DataFrame, signals: pl.DataFrame | None = None
    ) -> dict[str, np.ndarray]:
        """Per calibration cell (`calibration_cells`): |z|, NaN where the row's frequency does not
        score the signal or the row is in another cell of it, expected falls discounted."""
        signals = self.remembered(features, series_signals) if signals is None else signals
        freq = frequencies(features).to_numpy()
        expected = (
            sanctioned_relation(self.exposure or build_exposure(), features) | signals["edge"].to_numpy()
        )
        out = {}
        for name in scored_signals():
            z = signals[f"z_{name}"].to_numpy()
            size = np.abs(z)
            if name in VALUE_SIGNALS:
                size = np.where(expected & (z < 0), size * self.expected_fall, size)
            applies = np.isin(freq, [f for f, names in SIGNALS_BY_FREQ.items() if name in names])
            for f, stand_ins in STAND_IN.items():
                if name in stand_ins:
                    applies |= (freq == f) & np.isnan(signals[f"z_{stand_ins[name]}"].to_numpy())
            size = np.where(applies, size, np.nan)
            lesser = _lesser_supports(name)
            if not lesser:
                out[name] = size
                continue
            support = signals[f"{name}_support"].to_numpy()
            full = support >= np.where(freq == "M", Horizon.of("M").near, Horizon.of("A").near)
            out[name] = np.where(full, size, np.nan)
            for k in lesser:
                out[f"{name}@{k}"] = np.where(~full & (support == k), size, np.nan)
        return out

    def _fit(self, features: pl.DataFrame) -> None:
        self.tails_ = {}
        for name, size in self.magnitudes(features).items():
            finite = size[np.isfinite(size)]
            self.tails_[name] = TailModel.fit(finite) if finite.size else TailModel(0.0, 0.0, 0.0, 0.0)

    def surprisals(
        self, features: pl.DataFrame, signals: pl.DataFrame | None = None
    ) -> dict[str, np.ndarray]:
        """Per scored signal: -log10 of its tail probability in the row's cell (0 where it does not
        apply)."""
        out: dict[str, np.ndarray] = {}
        for cell, size in self.magnitudes(features, signals).items():
            p = self.tails_[cell].p_values(np.nan_to_num(size))
            value = np.where(np.isfinite(size), surprisal(p), 0.0)
            name = _signal_of(cell)
            out[name] = np.maximum(out[name], value) if name in out else value
        return out

    def _score(self, features: pl.DataFrame) -> np.ndarray:
        return np.column_stack(list(self.surprisals(features).values())).max(axis=1)

    def _reasons(self, features: pl.DataFrame, rows: np.ndarray) -> pl.DataFrame:
        signals = self.remembered(features, series_signals)
        strength = self.surprisals(features, signals)
        return signal_reasons(self.name, features, signals, strength, rows, REASON_SURPRISAL)
