"""The transformer detector flags a one-month spike, not a recurring seasonal peak, and is reproducible."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import polars as pl
import pytest

from tradesentinel.detectors import transformer
from tradesentinel.detectors.base import Detector
from tradesentinel.detectors.transformer import SeriesTransformerDetector

N_SERIES, N_MONTHS = 48, 60
SPIKE_SERIES, SPIKE_MONTH = 5, 41
PEAK_SERIES = 2  # every third series has a sharp peak in the same calendar month every year
PARAMS = {"epochs": 4, "max_train_windows": 2048, "batch_size": 64, "seed": 0, "threads": 1}


def _features() -> pl.DataFrame:
    """Seasonal monthly series with noise, some with a recurring one-month peak; one x5 spike."""
    rng = np.random.default_rng(7)
    t = np.arange(N_MONTHS)
    level = rng.uniform(8, 16, (N_SERIES, 1))
    amp = rng.uniform(0.2, 0.6, (N_SERIES, 1))
    phase = rng.uniform(0, 2 * np.pi, (N_SERIES, 1))
    log_value = (
        level + amp * np.sin(2 * np.pi * t / 12 + phase) + 0.05 * rng.standard_normal((N_SERIES, N_MONTHS))
    )
    peak_month = rng.integers(0, 12, N_SERIES)
    peaked = (np.arange(N_SERIES) % 3 == PEAK_SERIES % 3)[:, None] & (t % 12 == peak_month[:, None])
    log_value += np.where(peaked, np.log(3.0), 0.0)
    log_value[SPIKE_SERIES, SPIKE_MONTH] += np.log(5.0)
    log_uv = rng.uniform(0, 4, (N_SERIES, 1)) + 0.03 * rng.standard_normal((N_SERIES, N_MONTHS))
    log_uv[rng.random(log_uv.shape) < 0.1] = np.nan  # missing weights
    series, month = np.repeat(np.arange(N_SERIES), N_MONTHS), np.tile(t, N_SERIES)
    return pl.DataFrame(
        {
            "period": [dt.date(2019 + m // 12, m % 12 + 1, 1) for m in month],
            "reporter": [("USA", "DEU", "CHN")[s % 3] for s in series],
            "partner": [f"P{s:02d}" for s in series],
            "flow": "M",
            "hs_code": "854231",
            "log_value": log_value.ravel(),
            "log_unit_value": log_uv.ravel(),
        }
    ).with_columns(pl.col("log_unit_value").fill_nan(None))


def _row(series: int, month: int) -> int:
    return series * N_MONTHS + month


@pytest.fixture(scope="module")
def features() -> pl.DataFrame:
    return _features()


@pytest.fixture(scope="module")
def fitted(features: pl.DataFrame) -> tuple[SeriesTransformerDetector, np.ndarray]:
    detector = SeriesTransformerDetector(**PARAMS).fit(features)
    return detector, detector.score(features)


def test_injected_spike_stands_out_and_ranks_near_the_top(fitted: tuple) -> None:
    detector, scores = fitted
    assert isinstance(detector, Detector)
    spike = scores[_row(SPIKE_SERIES, SPIKE_MONTH)]
    others = np.delete(scores[_row(SPIKE_SERIES, 0) : _row(SPIKE_SERIES + 1, 0)], SPIKE_MONTH)
    assert spike > 3 * np.max(others)
    assert (scores > spike).sum() < 3


def test_recurring_seasonal_peak_is_not_flagged(fitted: tuple) -> None:
    _, scores = fitted
    spike = scores[_row(SPIKE_SERIES, SPIKE_MONTH)]
    peak_rows = [_row(s, m) for s in range(PEAK_SERIES, N_SERIES, 3) for m in range(36, N_MONTHS)]
    features = _features()
    peaks = [r for r in peak_rows if features["log_value"][r] - features["log_value"][r - 1] > 0.6]
    peaks.remove(_row(SPIKE_SERIES, SPIKE_MONTH))  # the spike series has a seasonal peak too
    assert len(peaks) >= 20  # the peaks of years 4 and 5
    assert np.median(scores[peaks]) < spike / 5
    assert np.max(scores[peaks]) < spike / 2


def test_scores_follow_rows_when_input_is_shuffled(fitted: tuple, features: pl.DataFrame) -> None:
    detector, scores = fitted
    assert scores.shape == (features.height,) and not np.isnan(scores).any()
    order = np.random.default_rng(1).permutation(features.height)
    shuffled = detector.score(features[order])
    np.testing.assert_allclose(shuffled, scores[order], rtol=1e-5, atol=1e-5)


def test_unscorable_rows_score_zero(fitted: tuple, features: pl.DataFrame) -> None:
    detector, _ = fitted
    blank = features.head(30).with_columns(
        pl.lit(None, dtype=pl.Float64).alias("log_value"),
        pl.lit(None, dtype=pl.Float64).alias("log_unit_value"),
    )
    assert (detector.score(blank) == 0).all()


def test_long_tables_are_scored_in_chunks_with_the_same_result(
    fitted: tuple, features: pl.DataFrame, monkeypatch: pytest.MonkeyPatch
) -> None:
    detector, scores = fitted
    monkeypatch.setattr(transformer, "SPAN", 40)  # 60 months: three chunks instead of one pass
    np.testing.assert_allclose(detector.score(features), scores, rtol=1e-4, atol=1e-4)


def test_same_seed_gives_identical_scores(fitted: tuple, features: pl.DataFrame) -> None:
    _, scores = fitted
    again = SeriesTransformerDetector(**PARAMS).fit(features).score(features)
    np.testing.assert_array_equal(again, scores)


def test_saved_model_reloads_with_identical_scores(
    fitted: tuple, features: pl.DataFrame, tmp_path: Path
) -> None:
    detector, scores = fitted
    detector.save(tmp_path / "transformer.pt")
    loaded = SeriesTransformerDetector.load(tmp_path / "transformer.pt")
    assert loaded.get_params() == detector.get_params()
    np.testing.assert_array_equal(loaded.score(features), scores)


def test_explain_gives_observed_against_expected(fitted: tuple, features: pl.DataFrame) -> None:
    detector, scores = fitted
    spike_row, normal_row = _row(SPIKE_SERIES, SPIKE_MONTH), _row(SPIKE_SERIES, SPIKE_MONTH - 2)
    spike, normal = detector.explain(features, np.array([spike_row, normal_row]))
    top = spike[0]
    assert top.detector == "transformer" and top.feature.startswith("value_usd")
    assert np.log(top.observed) == pytest.approx(features["log_value"][spike_row])
    normal_level = features["log_value"][spike_row] - np.log(5.0)  # what the month would have been
    assert abs(np.log(top.expected) - normal_level) < 0.3
    assert top.magnitude == pytest.approx(scores[spike_row], rel=1e-4)
    assert {r.feature.split(" ")[0] for r in normal} <= {"value_usd", "unit_value"} and normal
    assert detector.explain(features, np.array([], dtype=np.int64)) == []


def test_annual_rows_of_other_years_do_not_widen_the_panel(fitted: tuple, features: pl.DataFrame) -> None:
    """A table mixing annual rows of 2005-2014 (other series) with the monthly ones: the dense panel
    spans the monthly series' months only, plus one empty series the annual rows share; the monthly
    rows score as they do alone (the fitted model), the annual rows 0."""
    detector, scores = fitted
    annual = pl.DataFrame(
        {
            "period": [dt.date(2005 + y, 1, 1) for y in range(10) for _ in range(200)],
            "reporter": "CAN",
            "partner": [f"A{p:03d}" for _ in range(10) for p in range(200)],
            "flow": "X",
            "hs_code": "440799",
            "log_value": 12.0,
            "log_unit_value": 1.0,
        }
    )
    mixed = pl.concat(
        [features.with_columns(freq=pl.lit("M")), annual.with_columns(freq=pl.lit("A"))], how="diagonal"
    )
    values, observed, rows, _ = transformer._panel(mixed)
    assert values.shape == (N_SERIES + 1, N_MONTHS, 2)  # was (N_SERIES + 200, 15 years of months, 2)
    assert not observed[N_SERIES].any() and (rows["s"][features.height :] == N_SERIES).all()
    got = detector.score(mixed)
    np.testing.assert_allclose(got[: features.height], scores, rtol=1e-4, atol=1e-4)
    assert (got[features.height :] == 0).all()
