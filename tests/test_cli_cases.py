"""`users`, `watch`, `evaluate --labels cases` and the `serve` guard, as a user runs them."""

from __future__ import annotations

import shutil

import pytest
from typer.testing import CliRunner

from tradesentinel.cli import app

runner = CliRunner()


def _invoke(*args: str):
    return runner.invoke(app, list(args), catch_exceptions=False, env={"COLUMNS": "240"})


def test_users_add_list_revoke(settings):
    added = _invoke("users", "add", "alice")
    assert added.exit_code == 0, added.output
    key = added.output.strip().splitlines()[-1]
    assert key.startswith("ts_") and len(key) > 30
    listed = _invoke("users", "list")
    assert "alice" in listed.output and key not in listed.output
    assert _invoke("users", "add", "alice").exit_code == 1  # one live key per name
    assert _invoke("users", "revoke", "alice").exit_code == 0
    assert _invoke("users", "revoke", "alice").exit_code == 1


def test_serve_refuses_an_open_public_host(settings):
    refused = _invoke("serve", "--host", "0.0.0.0")
    assert (
        refused.exit_code == 1 and "without an API key" in refused.output and "--insecure" in refused.output
    )


@pytest.fixture
def world(scored_world, tmp_path, monkeypatch):
    """A copy of the scored world the CLI sees through the environment."""
    from tradesentinel.config import get_settings

    data = tmp_path / "data"
    shutil.copytree(scored_world.data_dir, data, ignore=shutil.ignore_patterns("*.db*", "mlruns", "chroma"))
    monkeypatch.setenv("TRADESENTINEL_DATA_DIR", str(data))
    get_settings.cache_clear()
    yield get_settings()
    get_settings.cache_clear()


def test_watch_prints_what_a_new_scoring_run_found(world):
    import polars as pl

    from tradesentinel.cases.db import Database
    from tradesentinel.cases.watch import Watchlists
    from tradesentinel.investigate.tables import TableStore
    from tradesentinel.storage import write_table

    scores = pl.read_parquet(world.table_path("scores"))
    top = scores.sort("rank").row(0, named=True)
    added = _invoke("watch", "add", "--user", "alice", "corridor", f"{top['reporter']}>{top['partner']}")
    assert added.exit_code == 0, added.output
    assert "new for alice: 0" in _invoke("watch", "--user", "alice").output
    # a rescoring run in which another flow of that corridor becomes a strong anomaly
    other = scores.filter(
        (pl.col("reporter") == top["reporter"])
        & (pl.col("partner") == top["partner"])
        & pl.col("tier").is_null()  # below the tiers in this run
    ).row(0, named=True)
    write_table(
        scores.with_columns(
            pl.when(pl.col("flow_id") == other["flow_id"])
            .then(0.9995)
            .otherwise(pl.col("score"))
            .alias("score"),
            pl.when(pl.col("flow_id") == other["flow_id"])  # the run puts it in the high tier
            .then(pl.lit("high"))
            .otherwise(pl.col("tier"))
            .alias("tier"),
        ),
        world.table_path("scores"),
    )
    assert Watchlists(Database(world), TableStore(world)).refresh() == 1
    shown = _invoke("watch", "--user", "alice", "--mark-seen")
    assert "new for alice: 1" in shown.output and other["flow_id"] in shown.output
    assert "new for alice: 0" in _invoke("watch", "--user", "alice").output


def test_evaluate_on_case_dispositions(world):
    from tradesentinel.cases.db import Database
    from tradesentinel.cases.store import CaseStore
    from tradesentinel.cases.types import CaseChange, CaseOpen
    from tradesentinel.investigate.tables import TableStore

    cases = CaseStore(Database(world), TableStore(world))
    assert _invoke("evaluate", "--labels", "cases", "--no-track").exit_code == 1  # no disposition yet
    top = TableStore(world).snapshot().anomalies.head(3)
    for flow_id, disposition in zip(top["flow_id"], ("true_hit", "true_hit", "false_positive"), strict=True):
        case = cases.open(CaseOpen(title="t", flow_id=flow_id), "alice")
        cases.change(case.id, CaseChange(disposition=disposition), "alice")
    result = _invoke("evaluate", "--labels", "cases", "--no-track")
    assert result.exit_code == 0, result.output
    assert "2 true hit" in result.output and "1 false positive" in result.output
    assert "analyst_true_hit" in result.output
