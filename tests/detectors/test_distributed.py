"""Scoring on Dask: exact detectors give the in-process scores, ranks and reasons; sample-fitted ones agree."""

from __future__ import annotations

import os

import numpy as np
import polars as pl
import pytest

from tradesentinel.detectors.boosted import BoostedDetector, context_matrix
from tradesentinel.detectors.evaluate import evaluate
from tradesentinel.detectors.sampled import EXACT, in_sample
from tradesentinel.detectors.stages import score_flows
from tradesentinel.pipeline.distributed import features_on_cluster
from tradesentinel.storage import TableNotFoundError, read_table


@pytest.fixture(scope="module")
def featurised(dask_world):
    settings, _ = dask_world
    features_on_cluster(settings)
    return settings


def _scores(settings, engine_dask: bool, names: list[str], ranking: str = "exact") -> pl.DataFrame:
    if engine_dask:
        settings = settings.model_copy(update={"dask_ranking": ranking})
        score_flows(settings, names, engine="dask", track=False)
    else:
        score_flows(settings, names, track=False)
    return read_table(settings.table_path("scores"), "scores").collect().sort("flow_id")


def _spearman(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.corrcoef(pl.Series(a).rank().to_numpy(), pl.Series(b).rank().to_numpy())[0, 1])


def test_statistical_and_sanctions_scores_ranks_and_reasons_equal_in_process(featurised):
    """With the exact ranking option (raw scores gathered on the client) the whole table is equal."""
    names = ["statistical", "sanctions"]
    local = _scores(featurised, False, names)
    distributed = _scores(featurised, True, names)
    for column in local.columns:  # column by column, so a failure names the one that differs
        assert distributed[column].equals(local[column]), column
    assert distributed.columns == local.columns
    assert distributed.filter(pl.col("rank") <= 300)["reasons"].list.len().min() > 0


def test_sample_fitted_detectors_agree_and_the_ensemble_finds_the_same_anomalies(featurised):
    names = ["statistical", "sanctions", "iforest"]
    local = _scores(featurised, False, names)
    distributed = _scores(featurised, True, names)
    assert distributed["flow_id"].equals(local["flow_id"])
    for exact in EXACT:
        assert distributed[f"score_{exact}"].equals(local[f"score_{exact}"])
    assert _spearman(distributed["score_iforest"], local["score_iforest"]) > 0.9
    assert _spearman(distributed["rank"], local["rank"]) > 0.9
    labels = read_table(featurised.table_path("labels"), "labels").collect()
    quality = {
        engine: evaluate(table, labels).filter(kind="all", detector="ensemble")["average_precision"].item()
        for engine, table in (("local", local), ("dask", distributed))
    }
    assert quality["dask"] > 0.9 * quality["local"] > 0.1


def test_samples_are_seeded_and_boosted_rows_are_scored_by_a_model_that_never_saw_them(small_world):
    features, _ = small_world
    series = ["reporter", "partner", "flow", "hs_code"]
    whole = in_sample(features, 0.3, seed=7, whole_series=True)
    sizes = features.group_by(series).len().join(whole.group_by(series).len(), on=series)
    assert (sizes["len"] == sizes["len_right"]).all() and 0.2 < whole.height / features.height < 0.4
    sample = in_sample(features, 0.3, seed=7)
    assert sample.equals(in_sample(features, 0.3, seed=7)) and 0.25 < sample.height / features.height < 0.35
    detector = BoostedDetector("lightgbm", n_trees=30, seed=1).fit(sample)
    scores = detector.score(features)
    assert np.isfinite(scores).all() and len(scores) == features.height
    fold, hashed = detector.folds(sample)
    x, _ = context_matrix(sample, detector.vocab_)
    y = sample["log_value"].to_numpy()
    expected = detector.expected(sample)["log_value"]
    for f in range(2):  # refit without a fold's rows: its rows get the very same expectations
        train = np.flatnonzero((fold != f) & np.isfinite(y))
        train = train[np.argsort(hashed[train], kind="stable")]
        refit = detector._predict(detector._train(x[train], y[train]), x[fold == f])
        assert np.allclose(refit, expected[fold == f])
    assert (
        _spearman(scores, BoostedDetector("lightgbm", n_trees=30, seed=1).fit(features).score(features)) > 0.5
    )


def test_scoring_refuses_features_built_from_other_flows(featurised):
    flows = featurised.table_path("flows")
    before = flows.stat()
    os.utime(flows, ns=(before.st_atime_ns, before.st_mtime_ns + 10**9))  # as if flows were re-ingested
    try:
        with pytest.raises(TableNotFoundError, match="features --engine dask"):
            score_flows(featurised, ["sanctions"], engine="dask", track=False)
    finally:
        os.utime(flows, ns=(before.st_atime_ns, before.st_mtime_ns))


def test_a_dask_run_reaches_mlflow_like_a_local_one(featurised):
    import mlflow

    local = score_flows(featurised, ["sanctions"])
    dask = score_flows(featurised, ["sanctions"], engine="dask")
    assert dask.engine == "dask" and dask.n_parts >= 2 and dask.n_rows == local.n_rows
    mlflow.set_tracking_uri(f"sqlite:///{featurised.data_dir.resolve() / 'mlflow.db'}")
    runs = mlflow.search_runs(experiment_names=["tradesentinel-detectors"]).set_index("run_id")
    for report, engine in ((local, "local"), (dask, "dask")):
        run = runs.loc[report.run_id]
        assert run["params.engine"] == engine and run["params.detectors"] == "sanctions"
        assert run["params.rows"] == str(report.n_rows) and run["metrics.seconds_total"] > 0
        models = {a.path for a in mlflow.MlflowClient().list_artifacts(report.run_id, "models")}
        assert models == {"models/sanctions.joblib"}
    assert runs.loc[dask.run_id, "params.parts"] == str(dask.n_parts)
