"""PyOD detectors over the feature table: unusual rows score high, on any size, with reasons."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest

from tradesentinel.detectors.classical import ClassicalDetector
from tradesentinel.errors import InvalidArgumentError


@pytest.mark.parametrize("model", ["iforest", "ecod", "ocsvm"])
def test_unit_errors_score_above_typical_rows(small_world, model):
    features, labels = small_world
    detector = ClassicalDetector(model, sample_rows=5_000).fit(features)
    score = detector.score(features)
    assert len(score) == features.height and np.isfinite(score).all()
    unit_errors = (
        features["flow_id"].is_in(set(labels.filter(pl.col("kind") == "unit_error")["flow_id"])).to_numpy()
    )
    assert np.median(score[unit_errors]) > np.quantile(score, 0.95)
    reasons = detector.explain(features, np.flatnonzero(unit_errors)[:1])[0]
    assert len(reasons) == 2 and reasons[0].magnitude >= reasons[1].magnitude


def test_unknown_model_is_a_clear_error_at_fit(small_world):
    detector = ClassicalDetector("lof")  # a constructor only stores its parameters
    with pytest.raises(InvalidArgumentError, match="unknown classical model 'lof'"):
        detector.fit(small_world[0])


def test_flags_enter_as_zero_or_one_not_at_the_clip(small_world):
    features, _ = small_world
    detector = ClassicalDetector("ecod", sample_rows=5_000).fit(features)
    new = np.flatnonzero(features["is_new_corridor"].fill_null(False).to_numpy())[:50]
    for reasons in detector.explain(features, new):
        flagged = [r for r in reasons if r.feature in ("is_new_corridor", "sanctions_exposure")]
        assert all(r.magnitude <= 1.0 for r in flagged)  # was 50: a MAD of 0 sent every True to the clip


def test_annual_rows_name_their_signals_in_years(small_world):
    """On annual rows (freq A) the period-counted signals are worded in years, never in months."""
    features, _ = small_world
    annual = features.with_columns(freq=pl.lit("A"))
    detector = ClassicalDetector("ecod", sample_rows=5_000).fit(annual)
    rows = np.argsort(-detector.score(annual))[:400]
    labels = {r.feature: r.label for reasons in detector.explain(annual, rows) for r in reasons}
    assert not [text for text in labels.values() if "month" in text]
    assert {"growth_yoy", "z_uv_hs_month"} <= set(labels)
    assert labels["growth_yoy"] == "growth vs the year before, unusual in combination"
    monthly = {r.feature: r.label for reasons in detector.explain(features, rows) for r in reasons}
    assert monthly["growth_yoy"] == "growth vs the same month last year, unusual in combination"
