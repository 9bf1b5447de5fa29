"""Scores to tail probabilities, calibrated on the flows themselves: how often would a flow score at
least this high if nothing were wrong?

The bulk of a table is normal trade, so a score's null distribution is read from its body: four
quantiles of the score over the table (median, 90th, 95th and 99th percentile). Above the 90th
percentile the probability follows a generalised Pareto tail through the 90th and 99th percentiles
(p 0.1 and 0.01), whose shape the 95th percentile tells: an exponential tail (shape 0: the 99th
percentile lies 3.3 times as far beyond the 90th as the 95th does) keeps falling at one rate, a
heavier one (further apart) falls ever more slowly, so a score whose body already runs wide is not
read as a one-in-a-billion event a little beyond its 99th percentile. The shape is read below the
99th percentile, where normal flows still far outnumber anomalies: read further out (the 99.5th or
99.9th), it would be set by the anomalies themselves, and the detector finding the most would get
the heaviest tail. Below the 90th percentile, p is interpolated log-linearly through the median.
A detector whose top scores are far beyond what its body predicts (a unit error at z 50) gets
probabilities far below 1/N, while one whose top merely continues its body gets no less than the
body predicts. So a strong single signal stays strong when signals or detectors are combined, and
a noisy detector's top rows do not count as much as a clean one's. Four quantiles also make the
model exactly reproducible on a cluster (global order statistics, detectors.global_scales).

Scores that are zero for most rows (rules: flagged or not) cannot be read that way: they keep the
empirical share of rows scoring at least as high (`SparseTail`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

QUANTILES = (0.5, 0.90, 0.95, 0.99)
XI_MAX = 1.0  # the heaviest tail shape read: a survival falling as 1/score
_XI = np.linspace(0.0, XI_MAX, 1001)[1:]
_SPREAD = (10.0**_XI - 1.0) / (2.0**_XI - 1.0)
"""For a generalised Pareto tail of shape xi over q90: how many times as far beyond q90 q99 lies as
q95 does (increasing in xi; log 10 / log 2 = 3.32 at xi = 0, the exponential tail)."""
SPARSE = 0.2  # below this share of rows above the minimum, a score is a rule: empirical shares


def _clean(scores: np.ndarray) -> np.ndarray:
    return np.nan_to_num(np.asarray(scores, dtype=np.float64), nan=0.0, posinf=0.0, neginf=0.0)


@dataclass(frozen=True)
class TailModel:
    """The fitted null of one continuous score: its median, 90th, 95th and 99th percentiles."""

    median: float
    anchor: float
    mid: float
    top: float

    @staticmethod
    def from_quantiles(q50: float, q90: float, q95: float, q99: float) -> TailModel:
        return TailModel(float(q50), float(q90), float(q95), float(q99))

    @staticmethod
    def fit(scores: np.ndarray) -> TailModel:
        values = _clean(scores)
        if values.size == 0:
            return TailModel(0.0, 0.0, 0.0, 0.0)
        return TailModel.from_quantiles(*np.quantile(values, QUANTILES))

    @property
    def shape(self) -> float:
        """The tail's shape xi in [0, XI_MAX] (0: exponential), from where q95 lies between q90 and q99."""
        spread = (self.top - self.anchor) / max(self.mid - self.anchor, 1e-12)
        return float(np.interp(spread, _SPREAD, _XI)) if spread > _SPREAD[0] else 0.0

    def p_values(self, scores: np.ndarray) -> np.ndarray:
        """Upper-tail probability of each score under this null (in (0, 1])."""
        s = _clean(scores)
        spread = max(self.top - self.anchor, 1e-12)
        body = np.log(5.0) / max(self.anchor - self.median, 1e-12)  # p falls x5 from the median to q90
        xi = self.shape
        if xi > 0:  # and x10 from q90 to q99, then ever more slowly
            scale = xi * spread / (10.0**xi - 1.0)
            tail = np.log(0.1) - np.log1p(xi * np.maximum(s - self.anchor, 0.0) / scale) / xi
        else:  # or x10 from q90 to q99 and on at that rate
            tail = np.log(0.1) - (s - self.anchor) * np.log(10.0) / spread
        log_p = np.where(s >= self.anchor, tail, np.log(0.1) + (self.anchor - s) * body)
        return np.exp(np.clip(log_p, np.log(1e-300), 0.0))


@dataclass(frozen=True)
class SparseTail:
    """The null of a rule-like score (mostly zero): the empirical share of rows at least as high."""

    ordered: np.ndarray

    @staticmethod
    def fit(scores: np.ndarray) -> SparseTail:
        return SparseTail(np.sort(_clean(scores)))

    def p_values(self, scores: np.ndarray) -> np.ndarray:
        s = _clean(scores)
        n = max(len(self.ordered), 1)
        at_least = len(self.ordered) - np.searchsorted(self.ordered, s, side="left")
        return np.clip(at_least / n, 1.0 / (n + 1), 1.0)


@dataclass(frozen=True)
class CountTail:
    """`SparseTail` from merged counts instead of every score: the run's lowest score `floor`, each
    distinct score above it with the rows scoring at least that (`at_least`, decreasing), and the
    rows in all (`n`). Mergeable over partitions, and equal to SparseTail's p of the same scores."""

    floor: float
    values: np.ndarray
    at_least: np.ndarray
    n: int

    def p_values(self, scores: np.ndarray) -> np.ndarray:
        s = _clean(scores)
        n = max(self.n, 1)
        tail = np.append(self.at_least, 0)[np.searchsorted(self.values, s, side="left")]
        at_least = np.where(s <= self.floor, self.n, tail)
        return np.clip(at_least / n, 1.0 / (n + 1), 1.0)


Tail = TailModel | SparseTail | CountTail
"""A fitted null: p_values(scores) -> upper-tail probabilities."""


def clean(scores: np.ndarray) -> np.ndarray:
    """Scores as the null models read them: float64, NaN and infinities as 0."""
    return _clean(scores)


def is_sparse(scores: np.ndarray) -> bool:
    """Whether a score is rule-like: fewer than SPARSE of the rows above its minimum."""
    values = _clean(scores)
    return values.size == 0 or bool((values > values.min()).mean() < SPARSE)


def fit_tail(scores: np.ndarray) -> TailModel | SparseTail:
    """The null model a score calls for (SparseTail for rules, TailModel otherwise)."""
    return SparseTail.fit(scores) if is_sparse(scores) else TailModel.fit(scores)


def surprisal(p: np.ndarray) -> np.ndarray:
    """-log10 p: 2 for a one-in-a-hundred score, 10 for one in ten billion."""
    return -np.log10(np.clip(p, 1e-300, 1.0))
