"""Diversion from trade patterns: deflection (one leg) on real-shaped EU data, two legs through hubs,
the diversion table the assistant reads, and the score run that writes it."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest

from benchmarks.worlds import WORLDS, load_world
from benchmarks.worlds.generate import build_world
from tradesentinel.detectors.classical import ClassicalDetector
from tradesentinel.detectors.diversion import DiversionDetector
from tradesentinel.detectors.ensemble import score_table
from tradesentinel.detectors.sanctions import SanctionsExposureDetector
from tradesentinel.detectors.statistical import StatisticalDetector
from tradesentinel.pipeline.features import CANONICAL_ORDER, build_features
from tradesentinel.reference import controlled_hs, country_programmes
from tradesentinel.schema import DIVERSION


def _features(flows: pl.DataFrame) -> pl.DataFrame:
    return build_features(
        flows.sort(CANONICAL_ORDER), programmes=country_programmes(), controlled=controlled_hs()
    ).collect()


@pytest.fixture(scope="module")
def deflection() -> tuple[pl.DataFrame, pl.DataFrame]:
    world = load_world("deflection", scale=0.1)
    return _features(world.flows), world.labels


def test_deflection_flags_the_neighbour_surges_not_the_collapse(deflection):
    features, labels = deflection
    detector = DiversionDetector().fit(features)
    score = detector.score(features)
    surging = features["flow_id"].is_in(labels["flow_id"].implode()).to_numpy()
    flagged = score > 0
    assert flagged[surging].mean() > 0.5  # most surging neighbour flows (the rest are a few dollars)
    assert not flagged[(features["partner"] == "RUS").to_numpy()].any()  # the collapse is not diversion
    top = features[np.argsort(-score)[:50]]
    assert (
        top["partner"].is_in(["ARM", "KGZ", "KAZ"]).all()
        and top["hs_code"].str.starts_with("8542").mean() > 0.5
    )
    (reasons,) = detector.explain(features, np.argsort(-score)[:1])
    assert reasons[0].signal == "diversion" and "(deflection)" in reasons[0].label
    assert "exports to RUS x0." in reasons[0].comparison


def test_the_diversion_table_has_its_schema_and_its_flows(deflection):
    features, _ = deflection
    table = DiversionDetector().fit(features).corridors_
    assert dict(table.schema) == DIVERSION and table.height > 0
    found = table.filter(pl.col("pattern") == "deflection").row(0, named=True)
    assert found["destination"] == "RUS" and found["destination_listed"] and found["growth"] > 2
    assert found["destination_change"] < 0.5 and found["hub"] in ("ARM", "KGZ", "KAZ")
    assert found["n_flows"] == len(found["flow_ids"]) and set(found["flow_ids"]) <= set(features["flow_id"])
    assert found["window_start"] >= found["baseline_end"]


def test_two_legs_through_hubs_and_annual_tables():
    for spec, floor in ((WORLDS["tune"], 0.6), (WORLDS["tune-a"], 0.6)):
        world = build_world(spec, scale=0.1)
        features = _features(world.flows)
        detector = DiversionDetector().fit(features)
        labelled = features["flow_id"].is_in(
            world.labels.filter(pl.col("kind") == "diversion")["flow_id"].implode()
        )
        assert (detector.score(features)[labelled.to_numpy()] > 0).mean() > floor, spec.name
        legs = detector.corridors_.filter(pl.col("pattern") == "two_legs")
        assert legs.height and legs["destination"].is_in([spec.target]).any()
        assert (detector.corridors_["freq"] == spec.freq).all()


def test_no_pattern_no_table_rows(small_world):
    features, _ = small_world
    quiet = features.filter(pl.col("hs_code") == features["hs_code"].min())
    detector = DiversionDetector().fit(quiet)
    assert detector.corridors_.schema == pl.Schema(DIVERSION)
    assert np.isfinite(detector.score(quiet)).all()


def test_the_ensembles_top_100_is_material_deflection_not_the_collapse(deflection):
    """Issue #15's real case: the top of the ranking an analyst reads is the neighbours' surge,
    with money at stake, not the collapsed (and tiny) flows to the sanctioned destination."""
    features, labels = deflection
    detectors = [
        StatisticalDetector(),
        SanctionsExposureDetector(),
        DiversionDetector(),
        ClassicalDetector("iforest"),
    ]
    top = score_table(features, detectors).table.head(100)
    surging = top["flow_id"].is_in(labels["flow_id"].implode())
    assert surging.mean() >= 0.8
    assert (top["partner"] != "RUS").all()
    assert (top["value_at_stake_usd"] >= 10_000).mean() >= 0.8  # material, in USD
    assert top["tier"].is_in(["high", "medium"]).all()
