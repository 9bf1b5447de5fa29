"""One anomaly-kind taxonomy: the classify rule, its polars twin, every detector's reasons, the maps."""

from __future__ import annotations

import math

import numpy as np
import polars as pl
import pytest

from benchmarks.worlds import WORLDS
from benchmarks.worlds.generate import build_world
from tradesentinel.detectors.base import REASON_DTYPE, UNITS, DetectorSkipped, Reason
from tradesentinel.detectors.boosted import BoostedDetector
from tradesentinel.detectors.diversion import DiversionDetector
from tradesentinel.detectors.ensemble import score_table
from tradesentinel.detectors.registry import FACTORIES, Setup
from tradesentinel.detectors.sanctions import SanctionsExposureDetector
from tradesentinel.detectors.signals import (
    KIND_ALIASES,
    KINDS,
    LABEL_SIGNALS,
    UNEXPLAINED,
    Signal,
    classify,
    classify_expr,
    describe,
    kinds_for,
    ratio_signal,
)
from tradesentinel.detectors.statistical import StatisticalDetector
from tradesentinel.errors import InvalidArgumentError
from tradesentinel.pipeline import demo_anomalies
from tradesentinel.pipeline.features import CANONICAL_ORDER, build_features
from tradesentinel.reference import controlled_hs, country_programmes


def _reason(signal: str, magnitude: float | None, detector: str = "statistical") -> dict:
    return {"detector": detector, "signal": signal, "magnitude": magnitude}


def test_sanctions_exposure_names_the_kind_even_when_weaker():
    reasons = [_reason("mirror_gap", 40.0), _reason("sanctions_exposure", 1.5, "sanctions")]
    assert classify(reasons) == "sanctions_exposure"
    assert classify([_reason("spike", 40.0), _reason("new_corridor", 4.0, "sanctions")]) == "new_corridor"
    assert classify([_reason("diversion", 0.1), _reason("unit_price", 9.0)]) == "diversion"


def test_otherwise_the_strongest_reason_names_the_kind_and_context_never_does():
    assert classify([_reason("spike", 3.0), _reason("mirror_gap", 9.0), _reason("peer_outlier", 5.0)]) == (
        "mirror_gap"
    )
    assert classify([_reason("context", 99.0, "lightgbm"), _reason("model_residual", 2.0, "lightgbm")]) == (
        "model_residual"
    )
    assert classify([_reason("context", 99.0, "lightgbm")]) == UNEXPLAINED
    assert classify([]) == UNEXPLAINED and classify(None) == UNEXPLAINED
    assert classify([_reason("unit_price", 2.0), _reason("spike", 2.0)]) == "unit_price"  # first of equals
    assert classify([_reason("spike", None), _reason("unit_error", 0.5)]) == "unit_error"


def test_classify_reads_reason_objects_like_stored_dicts():
    reasons = [
        Reason(
            detector="statistical",
            signal=Signal.LEVEL_SHIFT,
            label="value vs its series' own level",
            feature="z_series",
            observed=5e6,
            expected=1e6,
            unit="USD",
            comparison="vs the series median",
            magnitude=7.0,
        ),
        Reason(
            detector="statistical",
            signal=Signal.PEER_OUTLIER,
            label="value vs HS-month peers",
            feature="z_hs_month",
            observed=5e6,
            expected=2e6,
            unit="USD",
            comparison="vs HS 854231 peers in 2023-03",
            magnitude=4.0,
        ),
    ]
    assert classify(reasons) == classify([r.as_dict() for r in reasons]) == "level_shift"


def test_a_reason_stores_its_signal_as_text_and_refuses_an_unknown_unit():
    fields = {
        "detector": "statistical",
        "label": "unit value vs HS-month peers",
        "feature": "z_uv_hs_month",
        "observed": 1.0,
        "expected": 2.0,
        "comparison": "vs HS 854231 peers in 2023-03",
        "magnitude": 3.0,
    }
    stored = Reason(signal="unit_price", unit="USD/kg", **fields).as_dict()
    assert stored["signal"] == "unit_price" and type(stored["signal"]) is str
    assert pl.Series([[stored]], dtype=REASON_DTYPE)[0][0]["signal"] == "unit_price"
    with pytest.raises(ValueError, match="furlongs"):
        Reason(signal="unit_price", unit="furlongs", **fields)
    with pytest.raises(ValueError):
        Reason(signal="weird", unit="USD", **fields)


