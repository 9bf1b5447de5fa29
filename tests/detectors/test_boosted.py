"""Boosted detectors: out-of-fold residuals flag a misdeclared value and name the context behind it."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest

from tradesentinel.detectors.boosted import BoostedDetector
from tradesentinel.detectors.signals import Signal
from tradesentinel.errors import InvalidArgumentError


@pytest.mark.parametrize("backend", ["lightgbm", "xgboost"])
def test_out_of_fold_residuals_flag_unit_errors(small_world, backend):
    features, labels = small_world
    detector = BoostedDetector(backend, n_trees=40, max_train_rows=40_000).fit(features)
    score = detector.score(features)
    assert len(score) == features.height and np.isfinite(score).all()
    unit_errors = (
        features["flow_id"].is_in(set(labels.filter(pl.col("kind") == "unit_error")["flow_id"])).to_numpy()
    )
    assert np.median(score[unit_errors]) > np.quantile(score, 0.99)
    row = int(np.flatnonzero(unit_errors)[0])
    reasons = detector.explain(features, np.array([row]))[0]
    assert reasons[0].expected is not None and reasons[0].observed is not None
    assert any(r.signal == Signal.CONTEXT for r in reasons[1:])


def test_unknown_backend_is_a_clear_error_at_fit(small_world):
    detector = BoostedDetector("catboost")  # a constructor only stores its parameters
    with pytest.raises(InvalidArgumentError, match="unknown boosted backend 'catboost'"):
        detector.fit(small_world[0])


def test_value_only_tables_model_the_value_alone_and_tiny_ones_skip(small_world):
    from tradesentinel.detectors.base import DetectorSkipped

    features, _ = small_world
    value_only = features.with_columns(pl.lit(None, dtype=pl.Float64).alias("log_unit_value"))
    detector = BoostedDetector("lightgbm", n_trees=20).fit(value_only)
    assert list(detector.models_) == ["log_value"] and np.isfinite(detector.score(value_only)).all()
    with pytest.raises(DetectorSkipped, match="too few flows"):
        BoostedDetector("lightgbm").fit(features.head(50))


def test_annual_rows_name_their_drivers_in_years(small_world):
    """A driver counted in periods reads in years on an annual row (freq A): no "same month" there."""
    features, _ = small_world
    annual = features.with_columns(freq=pl.lit("A"))
    detector = BoostedDetector("lightgbm", n_trees=20).fit(features)
    rows = np.argsort(-detector.score(features))[:400]
    words = {r.label for reasons in detector.explain(annual, rows) for r in reasons}
    assert not [w for w in words if "same month" in w or "12-month" in w]
    assert "model driver: median value of the 3 years before" in words
    monthly = {r.label for reasons in detector.explain(features, rows) for r in reasons}
    assert "model driver: trailing 12-month median value" in monthly
