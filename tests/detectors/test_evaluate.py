"""Metrics an analyst relies on: AP, precision@k, recall at an inspection budget, per kind."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest

from tradesentinel.detectors.evaluate import average_precision, evaluate


def test_average_precision_known_values():
    assert average_precision(np.array([1, 1, 0, 0], bool), np.array([4.0, 3, 2, 1])) == 1.0
    # positives at ranks 2 and 4: (1/2 + 2/4) / 2
    assert average_precision(np.array([0, 1, 0, 1], bool), np.array([4.0, 3, 2, 1])) == pytest.approx(0.5)
    # a constant score earns nothing: ties are broken against the positives
    assert average_precision(np.array([1, 0, 0, 0], bool), np.zeros(4)) == pytest.approx(0.25)


def test_evaluate_per_kind_and_budget():
    n = 1000
    scores = pl.DataFrame(
        {"flow_id": [str(i) for i in range(n)], "score": np.linspace(1, 0, n), "score_flat": np.zeros(n)}
    )
    labels = pl.DataFrame({"flow_id": ["0", "1", "500"], "kind": ["spike", "spike", "level_shift"]})
    table = evaluate(scores, labels, budget=0.01)
    row = {(r["detector"], r["kind"]): r for r in table.iter_rows(named=True)}
    assert row[("ensemble", "spike")]["recall_at_budget"] == 1.0
    assert row[("ensemble", "level_shift")]["recall_at_budget"] == 0.0
    assert row[("ensemble", "all")]["recall_at_budget"] == pytest.approx(2 / 3)
    assert row[("flat", "all")]["recall_at_budget"] == 0.0
    assert row[("ensemble", "all")]["n_positive"] == 3
