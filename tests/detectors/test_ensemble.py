"""The ensemble: calibrated on the flows, models corroborate tests, families combine by the harmonic
mean p; the scores table a user reads."""

from __future__ import annotations

import numpy as np
import polars as pl

from tradesentinel.detectors.base import BaseDetector, DetectorSkipped
from tradesentinel.detectors.boosted import BoostedDetector
from tradesentinel.detectors.calibration import SparseTail, TailModel, fit_tail
from tradesentinel.detectors.ensemble import (
    EXPOSURE_WEIGHT,
    THIN,
    Member,
    PriorMean,
    calibrate,
    combine,
    combined_p,
    prior_mean,
    score_table,
    strata,
    tier_column,
    value_at_stake,
)
from tradesentinel.detectors.evaluate import evaluate
from tradesentinel.detectors.sanctions import SanctionsExposureDetector
from tradesentinel.detectors.statistical import StatisticalDetector

RNG = np.random.default_rng(0)


def test_a_top_far_beyond_the_body_is_rarer_than_one_in_n_and_a_smooth_top_is_not():
    body = np.abs(RNG.standard_normal(100_000))
    outlier = np.append(body, 40.0)
    p = TailModel.fit(outlier).p_values(outlier)
    assert p[-1] < 1e-20  # z 40 is far beyond what the body predicts
    smooth = TailModel.fit(body).p_values(body)
    assert smooth.min() > 1 / body.size / 10  # the top of a body is not claimed as anything more
    assert np.all(np.diff(TailModel.fit(body).p_values(np.sort(body))) <= 1e-15)  # monotone


def test_a_heavy_bodied_score_is_not_read_as_far_rarer_than_it_is_and_a_light_one_keeps_its_tail():
    rng = np.random.default_rng(7)  # its own draws: the module's RNG feeds the tests after it
    heavy = np.abs(rng.standard_t(3, 400_000))  # a score whose body already runs wide
    model = TailModel.fit(heavy)
    assert model.shape > 0.2
    far = np.quantile(heavy, [0.999, 0.9999])
    p = model.p_values(far)  # truly 1e-3 and 1e-4: an exponential tail from q90-q99 says 1e-4 and 1e-8
    assert np.all((p > np.array([1e-3, 1e-4]) / 4) & (p < np.array([1e-3, 1e-4]) * 4))
    at_q99 = model.p_values(np.quantile(heavy, [0.9, 0.99]))
    assert np.allclose(at_q99, [0.1, 0.01], rtol=1e-6)  # both tails pass through q90 and q99
    light = np.abs(rng.standard_normal(400_000))  # lighter than exponential: read as exponential
    assert TailModel.fit(light).shape == 0.0


def test_rule_scores_keep_their_empirical_share_and_ties_count():
    rule = np.array([0.0] * 96 + [1.0, 2.0, 2.0, 3.0])
    assert isinstance(fit_tail(rule), SparseTail)
    assert SparseTail.fit(rule).p_values(np.array([3.0, 2.0, 0.0])).tolist() == [0.01, 0.03, 1.0]


def _members() -> dict[str, Member]:
    return {
        "statistical": Member("value"),
        "model_a": Member("value", corroborates=True),
        "model_b": Member("value", corroborates=True),
        "rule": Member("diversion"),
    }


def test_models_corroborate_but_never_raise_a_flow_alone_and_a_strong_test_stays_strong():
    n = 20_000
    raw = {k: np.abs(RNG.standard_normal(n)) for k in ("statistical", "model_a", "model_b")}
    raw["rule"] = np.zeros(n)
    raw["statistical"][0] = 30.0  # a strong finding of the test alone
    raw["model_a"][1] = raw["model_b"][1] = 30.0  # both models, nothing in the test
    raw["statistical"][2], raw["model_a"][2], raw["model_b"][2] = 6.0, 6.0, 6.0  # agreement
    raw["statistical"][3] = 6.0  # the same test evidence, no agreement
    raw["rule"][4] = 5.0  # the only flagged row of a rule
    score, rank, _ = combine(raw, _members())
    assert rank[0] == 1 and score.min() >= 0 and score.max() < 1
    assert rank[2] < rank[3]  # agreement sorts the test's findings
    assert rank[1] > 100  # models alone cannot raise a flow
    assert rank[4] <= 5  # a rule's single flag is among the top
    assert sorted(rank.tolist()) == list(range(1, n + 1))


