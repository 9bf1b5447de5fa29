"""One contract over every registered detector (scikit-learn's estimator_checks, PyOD's base tests):
constructors only store parameters, scoring before fitting is a clear error, fit returns self,
scores are finite and one per row, the same seed gives the same scores, row order does not change
a flow's score, reasons come one list per row, and a saved detector scores the same."""

from __future__ import annotations

import inspect
from pathlib import Path

import numpy as np
import polars as pl
import pytest

from benchmarks.worlds import WORLDS
from benchmarks.worlds.generate import build_world
from tradesentinel.detectors.base import BaseDetector, DetectorNotFittedError, DetectorSkipped, Reason
from tradesentinel.detectors.ensemble import score_table
from tradesentinel.detectors.registry import FACTORIES, Setup
from tradesentinel.errors import TradeSentinelError
from tradesentinel.pipeline.features import CANONICAL_ORDER, build_features
from tradesentinel.reference import controlled_hs, country_programmes

FAST = {"epochs": 1, "max_train_windows": 256, "n_trees": 15, "max_train_rows": 20_000, "sample_rows": 2_000}
"""Smaller settings where a detector has them, so the whole contract runs in minutes."""
NAMES = list(FACTORIES)


def fast(name: str, seed: int = 3) -> BaseDetector:
    detector = FACTORIES[name](Setup(seed=seed))
    return detector.set_params(**{k: v for k, v in FAST.items() if k in detector.get_params()})


@pytest.fixture(scope="module")
def table() -> pl.DataFrame:
    """Monthly and annual flows in one table (the annual years end before the monthly ones begin),
    so a detector made for one frequency (the transformer: monthly; the partner: annual) has rows."""
    monthly = build_world(WORLDS["tune"], scale=0.02).flows
    annual = build_world(WORLDS["tune-a"], scale=0.02).flows.filter(pl.col("period").dt.year() < 2019)
    flows = pl.concat([monthly, annual.select(monthly.columns)], how="vertical_relaxed").sort(CANONICAL_ORDER)
    return build_features(flows, programmes=country_programmes(), controlled=controlled_hs()).collect()


@pytest.fixture(scope="module")
def fitted(table: pl.DataFrame) -> dict[str, tuple[BaseDetector, np.ndarray]]:
    out = {}
    for name in NAMES:
        detector = fast(name)
        out[name] = (detector, detector.fit(table).score(table))
    return out


@pytest.mark.parametrize("name", NAMES)
def test_constructor_only_stores_parameters(name):
    detector = fast(name)
    signature = [p for p in inspect.signature(type(detector).__init__).parameters if p != "self"]
    assert list(detector.get_params()) == signature
    assert not detector.is_fitted and not any(k.endswith("_") for k in vars(detector))
    clone = type(detector)(**detector.get_params())
    assert clone.get_params().keys() == detector.get_params().keys() and repr(clone)
    assert isinstance(detector.family, str) and detector.name


@pytest.mark.parametrize("name", NAMES)
def test_scoring_before_fitting_is_a_clear_error(name, table):
    detector = fast(name)
    with pytest.raises(DetectorNotFittedError, match=f"the {detector.name} detector is not fitted") as err:
        detector.score(table)
    assert isinstance(err.value, TradeSentinelError) and "fit(" in str(err.value)
    with pytest.raises(DetectorNotFittedError):
        detector.explain(table, np.array([0]))


@pytest.mark.parametrize("name", NAMES)
def test_fit_returns_self_and_scores_are_finite_one_per_row(name, table, fitted):
    detector, scores = fitted[name]
    assert detector.is_fitted
    assert scores.shape == (table.height,) and np.isfinite(scores).all()
    assert scores.std() > 0  # the table has anomalies of every kind: a detector sees some


@pytest.mark.parametrize("name", NAMES)
def test_same_seed_same_scores(name, table, fitted):
    _, scores = fitted[name]
    np.testing.assert_array_equal(fast(name).fit(table).score(table), scores)


