"""The default ranking: which scored flows count as flagged, and in what order "top" means.

A flow is flagged when it falls in the review tier of its scoring run (the top REVIEW_SHARE of flows
by rank; the `tier` column where the run wrote one) and its value at stake clears the materiality
floor unless a sanctions-side reason applies (where the run computed value at stake; a flow whose
reasons carry no money, so whose stake is unknown, is kept). "Top" is that set in rank order. The
floor never changes `score`, `rank` or `evaluate`. Every answer that ranks says this in words (`describe`).
"""

from __future__ import annotations

import math

import polars as pl

from tradesentinel.detectors.ensemble import REVIEW_SHARE
from tradesentinel.detectors.signals import SANCTIONS_SIDE
from tradesentinel.investigate.query import AnomalyQuery
from tradesentinel.investigate.tables import TableStore

MATERIALITY_FLOOR_USD = 10_000.0
"""Value at stake below which a flow without a sanctions reason is left out of the default views."""


def flagged_expr(frame: pl.DataFrame) -> pl.Expr:
    """The predicate of the default view over a snapshot's anomalies frame."""
    if "tier" in frame.columns:
        expr = pl.col("tier").is_in(["high", "medium", "review"])
    else:
        expr = pl.col("rank") <= max(1, math.ceil(REVIEW_SHARE * frame.height))
    if "value_at_stake_usd" in frame.columns:
        sanctions = pl.col("kind").is_in([s.value for s in SANCTIONS_SIDE])
        stake = pl.col("value_at_stake_usd")
        expr &= (stake >= MATERIALITY_FLOOR_USD) | stake.is_null() | sanctions
    return expr


def flagged(tables: TableStore, query: AnomalyQuery) -> pl.DataFrame:
    """The flagged flows matching `query`, in its sort order (rank by default)."""
    frame = tables.snapshot().anomalies
    found = frame.filter(query.predicate() & flagged_expr(frame))
    if query.sort == "rank" and not query.descending():
        return found
    return found.sort(query.sort, "rank", descending=[query.descending(), False], nulls_last=True)


def is_flagged(tables: TableStore, row: dict) -> bool:
    """Whether one snapshot row is in the default view."""
    frame = tables.snapshot().anomalies
    return bool(frame.filter(pl.col("flow_id") == row["flow_id"]).select(flagged_expr(frame)).item())


def describe(tables: TableStore) -> str:
    """The default ranking in words, as answers state it."""
    frame = tables.snapshot().anomalies
    tier = (
        "the review tier of the scoring run"
        if "tier" in frame.columns
        else f"the top {REVIEW_SHARE:.0%} of the {frame.height:,} scored flows"
    )
    floor = (
        f", with at least USD {MATERIALITY_FLOOR_USD:,.0f} at stake unless a sanctions reason applies"
        if "value_at_stake_usd" in frame.columns
        else ""
    )
    return f"ranked by anomaly score among flagged flows ({tier}{floor})"
