"""The CLI end to end, as a user runs it: demo, ingest, features, and their errors."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest
from typer.testing import CliRunner

from tradesentinel.cli import app
from tradesentinel.config import get_settings
from tradesentinel.storage import read_table

runner = CliRunner()
HEADER = "period,reporter,partner,flow,hs_code,value_usd,net_weight_kg\n"


def _invoke(*args: str):
    return runner.invoke(app, list(args), catch_exceptions=False)


def test_demo_builds_flows_labels_features_and_scores(settings):
    result = _invoke("demo", "--scale", "0.1", "--detectors", "statistical,sanctions", "--no-index")
    assert result.exit_code == 0, result.output
    assert "DEMO" in result.output and "scored in" in result.output
    flows = read_table(settings.table_path("flows"), "flows").collect()
    features = read_table(settings.table_path("features"), "features").collect()
    labels = read_table(settings.table_path("labels"), "labels").collect()
    assert flows.height == features.height > 1000
    assert set(labels["flow_id"]) <= set(flows["flow_id"])
    assert (flows["source"] == "demo").all()
    scores = read_table(settings.table_path("scores"), "scores").collect()
    assert scores.height == flows.height and scores["rank"].min() == 1
    assert {"score_statistical", "score_sanctions"} <= set(scores.columns)


def test_ingest_then_features(settings, tmp_path):
    csv = tmp_path / "flows.csv"
    csv.write_text(
        HEADER
        + "".join(
            f"2021-{m:02d},USA,CHN,M,851712,{1000 + m},{10 + m}\n2021-{m:02d},CHN,USA,X,851712,{950 + m},{10 + m}\n"
            for m in range(1, 13)
        )
    )
    result = _invoke("ingest", "csv", str(csv))
    assert result.exit_code == 0, result.output
    assert "kept 24" in result.output
    result = _invoke("features")
    assert result.exit_code == 0, result.output
    features = read_table(settings.table_path("features"), "features").collect()
    assert features.height == 24
    assert features["mirror_value_usd"].null_count() == 0


def test_ingest_quarantines_bad_rows_and_reports_them(settings, tmp_path):
    csv = tmp_path / "mixed.csv"
    csv.write_text(
        HEADER + "2021-01,USA,CHN,M,851712,100,1\n2021-01,USA,XYZ,M,851712,100,1\n"
        "2021-02,USA,CHN,M,851712,-5,1\n"
    )
    result = _invoke("ingest", "csv", str(csv))
    assert result.exit_code == 0, result.output
    assert "kept 1" in result.output and "quarantined 2" in result.output
    quarantine = read_table(settings.table_path("quarantine"), "quarantine").collect()
    assert set(quarantine["row"]) == {2, 3}
    assert quarantine.filter(pl.col("row") == 2)["field"].to_list() == ["partner"]


def test_a_bad_file_fails_clearly_and_keeps_stored_flows(settings, tmp_path):
    good = tmp_path / "good.csv"
    good.write_text(HEADER + "2021-01,USA,CHN,M,851712,100,1\n")
    assert _invoke("ingest", "csv", str(good)).exit_code == 0
    before = settings.table_path("flows").read_bytes()
    bad = tmp_path / "bad.csv"
    bad.write_text("period,reporter,partner,flow,hs_code,net_weight_kg\n2021-01,USA,CHN,M,851712,1\n")
    result = _invoke("ingest", "csv", str(bad))
    assert result.exit_code == 1
    assert "bad.csv" in result.output and "value_usd" in result.output
    assert settings.table_path("flows").read_bytes() == before


def test_features_without_flows_says_what_to_run(settings):
    result = _invoke("features")
    assert result.exit_code == 1
    assert "tradesentinel demo" in result.output


@pytest.mark.parametrize(
    "command", [["--help"], ["demo", "--help"], ["ingest", "csv", "--help"], ["features", "--help"]]
)
def test_every_command_has_help(command):
    result = _invoke(*command)
    assert result.exit_code == 0 and "Usage" in result.output


def test_score_then_evaluate_and_both_runs_reach_mlflow(settings):
    assert _invoke("demo", "--scale", "0.1", "--no-score").exit_code == 0
    result = _invoke("score", "--detectors", "statistical,sanctions,xgboost,transformer")
    assert result.exit_code == 0, result.output
    assert "MLflow run" in result.output
    scores = pl.read_parquet(settings.table_path("scores"))
    assert scores["rank"].min() == 1 and scores["score"].is_between(0, 1).all()
    result = _invoke("evaluate")
    assert result.exit_code == 0, result.output
    assert "ensemble" in result.output and "diversion" in result.output
    assert (
        _invoke("demo", "--scale", "0.05", "--no-score").exit_code == 0
    )  # a new world: the old scores no longer apply
    assert not settings.table_path("scores").exists()
    assert "tradesentinel score" in _invoke("evaluate", "--no-track").output
    import mlflow

    mlflow.set_tracking_uri(f"sqlite:///{settings.data_dir.resolve() / 'mlflow.db'}")
    runs = mlflow.search_runs(experiment_names=["tradesentinel-detectors"])
    assert set(runs["tags.mlflow.runName"]) == {"score", "evaluate"}
    assert runs["metrics.ensemble_recall_at_budget"].dropna().iloc[0] > 0.5
    score_run = runs[runs["tags.mlflow.runName"] == "score"].iloc[0]
    models = {a.path for a in mlflow.MlflowClient().list_artifacts(score_run["run_id"], "models")}
    assert {
        "models/transformer.pt",
        "models/statistical.joblib",
        "models/xgboost_log_value_fold0.json",
    } <= models
    from tradesentinel.detectors.transformer import SeriesTransformerDetector

    local = mlflow.artifacts.download_artifacts(
        run_id=score_run["run_id"], artifact_path="models/transformer.pt"
    )
    assert SeriesTransformerDetector.load(Path(local)).name == "transformer"


def test_evaluate_takes_a_labels_csv(settings, tmp_path):
    assert _invoke("demo", "--scale", "0.05", "--no-score").exit_code == 0
    assert _invoke("score", "--detectors", "statistical", "--no-track").exit_code == 0
    labels = pl.read_parquet(settings.table_path("labels")).filter(pl.col("kind") == "spike")
    csv = tmp_path / "labels.csv"
    labels.select(
        pl.col("period").dt.strftime("%Y-%m"), "reporter", "partner", "flow", "hs_code", "kind"
    ).write_csv(csv)
    result = _invoke("evaluate", "--labels", str(csv), "--no-track")
    assert result.exit_code == 0, result.output
    assert "spike" in result.output and "diversion" not in result.output
    bad = tmp_path / "bad.csv"
    bad.write_text("period,reporter,partner,flow,hs_code\n2021-01,USA,CHN,M,851712\n")
    result = _invoke("evaluate", "--labels", str(bad), "--no-track")
    assert result.exit_code == 1 and "bad.csv" in result.output and "kind" in result.output


def test_unknown_detector_is_a_clear_error(settings):
    assert _invoke("demo", "--scale", "0.05", "--no-score").exit_code == 0
    result = _invoke("score", "--detectors", "statistical,magic")
    assert result.exit_code == 1 and "unknown detector(s) magic" in result.output


def test_demo_indexes_its_evidence_for_search(settings, real_embedder, monkeypatch):
    monkeypatch.setenv("TRADESENTINEL_INDEX_TOP_ANOMALIES", "100")  # of 1000: a third of the embedding work
    get_settings.cache_clear()
    result = _invoke("demo", "--scale", "0.05", "--detectors", "statistical,sanctions")
    assert result.exit_code == 0 and "evidence indexed" in result.output, result.output
    result = _invoke("search", "controlled goods re-exported to RUS", "--collection", "anomalies")
    assert result.exit_code == 0 and "anomalies" in result.output, result.output
