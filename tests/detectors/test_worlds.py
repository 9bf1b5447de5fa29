"""The independent evaluation worlds: seeded, labelled, unlike the demo, and readable by the CLI."""

from __future__ import annotations

import ast
from datetime import date
from pathlib import Path

import polars as pl
from typer.testing import CliRunner

from benchmarks.worlds import WORLDS, load_world, write_world
from benchmarks.worlds.generate import build_world
from tradesentinel.cli import app
from tradesentinel.config import get_settings
from tradesentinel.detectors.exposure import build_exposure
from tradesentinel.detectors.stages import evaluate_scores
from tradesentinel.reference import country_programmes, load_reference_csv
from tradesentinel.storage import read_table

WORLDS_DIR = Path(__file__).resolve().parents[2] / "benchmarks" / "worlds"


def test_same_seed_same_world_and_labels_are_reported_flows():
    a, b = build_world(WORLDS["tune"], scale=0.05), build_world(WORLDS["tune"], scale=0.05)
    assert a.flows.equals(b.flows) and a.labels.equals(b.labels)
    assert set(a.labels["flow_id"]) <= set(a.flows["flow_id"])
    assert a.flows["flow_id"].is_unique().all()
    assert set(a.labels["kind"]) == {
        "diversion",
        "level_shift",
        "spike",
        "unit_price",
        "mirror_under",
        "unit_error",
    }
    assert a.flows["net_weight_kg"].null_count() > 0  # some reporters never give weights


def test_annual_world_has_annual_flows():
    world = build_world(WORLDS["indep-a"], scale=0.05)
    assert (world.flows["freq"] == "A").all() and (world.flows["period"].dt.month() == 1).all()
    assert world.flows["period"].n_unique() == 20


def test_shares_no_code_with_the_demo_injectors():
    for path in WORLDS_DIR.glob("*.py"):
        tree = ast.parse(path.read_text())
        imported = {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)}
        imported |= {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
        assert not any("demo_anomalies" in (m or "") for m in imported), path


def test_deflection_world_has_the_published_shape():
    world = load_world("deflection", scale=0.1)
    chips = world.flows.filter(pl.col("hs_code").str.starts_with("8542"), pl.col("period").dt.month() <= 11)
    totals = (
        chips.with_columns(pl.col("period").dt.year().alias("year"))
        .filter(pl.col("year").is_in([2021, 2022]))
        .group_by("partner", "year")
        .agg(pl.col("value_usd").sum())
        .pivot(on="year", index="partner", values="value_usd")
    )
    ratio = dict(totals.select("partner", pl.col("2022") / pl.col("2021")).iter_rows())
    assert ratio["RUS"] < 0.35 and ratio["ARM"] > 6 and ratio["KGZ"] > 12 and ratio["KAZ"] > 1.8
    assert world.flows["net_weight_kg"].null_count() == world.flows.height  # values only
    assert (world.labels["kind"] == "diversion").all() and set(world.labels["partner"]) == {
        "ARM",
        "KGZ",
        "KAZ",
    }


def test_a_world_brings_its_own_sanctions_programme(tmp_path):
    """A world whose target was sanctioned before the shipped list says (RUS from 2014) is judged
    with its own date; one that agrees with the list keeps the list as it is."""
    early = build_world(WORLDS["indep-a2"], scale=0.01)
    *_, written = write_world(early, tmp_path / "early")
    programmes = load_reference_csv(written, ("iso3", "programme", "since"))
    since = dict(zip(programmes["iso3"], programmes["since"], strict=True))
    assert since["RUS"] == "2014-03-17" and since["IRN"] == "2012-01-23"
    exposure = build_exposure(programmes.with_columns(pl.col("since").str.to_date()))
    assert exposure.destinations.filter(pl.col("iso3") == "RUS")["since"].to_list() == [date(2014, 3, 17)]
    assert build_world(WORLDS["tune"], scale=0.01).programmes.equals(country_programmes())


def test_a_written_annual_world_is_ingested_scored_and_evaluated_by_the_cli(settings, tmp_path, monkeypatch):
    flows, labels, programmes = write_world(build_world(WORLDS["indep-a"], scale=0.03), tmp_path / "world")
    monkeypatch.setenv("TRADESENTINEL_COUNTRY_PROGRAMMES_FILE", str(programmes))
    get_settings.cache_clear()
    runner = CliRunner()
    score = ["score", "--detectors", "statistical,diversion,transformer", "--no-track"]
    for args in (["ingest", "csv", str(flows)], ["features"], score):
        result = runner.invoke(app, args, catch_exceptions=False)
        assert result.exit_code == 0, result.output
    assert "skipped transformer: no monthly series" in result.output  # annual data: said, not a crash
    result = runner.invoke(app, ["evaluate", "--labels", str(labels), "--no-track"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    diversion = read_table(settings.table_path("diversion"), "diversion").collect()
    assert diversion.height and (diversion["freq"] == "A").all()
    table, _ = evaluate_scores(settings, labels, track=False)
    assert (table["n_missing"] == 0).all()  # every annual label found its annual flow
    assert {"unit_error", "level_shift", "all"} <= set(table["kind"])
