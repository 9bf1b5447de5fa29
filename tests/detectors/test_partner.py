"""The partner's report as a second witness: an annual year both sides report away from their
years around is corroborated, one side's departure alone is not, and the ensemble counts the
witness on its own beside the models' median, never raising a row the test does not find."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest

from tests.detectors.test_statistical import _pair
from tradesentinel.detectors.base import DetectorSkipped
from tradesentinel.detectors.ensemble import Member, combine, family_evidence, member_of
from tradesentinel.detectors.partner import PartnerDetector, agreement
from tradesentinel.detectors.statistical import StatisticalDetector


@pytest.fixture(scope="module")
def world() -> pl.DataFrame:
    """40 steady pairs (2005-2019), one pair whose trade doubled in 2012 (both reports) and one
    whose exporter alone reported 2012 at 2.5 times (a slip in one side's books)."""
    rng = np.random.default_rng(11)
    trend = 1e7 * np.exp(0.04 * np.arange(15))

    def noisy() -> np.ndarray:
        return trend * np.exp(rng.normal(0, 0.08, 15))

    frames = []
    for i in range(40):
        frames += _pair(f"R{i:02d}", noisy(), noisy())
    both_i, both_x, one_i, one_x = noisy(), noisy(), noisy(), noisy()
    both_i[7] *= 2.0
    both_x[7] *= 2.0
    one_x[7] *= 2.5
    return pl.concat([*_pair("TRD", both_i, both_x), *_pair("ONE", one_i, one_x), *frames])


def _row(features: pl.DataFrame, reporter: str, partner: str, year: int) -> int:
    at = features.with_row_index("i").filter(
        (pl.col("reporter") == reporter)
        & (pl.col("partner") == partner)
        & (pl.col("period").dt.year() == year)
    )
    return int(at["i"].item())


def test_agreement_is_the_smaller_departure_where_both_point_the_same_way():
    own = np.array([3.0, 3.0, -4.0, 2.0, np.nan])
    partner = np.array([5.0, -5.0, -1.5, np.nan, 2.0])
    np.testing.assert_array_equal(agreement(own, partner), [3.0, 0.0, 1.5, 0.0, 0.0])


def test_a_year_both_sides_report_moved_is_witnessed_and_one_sides_slip_is_not(world):
    detector = PartnerDetector().fit(world)
    scores = detector.score(world)
    both = [_row(world, "TRD", "DEU", 2012), _row(world, "DEU", "TRD", 2012)]
    slip, its_mirror = _row(world, "DEU", "ONE", 2012), _row(world, "ONE", "DEU", 2012)
    assert scores[both].min() > 4  # both reports departed by about log 2 / 0.08 noise
    assert scores[slip] < 1 and scores[its_mirror] < 1  # the importer's report did not move
    assert np.quantile(scores, 0.99) < scores[both].min()
    (reasons,) = detector.explain(world, np.array([both[1]]))
    (reason,) = reasons
    assert reason.detector == "partner" and reason.unit == "USD"
    assert reason.observed == pytest.approx(world["value_usd"][both[0]])  # TRD's own report
    assert reason.comparison.startswith("vs 2010..2014 without 2012, in TRD's report of the same trade")
    assert reason.expected < reason.observed / 1.5


def test_the_witness_sorts_the_tests_findings_in_the_ensemble(world):
    """The test alone finds the slip stronger; the departure the partner's report confirms ranks
    above it once the witness runs."""
    statistical = StatisticalDetector().fit(world)
    partner = PartnerDetector().fit(world)
    raw = {"statistical": statistical.score(world), "partner": partner.score(world)}
    members = {"statistical": member_of(statistical), "partner": member_of(partner)}
    assert members["partner"].witness and members["partner"].corroborates
    both, slip = _row(world, "DEU", "TRD", 2012), _row(world, "DEU", "ONE", 2012)
    _, alone, _ = combine({"statistical": raw["statistical"]}, {"statistical": members["statistical"]})
    assert alone[slip] < alone[both]
    _, rank, _ = combine(raw, members)
    assert rank[both] < rank[slip]


def test_a_witness_counts_on_its_own_beside_the_models_median_and_never_alone():
    p = lambda s: np.array([10.0**-s])  # a tail probability of surprisal s
    members = {
        "test": Member("value"),
        "model_a": Member("value", corroborates=True),
        "model_b": Member("value", corroborates=True),
        "model_c": Member("value", corroborates=True),
        "partner": Member("value", corroborates=True, witness=True),
    }
    quiet = {"test": p(3.0), "model_a": p(0.2), "model_b": p(0.1), "model_c": p(0.3)}
    assert family_evidence({**quiet, "partner": p(0.0)}, members)["value"][0] == pytest.approx(3.2)
    # as a fourth model the partner would move the median to 0.25; as a witness it corroborates
    assert family_evidence({**quiet, "partner": p(2.5)}, members)["value"][0] == pytest.approx(5.5)
    assert family_evidence({**quiet, "partner": p(9.0)}, members)["value"][0] == pytest.approx(6.0)
    unfound = {**quiet, "test": p(0.0), "partner": p(9.0)}
    assert family_evidence(unfound, members)["value"][0] == pytest.approx(0.0)


def test_a_table_without_annual_rows_or_their_partners_reports_skips_the_detector(world):
    monthly = world.with_columns(pl.lit("M").alias("freq"))
    with pytest.raises(DetectorSkipped, match="no annual rows"):
        PartnerDetector().fit(monthly)
    one_side = world.filter(pl.col("flow") == "X")
    with pytest.raises(DetectorSkipped, match="partner's report"):
        PartnerDetector().fit(one_side)