def test_unit_errors_are_deviations_near_a_power_of_1000():
    assert ratio_signal(1250.0, 1.0, Signal.UNIT_PRICE) == Signal.UNIT_ERROR
    assert ratio_signal(0.0009, 1.0, Signal.SPIKE) == Signal.UNIT_ERROR
    assert ratio_signal(5.0, 1.0, Signal.UNIT_PRICE) == Signal.UNIT_PRICE
    assert ratio_signal(30.0, 1.0, Signal.SPIKE) == Signal.SPIKE  # x30 is a big move, not a unit slip
    assert ratio_signal(None, 1.0, Signal.SPIKE) == ratio_signal(1.0, 0.0, Signal.SPIKE) == Signal.SPIKE


def test_every_demo_label_kind_maps_to_a_signal():
    assert set(demo_anomalies.KINDS) <= set(LABEL_SIGNALS)
    assert LABEL_SIGNALS["mirror_under"] == Signal.MIRROR_GAP
    assert all(isinstance(s, Signal) for s in LABEL_SIGNALS.values())


def test_old_kind_names_resolve_and_an_unknown_one_is_a_clear_error():
    assert kinds_for("surge") == ("spike", "level_shift")
    assert kinds_for("value_outlier") == ("peer_outlier", "model_residual", "multivariate_outlier")
    assert kinds_for("peer_outlier") == ("peer_outlier",) and kinds_for("unexplained") == ("unexplained",)
    assert all(set(targets) <= set(KINDS) for targets in KIND_ALIASES.values())
    assert "context" not in KINDS
    with pytest.raises(InvalidArgumentError) as caught:
        kinds_for("nonsense")
    assert caught.value.http_status == 422 and "'nonsense'" in str(caught.value)
    assert "spike" in caught.value.hint and "surge" in caught.value.hint


def test_every_kind_reads_in_words():
    words = [describe(kind) for kind in KINDS] + [describe("context")]
    assert all(words) and len(set(words)) == len(words)
    assert describe("sanctions_exposure") == "sanctions exposure"


@pytest.fixture(scope="module")
def scored(small_world) -> pl.DataFrame:
    """The demo world scored by the quick detectors and a small boosted one (context reasons too)."""
    features, _ = small_world
    detectors = [
        StatisticalDetector(),
        SanctionsExposureDetector(),
        DiversionDetector(),
        BoostedDetector("lightgbm", n_trees=30),
    ]
    return score_table(features, detectors, explain_top=3000).table


def test_the_polars_rule_equals_the_python_rule_on_a_scored_demo_table(scored):
    odd = pl.Series(
        "reasons",
        [
            None,
            [],
            [{"detector": "lightgbm", "signal": "context", "magnitude": 5.0}],
            [
                {"detector": "statistical", "signal": "spike", "magnitude": math.nan},
                {"detector": "statistical", "signal": "unit_price", "magnitude": 1.0},
            ],
            [
                {"detector": "statistical", "signal": "unit_price", "magnitude": 2.0},
                {"detector": "statistical", "signal": "spike", "magnitude": 2.0},
            ],
        ],
        dtype=REASON_DTYPE,
    )
    reasons = pl.concat([scored["reasons"], odd])
    python = [classify(r) for r in reasons.to_list()]
    vectorised = pl.DataFrame([reasons]).select(classify_expr("reasons"))["kind"].to_list()
    assert vectorised == python
    assert python[-5:] == [UNEXPLAINED, UNEXPLAINED, UNEXPLAINED, "unit_price", "unit_price"]
    assert len(set(python)) >= 5  # the demo table exercises many kinds, not just one


def test_a_missing_magnitude_ties_with_minus_infinity_in_both_rules() -> None:
    """Python reads a missing or NaN magnitude as -inf, so the first of such reasons wins; so does polars."""
    cases = [
        [_reason("spike", None), _reason("unit_price", -math.inf)],
        [_reason("spike", math.nan), _reason("unit_price", -math.inf)],
        [_reason("spike", -math.inf), _reason("unit_price", None)],
        [_reason("context", 5.0), _reason("spike", None), _reason("unit_price", math.nan)],
    ]
    reasons = pl.Series("reasons", cases, dtype=REASON_DTYPE)
    vectorised = pl.DataFrame([reasons]).select(classify_expr("reasons"))["kind"].to_list()
    assert vectorised == [classify(r) for r in cases] == ["spike"] * 4


