"""The default ranking: which scored flows count as flagged, and in what order "top" means.

A flow is flagged when it falls in the review tier of its scoring run (the top 5% of flows by rank;
the `tier` column where the run wrote one) and its value at stake clears the materiality
floor unless a sanctions-side reason applies (where the run computed value at stake; a flow whose
reasons carry no money, so whose stake is unknown, is kept). "Top" is that set in rank order. The
floor never changes `score`, `rank` or `evaluate`. Every answer that ranks says this in words (`describe`).
"""

from __future__ import annotations

import polars as pl

from tradesentinel.detectors.ensemble import REVIEW_SHARE
from tradesentinel.investigate.query import AnomalyQuery, tier_expr
from tradesentinel.investigate.tables import TableStore


def flagged_expr(frame: pl.DataFrame, floor_usd: float) -> pl.Expr:
    """The predicate of the default view over a snapshot's anomalies frame."""
    return tier_expr("flagged", frame.columns, floor_usd)


def flagged(tables: TableStore, query: AnomalyQuery) -> pl.DataFrame:
    """The flagged flows matching `query`, in its sort order (rank by default)."""
    frame = tables.snapshot().anomalies
    floor = tables.settings.materiality_floor_usd
    return query.sorted(frame.filter(query.predicate(frame.columns, floor) & flagged_expr(frame, floor)))


def is_flagged(tables: TableStore, row: dict) -> bool:
    """Whether one snapshot row is in the default view."""
    frame = tables.snapshot().anomalies
    where = flagged_expr(frame, tables.settings.materiality_floor_usd)
    flags = frame.select(pl.col("flow_id"), where.alias("flagged"))  # over the whole run: tiers are shares
    return bool(flags.filter(pl.col("flow_id") == row["flow_id"])["flagged"].any())


def describe(tables: TableStore) -> str:
    """The default ranking in words, as answers state it."""
    frame = tables.snapshot().anomalies
    tier = (
        "the review tier of the scoring run"
        if "tier" in frame.columns
        else f"the top {REVIEW_SHARE:.0%} of the {frame.height:,} scored flows"
    )
    floor = (
        f", with at least USD {tables.settings.materiality_floor_usd:,.0f} at stake unless a sanctions "
        "reason applies"
        if "value_at_stake_usd" in frame.columns
        else ""
    )
    return f"ranked by anomaly score among flagged flows ({tier}{floor})"


def flag_score(tables: TableStore) -> float:
    """The lowest score of a flagged flow in this run (1.0 when none is): where a corridor's month
    counts as an anomaly on its timeline."""
    snapshot = tables.snapshot()

    def build() -> float:
        frame = snapshot.anomalies
        lowest = frame.filter(flagged_expr(frame, tables.settings.materiality_floor_usd))["score"].min()
        return 1.0 if lowest is None else float(lowest)

    return tables.remembered(("flag_score", id(snapshot)), build)
