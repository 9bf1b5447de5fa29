"""Statistical detectors on the demo world: spikes and unit errors rank at the top, with reasons."""

from __future__ import annotations

import numpy as np
import polars as pl

from tradesentinel.detectors.statistical import SanctionsExposureDetector, StatisticalDetector


def _labelled(features: pl.DataFrame, labels: pl.DataFrame, kind: str) -> np.ndarray:
    ids = set(labels.filter(pl.col("kind") == kind)["flow_id"])
    return features["flow_id"].is_in(ids).to_numpy()


def test_spikes_and_unit_errors_rank_in_the_top_percent(small_world):
    features, labels = small_world
    score = StatisticalDetector().fit(features).score(features)
    assert len(score) == features.height and np.isfinite(score).all()
    cutoff = np.quantile(score, 0.99)
    for kind in ("spike", "unit_error"):
        mine = _labelled(features, labels, kind)
        assert (score[mine] >= cutoff).mean() >= 0.9, kind


def test_explain_gives_observed_and_expected_in_usd(small_world):
    features, labels = small_world
    detector = StatisticalDetector().fit(features)
    row = int(np.flatnonzero(_labelled(features, labels, "spike"))[0])
    reasons = detector.explain(features, np.array([row]))[0]
    assert reasons and reasons[0].detector == "statistical"
    top = reasons[0]
    assert top.observed is not None and top.expected is not None and top.magnitude > 3
    assert abs(np.log(top.observed / top.expected)) > 0.5  # a spike: far from what was expected


def test_sanctions_rule_flags_diversion_and_little_else(small_world):
    features, labels = small_world
    score = SanctionsExposureDetector().fit(features).score(features)
    diversion = _labelled(features, labels, "diversion")
    assert (score[diversion] > 0).mean() > 0.8
    assert (score > 0).mean() < 0.02
