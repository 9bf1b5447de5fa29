"""The map's numbers: anomalies per country and per corridor (value at stake, or the flow value on
older scores), the trade volumes that normalise them, and the per-country table as the tab shows it."""

from __future__ import annotations

import polars as pl

from tradesentinel.investigate.tables import TableStore
from tradesentinel.reference import country_name


def stake(frame: pl.DataFrame) -> pl.Expr:
    """Value at stake when the scores carry it, else the flow's value."""
    return pl.col("value_at_stake_usd" if "value_at_stake_usd" in frame.columns else "value_usd")


def country_table(anomalies: pl.DataFrame, volumes: pl.DataFrame | None = None) -> pl.DataFrame:
    """Per country (as reporter or partner): anomalies, highest score, value at stake, and with `volumes`
    (iso3, trade_usd) the share of its trade at stake."""
    sides = pl.concat(
        [
            anomalies.select(pl.col(side).alias("iso3"), "score", stake(anomalies).alias("at_stake"))
            for side in ("reporter", "partner")
        ]
    )
    table = (
        sides.group_by("iso3")
        .agg(pl.len().alias("anomalies"), pl.col("score").max().alias("max_score"), pl.col("at_stake").sum())
        .sort("anomalies", descending=True)
    )
    if volumes is not None:
        table = table.join(volumes, on="iso3", how="left").with_columns(
            (pl.col("at_stake") / pl.col("trade_usd")).alias("share")
        )
    return table


def arc_table(anomalies: pl.DataFrame, volumes: pl.DataFrame | None = None) -> pl.DataFrame:
    """One row per reporter->partner corridor: anomalies, value at stake, highest score, and with
    `volumes` (reporter, partner, trade_usd) the share of the corridor's trade at stake."""
    arcs = anomalies.group_by("reporter", "partner").agg(
        pl.len().alias("anomalies"),
        stake(anomalies).sum().alias("at_stake"),
        pl.col("score").max().alias("max_score"),
    )
    if volumes is not None:
        arcs = arcs.join(volumes, on=["reporter", "partner"], how="left").with_columns(
            (pl.col("at_stake") / pl.col("trade_usd")).alias("share")
        )
    return arcs.sort(["at_stake", "max_score"], descending=True)


def volumes(store: TableStore) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Total trade value per country and per corridor over every scored flow (remembered per snapshot)."""
    snapshot = store.snapshot()

    def build() -> tuple[pl.DataFrame, pl.DataFrame]:
        flows = snapshot.anomalies.select("reporter", "partner", "value_usd")
        corridors = flows.group_by("reporter", "partner").agg(pl.col("value_usd").sum().alias("trade_usd"))
        countries = (
            pl.concat([flows.select(pl.col(s).alias("iso3"), "value_usd") for s in ("reporter", "partner")])
            .group_by("iso3")
            .agg(pl.col("value_usd").sum().alias("trade_usd"))
        )
        return countries, corridors

    return store.remembered(("volumes", id(snapshot)), build)


def readable(countries: pl.DataFrame) -> pl.DataFrame:
    """The per-country table as the tab shows it: names, formatted USD, shares in percent."""
    money = lambda c: pl.col(c).map_elements(lambda v: f"${v:,.0f}", return_dtype=pl.String)
    columns = [
        pl.col("iso3"),
        pl.col("iso3").map_elements(country_name, return_dtype=pl.String).alias("country"),
        pl.col("anomalies"),
        pl.col("max_score").round(4).alias("max score"),
        money("at_stake").alias("at stake"),
    ]
    if "share" in countries.columns:
        columns += [money("trade_usd").alias("trade"), (pl.col("share") * 100).round(2).alias("% at stake")]
    return countries.select(columns)
