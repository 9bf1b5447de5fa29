"""The ensemble: calibrated, family-averaged, strongest family wins; the scores table a user reads."""

from __future__ import annotations

import numpy as np

from tradesentinel.detectors.boosted import BoostedDetector
from tradesentinel.detectors.ensemble import combine, score_table, tail_probability
from tradesentinel.detectors.evaluate import evaluate
from tradesentinel.detectors.statistical import SanctionsExposureDetector, StatisticalDetector


def test_tail_probability_counts_ties():
    assert tail_probability(np.array([1.0, 2.0, 2.0, 3.0])).tolist() == [1.0, 0.75, 0.75, 0.25]


def test_one_strong_family_beats_mild_agreement_and_noise_averages_out():
    a = np.array([0.0, 0, 0, 9, 0, 1])  # "value" detector 1: row 3 extreme
    b = np.array([0.0, 0, 0, 0, 9, 1])  # "value" detector 2, noisy: row 4
    c = np.array([0.0, 0, 9, 0, 0, 0])  # the sanctions rule: row 2
    score, rank = combine({"a": a, "b": b, "c": c}, {"a": "value", "b": "value", "c": "sanctions"})
    assert rank[2] == 1  # the sanctions family alone is the strongest signal
    assert score.min() >= 0 and score.max() < 1
    assert sorted(rank.tolist()) == list(range(1, 7))


def test_score_table_ranks_injected_anomalies_and_explains(small_world):
    features, labels = small_world
    detectors = [StatisticalDetector(), SanctionsExposureDetector(), BoostedDetector("xgboost", n_trees=40)]
    table, seconds = score_table(features, detectors, explain_top=200)
    assert table.height == features.height and set(seconds) == {
        "statistical",
        "sanctions",
        "xgboost",
        "reasons",
    }
    assert {"score", "rank", "score_statistical", "score_sanctions", "score_xgboost", "reasons"} <= set(
        table.columns
    )
    assert table["rank"].to_list()[:3] == [1, 2, 3]
    top = table.head(200)
    assert all(len(r) > 0 for r in top["reasons"].to_list())
    first = top["reasons"][0][0]
    assert {
        "detector",
        "signal",
        "label",
        "feature",
        "observed",
        "expected",
        "unit",
        "comparison",
        "magnitude",
    } == set(first)
    metrics = evaluate(table, labels).filter(kind="all")
    ensemble = metrics.filter(detector="ensemble").row(0, named=True)
    best_single = metrics.filter(detector="statistical").row(0, named=True)
    assert ensemble["recall_at_budget"] > best_single["recall_at_budget"]
    assert ensemble["recall_at_budget"] > 0.6