def test_two_families_surprised_at_once_outrank_one_equally_surprised():
    n = 10_000
    raw = {"statistical": np.abs(RNG.standard_normal(n)), "rule": np.zeros(n), "other": np.zeros(n)}
    raw["rule"][:20] = np.arange(20, 0, -1)  # two rules flag rows 0..19 and 0..9
    raw["other"][:10] = np.arange(10, 0, -1)
    members = {"statistical": Member("value"), "rule": Member("diversion"), "other": Member("sanctions")}
    _, rank, _ = combine(raw, members)
    assert rank[9] < rank[10]  # flagged by both rules, it beats a row flagged by one


def test_exposure_weighs_the_tests_beside_the_diversion_patterns_and_raises_nothing_alone():
    n = 20_000
    raw = {
        "statistical": np.abs(RNG.standard_normal(n)),
        "diversion": np.zeros(n),
        "sanctions": np.zeros(n),
    }
    raw["sanctions"][:400] = np.linspace(1.0, 0.05, 400)  # 2% exposed, graded; nothing else unusual
    raw["statistical"][[0, 400]] = 5.0  # the same finding, exposed (row 0) and not (row 400)
    members = {
        "statistical": Member("value"),
        "diversion": Member("diversion", calibrated=True),
        "sanctions": Member("sanctions", weighs="diversion"),
    }
    score, rank, tails = combine(raw, members)
    assert rank[0] < rank[400] <= 5  # exposure raises a finding; the unexposed one stays near the top
    assert (rank[1:400] <= n // 100).sum() < 40  # exposure alone claims little of the top 1%
    tests = {k: members[k] for k in ("statistical", "diversion")}
    p_tests = (1 - combine({k: raw[k] for k in tests}, tests)[0]) ** 10
    p_final = (1 - score) ** 10
    below_one = p_final[400:] < 1
    ratio = p_final[400:][below_one] / p_tests[400:][below_one]
    mean_weight = 1 + EXPOSURE_WEIGHT * raw["sanctions"].sum() / n
    assert np.allclose(ratio, mean_weight)  # weights average 1: the rest pay this little
    assert tails["sanctions"][:100].max() <= 0.01  # its own tail still gives its reasons
    alone = {k: members[k] for k in ("statistical", "sanctions")}  # no pattern test: the rule is one
    _, rank_alone, _ = combine({k: raw[k] for k in alone}, alone)
    assert (rank_alone[1:400] <= n // 100).sum() > 80


def test_the_prior_weight_merged_from_parts_gives_each_part_the_whole_runs_p():
    n = 9_000
    raw = {
        "statistical": np.abs(RNG.standard_normal(n)),
        "diversion": np.where(RNG.random(n) < 0.01, RNG.uniform(1, 6, n), 0.0),
        "sanctions": np.where(RNG.random(n) < 0.03, RNG.uniform(0, 1, n), 0.0),
    }
    members = {
        "statistical": Member("value"),
        "diversion": Member("diversion", calibrated=True),
        "sanctions": Member("sanctions", weighs="diversion"),
    }
    tails = calibrate(raw, members)
    whole = combined_p(raw, tails, members)
    parts = np.array_split(RNG.permutation(n), 4)  # the parts of a cluster run, rows in any order
    sums = [prior_mean({k: v[rows] for k, v in raw.items()}, members) for rows in parts]
    run = PriorMean(sum(x.total for x in sums), sum(x.rows for x in sums))
    for rows in parts:
        mine = combined_p(
            {k: v[rows] for k, v in raw.items()}, {k: v[rows] for k, v in tails.items()}, members, {}, run
        )
        assert np.allclose(mine, whole[rows], rtol=1e-12, atol=0)
    assert prior_mean({"statistical": raw["statistical"]}, {"statistical": Member("value")}).rows == 0


def test_score_table_ranks_injected_anomalies_explains_and_notes_skipped_detectors(small_world):
    features, labels = small_world

    class Empty(BaseDetector):
        name = "empty"

        def _fit(self, features):
            raise DetectorSkipped(self.name, "nothing to learn here")

        def _score(self, features):
            raise AssertionError("never scored")

        def _reasons(self, features, rows):
            raise AssertionError("never explained")

    detectors = [
        StatisticalDetector(),
        SanctionsExposureDetector(),
        BoostedDetector("xgboost", n_trees=40),
        Empty(),
    ]
    scored = score_table(features, detectors, explain_top=200)
    table = scored.table
    assert scored.notes == {"empty": "nothing to learn here"}
    assert table.height == features.height and set(scored.seconds) >= {
        "statistical",
        "sanctions",
        "xgboost",
        "reasons",
    }
    assert {"score", "rank", "score_statistical", "score_sanctions", "score_xgboost", "reasons"} <= set(
        table.columns
    )
    assert "score_empty" not in table.columns
    assert table["rank"].to_list()[:3] == [1, 2, 3]
    top = table.head(200)
    assert top["reasons"].list.len().min() > 0
    first = top["reasons"][0][0]
    assert set(first) == {
        "detector",
        "signal",
        "label",
        "feature",
        "observed",
        "expected",
        "unit",
        "comparison",
        "magnitude",
    }
    metrics = evaluate(table, labels).filter(kind="all")
    ensemble = metrics.filter(detector="ensemble").row(0, named=True)
    best_single = metrics.filter(pl.col("detector") != "ensemble")["average_precision"].max()
    assert ensemble["average_precision"] >= best_single - 0.01
    assert ensemble["recall_at_budget"] > 0.8
    n = table.height  # tiers are shares of the run: computed here from rank alone
    for name, share in (("high", 0.001), ("medium", 0.01), ("review", 0.05)):
        cut = max(1, -(-n * share // 1))
        assert table.filter(pl.col("rank") <= cut)["tier"].null_count() == 0, name
    assert table.filter(pl.col("rank") <= max(1, -(-n * 0.001 // 1)))["tier"].unique().to_list() == ["high"]
    assert (
        table.filter(pl.col("rank") > -(-n * 0.05 // 1))["tier"].null_count()
        == table.filter(pl.col("rank") > -(-n * 0.05 // 1)).height
    )
    review = table.filter(pl.col("tier").is_not_null())
    assert review["reasons"].list.len().min() > 0  # every flow in a tier is explained
    money = review.filter(pl.col("value_at_stake_usd").is_not_null())
    assert money.height >= 0.9 * review.height and (money["value_at_stake_usd"] >= 0).all()


def test_value_at_stake_follows_each_reasons_unit_and_takes_the_largest():
    features = pl.DataFrame(
        {
            "value_usd": [1_000.0, 50_000.0, 2_000.0, 700.0, 10.0],
            "net_weight_kg": [100.0, None, 400.0, 7.0, 1.0],
        }
    )

    def reason(row, signal, unit, observed, expected):
        return {"row": row, "signal": signal, "unit": unit, "observed": observed, "expected": expected}

    found = pl.DataFrame(
        [
            reason(0, "spike", "USD", 1_000.0, 9_000.0),  # |1,000 - 9,000| = 8,000
            reason(0, "unit_price", "USD/kg", 10.0, 2.0),  # 8 USD/kg x 100 kg = 800
            reason(1, "unit_price", "USD/kg", 5.0, 1.0),  # no weight: 50,000 x |1 - 1/5| = 40,000
            reason(2, "sanctions_exposure", "USD", 2_000.0, None),  # the flow's value
            reason(2, "context", "USD", 2_000.0, 10.0),  # a model's driver: never money at stake
            reason(3, "multivariate_outlier", "z", 9.0, 0.0),  # no money in a z-score
        ],
        schema_overrides={"row": pl.Int64, "expected": pl.Float64},
    )
    stake = value_at_stake(features, found).to_list()
    assert stake == [8_000.0, 40_000.0, 2_000.0, None, None]


def test_tiers_are_shares_of_the_whole_run_even_for_one_partition():
    rank = np.array([1, 2, 10, 11, 50, 51])
    assert tier_column(rank, 1_000).to_list() == ["high", "medium", "medium", "review", "review", None]
    assert tier_column(np.array([1]), 1).to_list() == ["high"]


def test_a_self_calibrated_score_claims_at_most_its_empirical_share_and_keeps_a_stronger_claim():
    raw = {"pattern": np.array([0.0] * 9_990 + [2.0] * 8 + [3.0, 12.0])}
    p = calibrate(raw, {"pattern": Member("diversion", calibrated=True)})["pattern"]
    assert p[-1] == 1e-12  # its own claim, stronger than one in the 10,000 rows
    assert p[-2] == 2 / 10_000  # 10^-3 is more cautious than the 2 rows of 10,000 scoring >= 3
    assert p[-3] == 10 / 10_000  # 10^-2 vs 10 rows of 10,000: the share
    assert p[0] == 1.0


def test_a_models_wide_scores_beside_series_edges_are_read_against_those_rows():
    """Models score a series' first and last periods high whatever happens there (growth and z
    within the series run wide without history). Read against every row, that agreement lifts
    ordinary edge rows over the test's findings; read against the rows beside an edge or gap, it
    does not, while the models still sort the findings within each stratum."""
    n = 20_000
    thin = np.zeros(n, dtype=bool)
    thin[n // 2 :] = True  # half the rows stand beside an edge or gap
    raw = {"statistical": np.abs(RNG.standard_normal(n))}
    for name in ("model_a", "model_b"):
        raw[name] = np.abs(RNG.standard_normal(n)) + np.where(thin, 3.0, 0.0)  # wide at the edges
    raw["rule"] = np.zeros(n)
    findings = np.arange(20)  # inner rows the test finds, mildly: p about 1e-3
    raw["statistical"][findings] = 3.3
    edge_rows = np.arange(n // 2, n // 2 + 200)  # ordinary edge rows the test finds a little odd
    raw["statistical"][edge_rows] = 2.9
    pooled = combine(raw, _members())[1]
    apart = combine(raw, _members(), thin=thin)[1]
    assert np.median(pooled[findings]) > np.median(pooled[edge_rows])  # lifted over the findings
    assert np.median(apart[findings]) < np.median(apart[edge_rows])
    p = calibrate(raw, _members(), thin=thin)["model_a"]
    assert 0.3 < np.median(p[thin]) < 0.7 and 0.3 < np.median(p[~thin]) < 0.7


def test_nulls_fitted_per_stratum_elsewhere_give_the_in_process_calibration():
    """A partition reads each model's rows against the run's null of their stratum (fitted from the
    `strata` columns, as the cluster does): the same p as calibrating the whole table at once."""
    n = 5_000
    thin = RNG.random(n) < 0.3
    raw = {"statistical": np.abs(RNG.standard_normal(n)), "model_a": RNG.standard_t(3, n) + 2 * thin}
    raw |= {"model_b": np.abs(RNG.standard_normal(n)), "rule": np.zeros(n)}
    members = _members()
    nulls = {name: fit_tail(values) for name, values in strata(raw, members, thin).items()}
    assert set(nulls) == {"statistical", "rule", "model_a", "model_b", "model_a" + THIN, "model_b" + THIN}
    here = calibrate(raw, members, thin=thin)
    part = slice(1000, 2500)
    there = calibrate({k: v[part] for k, v in raw.items()}, members, nulls, thin[part])
    for name in raw:
        assert np.allclose(there[name], here[name][part]), name