@pytest.mark.parametrize("name", NAMES)
def test_row_order_does_not_change_a_flows_score(name, table, fitted):
    _, scores = fitted[name]
    order = np.random.default_rng(0).permutation(table.height)
    shuffled = fast(name).fit(table[order]).score(table[order])
    np.testing.assert_allclose(shuffled, scores[order], rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("name", NAMES)
def test_explain_gives_one_reason_list_per_row(name, table, fitted):
    detector, scores = fitted[name]
    rows = np.argsort(-scores)[:5]
    reasons = detector.explain(table, rows)
    assert len(reasons) == len(rows)
    assert all(isinstance(r, Reason) and r.detector == detector.name for rs in reasons for r in rs)
    assert any(reasons), "the five highest-scoring rows have some reason"
    assert detector.explain(table, np.array([], dtype=np.int64)) == []


@pytest.mark.parametrize("name", NAMES)
def test_a_saved_detector_scores_the_same(name, table, fitted, tmp_path: Path):
    detector, scores = fitted[name]
    path = detector.save(tmp_path / f"{name}.model")
    np.testing.assert_allclose(type(detector).load(path).score(table), scores, rtol=1e-6)


def _odd_tables() -> dict[str, pl.DataFrame]:
    """Valid flows tables a user may well have, none like a demo world (issue #14)."""
    flows = build_world(WORLDS["tune"], scale=0.02).flows.sort(CANONICAL_ORDER)
    busiest = (
        flows.group_by("reporter", "partner", "flow", "hs_code").len().sort("len", descending=True).row(0)
    )
    one_series = flows.filter(
        (pl.col("reporter") == busiest[0])
        & (pl.col("partner") == busiest[1])
        & (pl.col("flow") == busiest[2])
        & (pl.col("hs_code") == busiest[3])
    )
    annual = build_world(WORLDS["tune-a"], scale=0.02).flows
    three_years = annual.filter(pl.col("period").dt.year().is_in([2010, 2011, 2012]))
    doubled = pl.concat([flows.head(500), flows.head(500)])
    return {
        "1 row": flows.head(1),
        "1 series": one_series,
        "3 annual points": three_years,
        "all weights missing": flows.with_columns(pl.lit(None, dtype=pl.Float64).alias("net_weight_kg")),
        "one HS code": flows.filter(pl.col("hs_code") == flows["hs_code"].mode().first()),
        "one reporter": flows.filter(pl.col("reporter") == flows["reporter"].mode().first()),
        "20 rows": flows.sample(20, seed=1),
        "duplicate keys removed upstream": doubled.unique(
            subset=["flow_id"], keep="first", maintain_order=True
        ),
    }


@pytest.fixture(scope="module")
def odd() -> dict[str, pl.DataFrame]:
    return {
        name: build_features(t, programmes=country_programmes(), controlled=controlled_hs()).collect()
        for name, t in _odd_tables().items()
    }


@pytest.mark.parametrize("name", NAMES)
def test_every_detector_runs_or_says_why_not_on_odd_tables(name, odd):
    for table_name, table in odd.items():
        detector = fast(name)
        try:
            detector.fit(table)
        except DetectorSkipped as skipped:
            assert skipped.detector == detector.name and skipped.reason, table_name
            continue
        scores = detector.score(table)
        assert scores.shape == (table.height,) and np.isfinite(scores).all(), table_name
        top = np.argsort(-scores)[:3]
        assert len(detector.explain(table, top)) == len(top), table_name


def test_the_whole_score_run_works_on_odd_tables(odd):
    for table_name, table in odd.items():
        scored = score_table(table, [fast(name) for name in NAMES])
        assert scored.table.height == table.height and scored.table["rank"].min() == 1, table_name
        assert scored.table["score"].is_finite().all(), table_name
        ran = {c.removeprefix("score_") for c in scored.table.columns if c.startswith("score_")}
        assert ran | set(scored.notes) == set(NAMES), table_name  # every detector ran or says why not
        assert "statistical" in ran, table_name
