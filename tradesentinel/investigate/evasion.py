"""Evasion patterns: corridors where trade looks diverted to a sanctioned destination.

Where the scoring run stored its diversion table (`diversion`, one row per corridor the detectors
found), that is what is listed. Otherwise the patterns are read off the flagged flows themselves:
sanctions-side flows grouped by the route the goods take (origin, the hub they go through or the
sanctioned destination, HS heading), largest value first.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import polars as pl

from tradesentinel.detectors.signals import SANCTIONS_SIDE
from tradesentinel.investigate import ranking
from tradesentinel.investigate.query import AnomalyQuery
from tradesentinel.investigate.tables import TableStore
from tradesentinel.reference import country_name


@dataclass(frozen=True, kw_only=True)
class Pattern:
    """One corridor: its key, how it reads, the flows behind it and their value."""

    key: str
    description: str
    countries: list[str]
    hs_code: str
    flows: int
    value_usd: float
    first: date
    last: date
    flow_ids: list[str]


@dataclass(frozen=True, kw_only=True)
class Patterns:
    """The corridors found (largest value first), how many in all, and how they were found."""

    rows: list[Pattern]
    total: int
    method: str


def _name(iso3: str) -> str:
    return f"{country_name(iso3)} ({iso3})"


def _route_columns() -> list[pl.Expr]:
    exported = pl.col("flow").is_in(["X", "RX"])
    origin = pl.when(exported).then(pl.col("reporter")).otherwise(pl.col("partner"))
    destination = pl.when(exported).then(pl.col("partner")).otherwise(pl.col("reporter"))
    onward = pl.col("onward_to_sanctioned").fill_null(False) & ~pl.col("partner_sanctioned").fill_null(False)
    return [
        origin.alias("origin"),
        destination.alias("via"),
        onward.alias("onward"),
        pl.col("hs_code").str.slice(0, 4).alias("hs4"),
    ]


def patterns(tables: TableStore, query: AnomalyQuery, *, limit: int = 5) -> Patterns:
    """The evasion-pattern corridors matching the query's filters, largest value first."""
    frame = ranking.flagged(tables, query)
    frame = frame.filter(pl.col("kind").is_in([s.value for s in SANCTIONS_SIDE]))
    needed = {"onward_to_sanctioned", "partner_sanctioned"}
    if frame.is_empty() or not needed <= set(frame.columns):
        return Patterns(rows=[], total=0, method="sanctions-side flows of the scoring run")
    grouped = (
        frame.with_columns(_route_columns())
        .group_by("origin", "via", "hs4")
        .agg(
            pl.col("onward").any(),
            pl.len().alias("flows"),
            pl.col("value_usd").sum().alias("value_usd"),
            pl.col("period").min().alias("first"),
            pl.col("period").max().alias("last"),
            pl.col("flow_id").sort_by("rank").alias("flow_ids"),
        )
        .sort("value_usd", "flows", descending=True)
    )
    rows = []
    for r in grouped.head(limit).iter_rows(named=True):
        if r["onward"]:
            text = f"Goods of HS {r['hs4']} from {_name(r['origin'])} to {_name(r['via'])}, which ships them on to a sanctioned destination"
        else:
            text = (
                f"Goods of HS {r['hs4']} from {_name(r['origin'])} straight to sanctioned {_name(r['via'])}"
            )
        rows.append(
            Pattern(
                key=f"{r['origin']}>{r['via']}:{r['hs4']}",
                description=text,
                countries=[r["origin"], r["via"]],
                hs_code=r["hs4"],
                flows=r["flows"],
                value_usd=float(r["value_usd"] or 0.0),
                first=r["first"],
                last=r["last"],
                flow_ids=list(r["flow_ids"]),
            )
        )
    return Patterns(
        rows=rows, total=grouped.height, method="sanctions-side flows of the scoring run, grouped by route"
    )
