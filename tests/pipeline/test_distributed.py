"""The feature pipeline on Dask equals the in-process one, part by HS part (demo world, 2 workers)."""

from __future__ import annotations

import polars as pl
from polars.testing import assert_frame_equal
from typer.testing import CliRunner

from tradesentinel.cli import app
from tradesentinel.config import get_settings
from tradesentinel.pipeline import datasets
from tradesentinel.pipeline.distributed import features_on_cluster, hs_ranges
from tradesentinel.storage import read_table


def _dataset(settings, table: str) -> tuple[datasets.Manifest, pl.DataFrame]:
    manifest = datasets.current(datasets.dataset_url(settings, table), {})
    return manifest, pl.concat([datasets.read_part(manifest, p, {}) for p in manifest.parts])


def test_hs_ranges_balance_rows_and_never_split_an_hs_code():
    counts = pl.DataFrame({"hs_code": ["01", "0101", "010121", "02", "85"], "len": [5, 40, 3, 3, 10]})
    ranges = hs_ranges(counts, target_rows=10)
    assert [(lo, hi) for lo, hi, _ in ranges] == [
        ("01", "01"),
        ("0101", "0101"),
        ("010121", "02"),
        ("85", "85"),
    ]
    assert sum(n for *_, n in ranges) == 61


def test_dask_features_equal_in_process_features(dask_world):
    settings, _ = dask_world
    report = features_on_cluster(settings)
    local = read_table(settings.table_path("features"), "features").collect()
    flows, _ = _dataset(settings, "flows")
    manifest, distributed = _dataset(settings, "features")
    assert report.n_workers == 2 and report.n_rows == local.height and report.n_parts >= 4
    assert manifest.parts == flows.parts and manifest.rows == flows.rows
    owners = pl.concat(
        [
            datasets.read_part(flows, p, {}, ["hs_code"]).unique().with_columns(part=pl.lit(p))
            for p in flows.parts
        ]
    )
    assert owners["hs_code"].is_unique().all()  # every HS code lives in exactly one part
    assert_frame_equal(
        distributed.sort("flow_id"), local.sort("flow_id"), check_exact=False, rel_tol=0, abs_tol=1e-9
    )
    assert distributed.equals(local)  # same canonical row order too


def test_cli_features_on_a_scheduler(dask_world, monkeypatch):
    settings, cluster = dask_world
    monkeypatch.setenv("TRADESENTINEL_DATA_DIR", str(settings.data_dir))
    monkeypatch.setenv("TRADESENTINEL_DATASET_URL", settings.dataset_url)
    get_settings.cache_clear()
    try:
        result = CliRunner().invoke(
            app, ["features", "--engine", "dask", "--scheduler", cluster.scheduler_address]
        )
        bad = CliRunner().invoke(app, ["features", "--engine", "spark"])
    finally:
        get_settings.cache_clear()
    assert result.exit_code == 0, result.output
    assert "on 2 workers" in result.output and settings.dataset_url in result.output.replace("\n", "")
    assert bad.exit_code == 1 and "unknown engine" in bad.output
