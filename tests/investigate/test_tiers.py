"""Scores that carry the detectors' value at stake and risk tier: the list, sort, export and watchlists use them."""

from __future__ import annotations

import shutil

import polars as pl

from tradesentinel.investigate import anomalies
from tradesentinel.investigate.export import csv_chunks
from tradesentinel.investigate.query import AnomalyQuery
from tradesentinel.investigate.tables import TableStore
from tradesentinel.storage import write_table


def test_value_at_stake_and_tier_are_used_when_present(scored_world, tmp_path):
    data = tmp_path / "data"
    shutil.copytree(scored_world.data_dir, data, ignore=shutil.ignore_patterns("*.db*"))
    scores = pl.read_parquet(data / "scores.parquet")
    stake = (pl.col("rank").cast(pl.Float64) * 10.0).alias("value_at_stake_usd")  # opposite of rank order
    tier = pl.when(pl.col("rank") <= 50).then(pl.lit("high")).otherwise(pl.lit("review")).alias("tier")
    write_table(scores.with_columns(stake, tier), data / "scores.parquet")
    store = TableStore(scored_world.model_copy(update={"data_dir": data}))
    top = anomalies.anomalies(store, AnomalyQuery(sort="value_at_stake", limit=1)).items[0]
    assert (
        top.rank == scores.height and top.value_at_stake_usd == 10.0 * scores.height and top.tier == "review"
    )
    first = anomalies.anomalies(store, AnomalyQuery(limit=1)).items[0]
    assert first.tier == "high"
    header = next(csv_chunks(store, AnomalyQuery(min_score=0.999))).split(b"\n")[0].decode()
    assert "tier" in header.split(",") and "value_at_stake_usd" in header.split(",")
