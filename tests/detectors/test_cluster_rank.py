"""Calibration and rank on the workers (detectors.cluster_rank): the nulls equal the in-process fits,
the tiers and the top of the rank equal in-process ones, metrics agree; the client gets summaries."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest

from tradesentinel.detectors.calibration import CountTail, SparseTail, fit_tail
from tradesentinel.detectors.cluster_calibration import compress, fit_tails
from tradesentinel.detectors.ensemble import REVIEW_SHARE, tier_cut
from tradesentinel.detectors.evaluate import evaluate
from tradesentinel.detectors.stages import score_flows
from tradesentinel.pipeline.distributed import features_on_cluster
from tradesentinel.storage import read_table


def _columns(rng: np.random.Generator, n: int) -> dict[str, np.ndarray]:
    rule = np.where(rng.random(n) < 0.05, rng.integers(1, 40, n).astype(float), 0.0)
    dense = rng.standard_t(3, n)
    dense[rng.random(n) < 0.01] = np.nan  # cleaned to 0, as in-process
    return {"dense": dense, "rule": rule, "flat": np.full(n, 2.0)}


def test_count_tail_gives_sparse_tail_p_exactly_and_compression_keeps_counts_at_kept_values():
    rng = np.random.default_rng(1)
    scores = np.where(rng.random(5000) < 0.1, rng.integers(1, 500, 5000).astype(float), -1.0)
    values, rows = np.unique(scores[scores > -1.0], return_counts=True)
    tail = CountTail(-1.0, values, np.cumsum(rows[::-1])[::-1], len(scores))
    probe = np.concatenate([scores, [-5.0, 0.5, 1e9, np.nan]])
    assert np.array_equal(tail.p_values(probe), SparseTail.fit(scores).p_values(probe))
    kept, counts = compress(values, rows, 50)
    assert len(kept) <= 50 and kept[-1] == values[-1] and counts.sum() == rows.sum()
    exact = {v: r for v, r in zip(values, np.cumsum(rows[::-1])[::-1], strict=True)}
    assert all(exact[v] == c for v, c in zip(kept, np.cumsum(counts[::-1])[::-1], strict=True))


def test_nulls_from_merged_summaries_equal_the_in_process_fits(dask_world):
    from distributed import Client

    _, cluster = dask_world
    rng = np.random.default_rng(7)
    parts = [_columns(rng, n) for n in (3000, 1, 5000, 2000)]
    whole = {c: np.concatenate([p[c] for p in parts]) for c in parts[0]}
    with Client(cluster) as client:
        models = fit_tails(client, client.scatter(parts), list(whole))
    for name, values in whole.items():
        assert np.array_equal(models[name].p_values(values), fit_tail(values).p_values(values)), name
    assert isinstance(models["rule"], CountTail) and isinstance(fit_tail(whole["rule"]), SparseTail)


@pytest.fixture(scope="module")
def featurised(dask_world):
    settings, _ = dask_world
    features_on_cluster(settings)
    return settings


def _scored(settings, names: list[str], engine: str, ranking: str = "cluster") -> pl.DataFrame:
    settings = settings.model_copy(update={"dask_ranking": ranking})
    score_flows(settings, names, engine=engine, track=False)
    return read_table(settings.table_path("scores"), "scores").collect().sort("flow_id")


def _top(table: pl.DataFrame, share: float) -> set[str]:
    return set(table.filter(pl.col("rank") <= tier_cut(share, table.height))["flow_id"])


def _metrics(table: pl.DataFrame, labels: pl.DataFrame) -> dict:
    overall = evaluate(table, labels).filter(kind="all", detector="ensemble")
    return overall.select("average_precision", "recall_at_budget", "precision_at_1000").row(0, named=True)


def test_cluster_ranking_of_exact_detectors_equals_in_process_within_the_tiers(featurised):
    names = ["statistical", "sanctions"]
    local = _scored(featurised, names, "local")
    cluster = _scored(featurised, names, "dask")
    for column in ("flow_id", "score", "tier", "score_statistical", "score_sanctions"):
        assert cluster[column].equals(local[column]), column
    k = tier_cut(REVIEW_SHARE, local.height)
    inside = (local["rank"] <= k).to_numpy()
    assert np.array_equal(cluster["rank"].to_numpy()[inside], local["rank"].to_numpy()[inside])
    assert (cluster["rank"].to_numpy()[~inside] > k).all()
    top = local.filter(pl.col("rank") <= k).sort("rank")
    assert cluster.filter(pl.col("rank") <= k).sort("rank")["reasons"].equals(top["reasons"])
    spearman = np.corrcoef(cluster["rank"].rank().to_numpy(), local["rank"].rank().to_numpy())[0, 1]
    assert spearman > 0.99


def test_cluster_ranking_with_a_corroborating_model_agrees_with_the_exact_ranking(featurised):
    names = ["statistical", "sanctions", "iforest"]
    exact = _scored(featurised, names, "dask", "exact")
    cluster = _scored(featurised, names, "dask")
    overlap = len(_top(exact, 0.01) & _top(cluster, 0.01)) / len(_top(exact, 0.01))
    assert overlap >= 0.98
    labels = read_table(featurised.table_path("labels"), "labels").collect()
    want, got = _metrics(exact, labels), _metrics(cluster, labels)
    assert all(abs(want[m] - got[m]) < 0.005 for m in want), (want, got)
    assert cluster["score"].equals(exact["score"])
