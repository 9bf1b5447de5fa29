"""Detectors fitted once on a sample, then scoring any part of the table.

Under the Dask engine no machine holds the whole feature table: the detectors are fitted on a
seeded sample (`in_sample`: rows, or whole series for the transformer) and the fitted models
score every partition. Which results equal the in-process ones:
- statistical: exactly equal (its table-wide scales are computed exactly over all parts, see
  global_scales; every signal is within one HS code);
- sanctions: exactly equal (no fit; the corridor's level before exposure is within one series);
- iforest, ecod, ocsvm: fitted on the sample, their standardisation scales too: close, not equal
  (equal when the table is smaller than the sample, which then is the table);
- lightgbm, xgboost: regressors fitted out-of-fold on the sample; every row is scored by the model
  of its fold (a hash of its flow id), which never saw it, as in-process; categories are coded
  from the sample's vocabulary (stable across processes, unseen values missing): close, not equal;
- transformer: trained on the sample's series, scores every series: close, not equal (equal when
  the table is smaller than the sample).
"""

from __future__ import annotations

import copy
from typing import Self

import numpy as np
import polars as pl

from tradesentinel.detectors.base import Detector, Reason
from tradesentinel.detectors.boosted import CATEGORICAL, TARGETS, BoostedDetector, context_matrix
from tradesentinel.detectors.statistical import SERIES, StatisticalDetector, robust_scale

EXACT = ("statistical", "sanctions")
"""Detectors whose Dask scores equal the in-process scores exactly."""


def in_sample(frame: pl.DataFrame, fraction: float, seed: int, *, whole_series: bool = False) -> pl.DataFrame:
    """A seeded hash pick of about `fraction` of the rows (by flow id), or of whole series (reporter,
    partner, flow, HS) with `whole_series`; the same pick in every partition and process."""
    if fraction >= 1.0:
        return frame
    key = (
        pl.concat_str([pl.col(c).cast(pl.String) for c in SERIES], separator="|")
        if whole_series
        else pl.col("flow_id")
    )
    return frame.filter(key.hash(seed) % 1_000_000 < int(fraction * 1_000_000))


class SampleFittedBoosted:
    """A BoostedDetector fitted out-of-fold on a sample, then scoring any table (see module doc)."""

    def __init__(self, base: BoostedDetector):
        self.base, self.name, self.family = base, base.name, base.family

    def _fold(self, features: pl.DataFrame) -> np.ndarray:
        return (features["flow_id"].hash(self.base.seed) % self.base.n_folds).cast(pl.Int64).to_numpy()

    def _context(self, features: pl.DataFrame) -> np.ndarray:
        """context_matrix with the category columns coded by the sample's vocabulary (not per process)."""
        x, _ = context_matrix(features)
        for j, c in enumerate(CATEGORICAL):
            codes = (
                features[c]
                .cast(pl.String)
                .replace_strict(self.vocab_[c], default=None, return_dtype=pl.Float64)
            )
            x[:, j] = codes.fill_null(np.nan).to_numpy()
        return x

    def fit(self, sample: pl.DataFrame) -> Self:
        b = self.base
        self.vocab_ = {
            c: {v: i for i, v in enumerate(sample[c].cast(pl.String).unique().sort().drop_nulls())}
            for c in CATEGORICAL
        }
        x, fold = self._context(sample), self._fold(sample)
        self.columns_ = context_matrix(sample.head(0))[1]
        rng = np.random.default_rng(b.seed)
        self.models_: dict[str, list] = {}
        self.scales_: dict[str, float] = {}
        for target in TARGETS:
            y = sample[target].cast(pl.Float64).fill_null(np.nan).to_numpy()
            known = np.isfinite(y)
            expected = np.full(sample.height, np.nan)
            self.models_[target] = []
            for f in range(b.n_folds):
                train = np.flatnonzero(known & (fold != f))
                if len(train) > b.max_train_rows:
                    train = rng.choice(train, b.max_train_rows, replace=False)
                model = b._train(x[train], y[train])
                held_out = np.flatnonzero(fold == f)
                expected[held_out] = b._predict(model, x[held_out])
                self.models_[target].append(model)
            self.scales_[target] = robust_scale((y - expected)[known])[1]
        return self

    def bound(self, features: pl.DataFrame) -> BoostedDetector:
        """The base detector holding this fit's models and `features`' expectations (to score, explain)."""
        det = copy.copy(self.base)
        det.x_, det.fold_, det.columns_ = self._context(features), self._fold(features), self.columns_
        det.models_, det.scales_, det.expected_ = self.models_, self.scales_, {}
        for target, models in self.models_.items():
            expected = np.full(features.height, np.nan)
            for f, model in enumerate(models):
                rows = np.flatnonzero(det.fold_ == f)
                if len(rows):
                    expected[rows] = det._predict(model, det.x_[rows])
            det.expected_[target] = expected
        return det

    def score(self, features: pl.DataFrame) -> np.ndarray:
        return self.bound(features).score(features)

    def explain(self, features: pl.DataFrame, rows: np.ndarray) -> list[list[Reason]]:
        if len(rows) == 0:  # most partitions hold no top-ranked row: skip a second prediction pass
            return []
        return self.bound(features).explain(features, rows)


def fit_on_sample(
    detectors: list[Detector],
    rows: pl.DataFrame,
    series: pl.DataFrame,
    scales: dict[str, tuple[float, float]],
) -> tuple[list[Detector], dict[str, float]]:
    """Worker task: the detectors fitted for partition scoring, and the seconds each fit took. The
    transformer learns from whole `series`, the others from sampled `rows` (as the in-process
    boosted and classical fits subsample rows); statistical takes the exact table-wide `scales`."""
    import time

    from tradesentinel.detectors.transformer import SeriesTransformerDetector

    fitted, seconds = [], {}
    for detector in detectors:
        started = time.perf_counter()
        if isinstance(detector, StatisticalDetector):
            detector.scales_ = {s: scales[s] for s in detector.signals}
        elif isinstance(detector, BoostedDetector):
            detector = SampleFittedBoosted(detector).fit(rows)
        else:
            detector.fit(series if isinstance(detector, SeriesTransformerDetector) else rows)
        fitted.append(detector)
        seconds[detector.name] = time.perf_counter() - started
    return fitted, seconds