def test_kinds_of_the_demo_world_follow_what_was_injected(scored, small_world):
    _, labels = small_world
    kinds = scored.select("flow_id", classify_expr()).join(
        labels.select("flow_id", pl.col("kind").alias("label")).unique("flow_id"), on="flow_id"
    )
    diversions = kinds.filter(pl.col("label") == "diversion")["kind"]
    assert diversions.is_in(["sanctions_exposure", "new_corridor", "diversion"]).mean() > 0.9
    units = kinds.filter(pl.col("label") == "unit_error")["kind"]
    assert (units == "unit_error").mean() > 0.8


def test_history_reasons_tell_a_spike_from_a_level_shift(small_world):
    features, labels = small_world
    detector = StatisticalDetector().fit(features)
    indexed = features.select("flow_id").with_row_index("row")
    for label, signal in (("spike", Signal.SPIKE), ("level_shift", Signal.LEVEL_SHIFT)):
        ids = labels.filter(pl.col("kind") == label)["flow_id"]
        rows = indexed.filter(pl.col("flow_id").is_in(ids.implode()))["row"].to_numpy()
        reasons = [r for rs in detector.explain(features, rows) for r in rs if r.feature == "value_usd"]
        assert len(reasons) >= 10
        assert np.mean([r.signal == signal for r in reasons]) >= 0.8, label


def test_statistical_comparisons_name_the_real_reference(small_world):
    features, _ = small_world
    detector = StatisticalDetector().fit(features)
    rows = np.argsort(-detector.score(features))[:300]
    said = detector.reason_frame(features, rows).join(
        features.select("period", "partner").with_row_index("row").cast({"row": pl.Int64}), on="row"
    )
    assert said.height >= 300
    for r in said.iter_rows(named=True):
        month = r["period"]
        if r["label"] == "value vs its own level before" and "season-adjusted" in r["comparison"]:
            assert r["comparison"].startswith("vs its level in ")
        if r["label"] == "value vs the months around it":
            assert r["comparison"].endswith(f"without {month:%Y-%m}")
        if r["feature"] == "mirror_gap":
            assert r["partner"] in r["comparison"]


@pytest.fixture(scope="module")
def corner(small_world) -> pl.DataFrame:
    """A few HS codes of the demo world, chosen to hold injected anomalies of every kind."""
    features, labels = small_world
    flagged = features.join(labels.select("flow_id", "kind"), on="flow_id")
    codes = flagged.group_by("kind").agg(pl.col("hs_code").mode().first())["hs_code"].to_list()
    return features.filter(pl.col("hs_code").is_in(codes))


QUICK = {
    "transformer": {"epochs": 1, "max_train_windows": 512},
    "lightgbm": {"n_trees": 30},
    "xgboost": {"n_trees": 30},
}
"""Smaller settings where a default fit is slow (constructors only store parameters): this test is
about what the reasons say, not how well the model fits."""


@pytest.fixture(scope="module")
def annual_corner() -> pl.DataFrame:
    """A small annual world, for a detector made for annual rows (the partner's report)."""
    flows = build_world(WORLDS["tune-a"], scale=0.02).flows.sort(CANONICAL_ORDER)
    return build_features(flows, programmes=country_programmes(), controlled=controlled_hs()).collect()


@pytest.mark.parametrize("name", sorted(FACTORIES))
def test_every_detector_explains_with_a_signal_a_unit_and_a_comparison(name, corner, annual_corner):
    detector = FACTORIES[name](Setup(seed=0)).set_params(**QUICK.get(name, {}))
    table = corner
    try:
        detector.fit(table)
    except DetectorSkipped:  # made for the other frequency
        table = annual_corner
        detector.fit(table)
    rows = np.argsort(-detector.score(table), kind="stable")[:40]
    reasons = [r for rs in detector.explain(table, rows) for r in rs]
    assert reasons, name
    for reason in reasons:
        assert isinstance(reason.signal, Signal) and reason.detector == name
        assert reason.unit in UNITS and reason.comparison.startswith(("vs ", "raises ", "lowers "))
        assert reason.label and reason.feature and np.isfinite(reason.magnitude)
    kinds = {r.signal for r in reasons}
    assert (Signal.CONTEXT in kinds) == (name in ("lightgbm", "xgboost"))
