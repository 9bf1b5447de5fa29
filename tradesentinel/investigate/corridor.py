"""One corridor (reporter, partner, flow, HS code): its scored series and the events around it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import polars as pl

from tradesentinel.investigate.anomalies import record
from tradesentinel.investigate.tables import TableStore

EVENTS_SCHEMA = {"date": pl.Date, "kind": pl.String, "text": pl.String}


@dataclass(frozen=True)
class Corridor:
    """One series: reporter, partner, flow direction and HS code."""

    reporter: str
    partner: str
    flow: str
    hs_code: str


def corridor_of(tables: TableStore, flow_id: str) -> Corridor:
    """The corridor a scored flow belongs to; NotFoundError for an unknown flow_id."""
    row = record(tables.snapshot(), flow_id.strip())
    return Corridor(row["reporter"], row["partner"], row["flow"], row["hs_code"])


def series(tables: TableStore, corridor: Corridor) -> pl.DataFrame:
    """The corridor's scored rows in time order: period, value, score, rank, kind and flow_id."""
    frame = tables.snapshot().anomalies
    return (
        frame.filter(
            (pl.col("reporter") == corridor.reporter)
            & (pl.col("partner") == corridor.partner)
            & (pl.col("flow") == corridor.flow)
            & (pl.col("hs_code") == corridor.hs_code)
        )
        .select("period", "value_usd", "score", "rank", "kind", "flow_id")
        .sort("period")
    )


def events(tables: TableStore, countries: tuple[str, ...], start: date, end: date) -> pl.DataFrame:
    """Sanctions designations and news naming the countries between start and end: date, kind, text."""
    frames = []
    sanctions = tables.table("sanctions")
    if sanctions is not None and sanctions.height:
        frames.append(
            sanctions.filter(
                pl.any_horizontal(pl.col("countries").list.contains(c) for c in countries)
                & pl.col("listed_on").is_between(start, end)
            ).select(
                pl.col("listed_on").alias("date"),
                pl.lit("sanctions").alias("kind"),
                (pl.col("list") + ": " + pl.col("name")).alias("text"),
            )
        )
    news = tables.table("news")
    if news is not None and news.height:
        frames.append(
            news.filter(
                pl.any_horizontal(pl.col("countries").list.contains(c) for c in countries)
                & pl.col("date").is_between(start, end)
            ).select("date", pl.lit("news").alias("kind"), pl.col("title").alias("text"))
        )
    if not frames:
        return pl.DataFrame(schema=EVENTS_SCHEMA)
    return pl.concat(frames).sort("date")
