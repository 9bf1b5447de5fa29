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


def _exposed_series(partner: str, values: list[float], first_exposed: int) -> pl.DataFrame:
    """One monthly series of a controlled HS code, exposed from month index `first_exposed` on."""
    n = len(values)
    return pl.DataFrame(
        {
            "period": pl.date_range(pl.date(2020, 1, 1), pl.date(2020, 1, 1), "1mo", eager=True)
            .dt.offset_by(pl.Series([f"{i}mo" for i in range(n)]))
            .to_list(),
            "reporter": ["DEU"] * n,
            "partner": [partner] * n,
            "flow": ["X"] * n,
            "hs_code": ["854231"] * n,
            "value_usd": values,
            "log_value": np.log(values).tolist(),
            "hs_controlled": [True] * n,
            "sanctions_exposure": [i >= first_exposed for i in range(n)],
            "partner_sanctioned": [False] * n,
        }
    )


def test_sanctions_rule_ranks_a_corridor_opened_for_the_exposure_above_steady_exposed_trade():
    steady = _exposed_series("KAZ", [1e6] * 36, first_exposed=24)  # two years of trade, then exposed
    opened = _exposed_series("ARM", [1e6] * 12, first_exposed=1)  # opened a month before its exposure
    surged = _exposed_series("GEO", [1e6] * 24 + [5e6] * 12, first_exposed=24)  # grew x5 once exposed
    features = pl.concat([steady, opened, surged])
    detector = SanctionsExposureDetector().fit(features)
    score = detector.score(features)
    by_partner = {p: score[(features["partner"] == p).to_numpy()] for p in ("KAZ", "ARM", "GEO")}
    assert (by_partner["KAZ"][:24] == 0).all() and (by_partner["ARM"][0] == 0)  # not yet exposed
    assert by_partner["ARM"][1:].min() > by_partner["GEO"][24:].max() > by_partner["KAZ"][24:].max() > 0
    row = int(np.flatnonzero((features["partner"] == "ARM").to_numpy())[5])
    (reason,) = detector.explain(features, np.array([row]))[0]
    assert "opened for it" in reason.label and reason.expected is None
