"""The statistical detector: per-series signals, calibrated; spikes and unit errors rank at the top,
falls that sanctions intend are not anomalies, and every reason says what it compared."""

from __future__ import annotations

import datetime as dt

import numpy as np
import polars as pl

from tradesentinel.detectors.statistical import StatisticalDetector


def _labelled(features: pl.DataFrame, labels: pl.DataFrame, kind: str) -> np.ndarray:
    ids = set(labels.filter(pl.col("kind") == kind)["flow_id"])
    return features["flow_id"].is_in(ids).to_numpy()


def test_spikes_and_unit_errors_rank_in_the_top_percent(small_world):
    features, labels = small_world
    score = StatisticalDetector().fit(features).score(features)
    assert len(score) == features.height and np.isfinite(score).all()
    cutoff = np.quantile(score, 0.99)
    for kind in ("spike", "unit_error", "mirror_under", "unit_price"):
        mine = _labelled(features, labels, kind)
        assert (score[mine] >= cutoff).mean() >= 0.9, kind


def test_explain_gives_observed_and_expected_in_usd(small_world):
    features, labels = small_world
    detector = StatisticalDetector().fit(features)
    row = int(np.flatnonzero(_labelled(features, labels, "spike"))[0])
    reasons = detector.explain(features, np.array([row]))[0]
    assert reasons and reasons[0].detector == "statistical"
    top = reasons[0]
    assert top.observed is not None and top.expected is not None and top.magnitude >= 2
    assert abs(np.log(top.observed / top.expected)) > 0.5  # a spike: far from what was expected


def _series(values: list[float], partner: str = "RUS") -> pl.DataFrame:
    n = len(values)
    periods = [dt.date(2019 + i // 12, i % 12 + 1, 1) for i in range(n)]
    return pl.DataFrame(
        {
            "period": periods,
            "freq": "M",
            "reporter": "DEU",
            "partner": partner,
            "flow": "X",
            "hs_code": "854231",
            "value_usd": values,
            "log_value": np.log(values),
            "unit_value": None,
            "log_unit_value": None,
            "z_uv_hs_month": None,
            "mirror_gap": None,
            "mirror_value_usd": None,
            "flow_id": [f"{partner}{i}" for i in range(n)],
        },
        schema_overrides={
            "unit_value": pl.Float64,
            "log_unit_value": pl.Float64,
            "z_uv_hs_month": pl.Float64,
        },
    ).with_columns(pl.col("mirror_gap").cast(pl.Float64), pl.col("mirror_value_usd").cast(pl.Float64))


def test_a_fall_sanctions_intend_is_not_an_anomaly_but_the_same_fall_elsewhere_is():
    rng = np.random.default_rng(1)
    steady = list(1e6 * np.exp(rng.normal(0, 0.05, 60)))
    collapsed = steady[:38] + [v / 50 for v in steady[38:]]  # March 2022 on: a fiftieth
    partners = [f"P{i:02d}" for i in range(60)]  # sixty steady corridors: the collapse is rare
    noise = [_series(list(1e6 * np.exp(rng.normal(0, 0.05, 60))), partner=p) for p in partners]
    features = pl.concat([_series(collapsed, "RUS"), _series(collapsed, "CHE"), *noise])
    score = StatisticalDetector().fit(features).score(features)
    russia, swiss = score[38:60], score[98:120]
    assert swiss.max() > 5 and russia.max() < swiss.max() / 3  # to Russia after 2022-02-24: intended


def test_comparisons_say_annual_periods_as_years():
    rng = np.random.default_rng(2)
    values = list(1e7 * np.exp(rng.normal(0, 0.05, 15)))
    values[8] *= 8
    frame = _series(values, "USA").with_columns(
        pl.Series("period", [dt.date(2005 + i, 1, 1) for i in range(15)]), pl.lit("A").alias("freq")
    )
    features = pl.concat([frame, *[frame.with_columns(pl.lit(p).alias("partner")) for p in ("FRA", "JPN")]])
    features = features.with_columns(
        pl.concat_str("partner", pl.int_range(pl.len()).cast(pl.String)).alias("flow_id")
    )
    detector = StatisticalDetector().fit(features)
    (reasons,) = detector.explain(features, np.array([8]))
    assert reasons and reasons[0].comparison == "vs 2011..2015 without 2013"
