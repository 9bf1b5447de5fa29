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


def _scored(n: int, **columns) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "rank": list(range(1, n + 1)),
            "score": [1.0 - i / n for i in range(n)],
            "kind": ["spike"] * n,
            **columns,
        }
    )


def test_the_tier_filter_reads_tiers_and_applies_the_floor_unless_sanctions():
    frame = _scored(
        6,
        tier=["high", "medium", "review", "review", "review", None],
        value_at_stake_usd=[50_000.0, 9_000.0, None, 20_000.0, 1_000.0, 1e9],
    ).with_columns(pl.Series("kind", ["spike", "spike", "spike", "spike", "sanctions_exposure", "spike"]))

    def ranks(**query) -> list[int]:
        return frame.filter(AnomalyQuery(**query).predicate(frame.columns))["rank"].to_list()

    assert ranks(tier="flagged") == [1, 3, 4, 5]  # 2: USD 9,000 at stake; 3: unknown stake kept; 5: sanctions
    assert ranks(tier="high") == [1]
    assert ranks(tier="medium") == [1]  # the medium flow is under the floor
    assert ranks(tier="all") == ranks() == [1, 2, 3, 4, 5, 6]  # every scored flow, no floor
    assert frame.filter(AnomalyQuery(tier="flagged").predicate(frame.columns, floor_usd=0.0)).height == 5


def test_scores_written_before_tiers_are_cut_by_rank_with_the_same_shares():
    frame = _scored(2_000)  # no tier, no value at stake: shares of the rank, no floor
    assert frame.filter(AnomalyQuery(tier="flagged").predicate(frame.columns)).height == 100  # 5%
    assert frame.filter(AnomalyQuery(tier="medium").predicate(frame.columns)).height == 20  # 1%
    assert frame.filter(AnomalyQuery(tier="high").predicate(frame.columns)).height == 2  # 0.1%


def test_the_api_lists_the_flagged_flows_by_default(scored_world):
    from fastapi.testclient import TestClient

    from tradesentinel.app import create_app

    client = TestClient(create_app(scored_world, ui=False, assistant=None))
    default = client.get("/anomalies", params={"limit": 1}).json()["total"]
    everything = client.get("/anomalies", params={"limit": 1, "tier": "all"}).json()["total"]
    scores = pl.read_parquet(scored_world.table_path("scores"))
    assert everything == scores.height
    in_tiers = scores.filter(pl.col("tier").is_not_null())
    assert 0 < default <= in_tiers.height  # the review tier and above, less what the floor hides
    assert client.get("/anomalies", params={"tier": "gold"}).status_code == 422


def test_flagged_flows_follow_the_query_order_both_ways(scored_world):
    from tradesentinel.investigate import ranking

    store = TableStore(scored_world)
    ascending = ranking.flagged(store, AnomalyQuery())["rank"].to_list()
    assert ascending == sorted(ascending) and len(ascending) > 1
    assert ranking.flagged(store, AnomalyQuery(order="desc"))["rank"].to_list() == ascending[::-1]
    by_stake = ranking.flagged(store, AnomalyQuery(sort="value_at_stake"))["value_at_stake_usd"]
    assert by_stake.drop_nulls().is_sorted(descending=True)
