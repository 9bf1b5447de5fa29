"""Evasion patterns: corridors where trade looks diverted to a sanctioned destination.

Where the scoring run stored its diversion table (`diversion`, one row per corridor the diversion
detector found from trade patterns alone: deflection and two legs, docs/detectors.md), that is what
is listed, largest value first. Otherwise the patterns are read off the flagged flows themselves:
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


def _found_filter(query: AnomalyQuery) -> pl.Expr:
    """The query's filters as they apply to a finding: countries anywhere on its route (origin, hub,
    destination), its HS code, its window overlapping the query's periods."""
    on_route = pl.concat_list(pl.col("origin"), pl.col("hub"), pl.col("destination"))
    expr = pl.lit(True)
    for iso3 in (query.country, query.reporter, query.partner, query.counterpart):
        if iso3:
            expr &= on_route.list.contains(iso3)
    if query.origin:
        expr &= (pl.col("origin") == query.origin) | (pl.col("hub") == query.origin)
    if query.destination:
        expr &= (pl.col("destination") == query.destination) | (pl.col("hub") == query.destination)
    if query.hs:
        expr &= pl.col("hs_code").str.starts_with(query.hs)
    if query.period_from:
        expr &= pl.col("window_end") >= query.period_from
    if query.period_to:
        expr &= pl.col("window_start") <= query.period_to
    return expr


def _finding_words(r: dict) -> str:
    """One finding of the diversion detector in words, with its measured changes."""
    period = "%Y-%m" if r["freq"] != "A" else "%Y"
    window = f"{r['window_start']:{period}} to {r['window_end']:{period}}"
    hub, dest = _name(r["hub"]), _name(r["destination"])
    if r["pattern"] == "deflection":
        fell = r["destination_change"]
        drop = f" fell to {fell:.0%} of a year earlier" if fell is not None else " fell"
        return (
            f"Deflection of HS {r['hs_code']}: {_name(r['origin'])}'s trade with {dest}{drop} while its "
            f"trade with {hub} grew x{r['growth']:.1f} ({window})"
        )
    inflow = f"x{r['inflow_growth']:.1f}" if r["inflow_growth"] is not None else "sharply"
    onward = f"x{r['destination_change']:.1f}" if r["destination_change"] is not None else "sharply"
    source_words = f" (from {_name(r['origin'])})" if r["origin"] else ""
    return (
        f"Two legs through {hub}: its imports of HS {r['hs_code']}{source_words} grew {inflow} while its "
        f"exports of them to {dest} grew {onward} ({window})"
    )


def _from_findings(found: pl.DataFrame, query: AnomalyQuery, limit: int) -> Patterns:
    """The diversion table's corridors matching `query`, largest value first."""
    matching = found.filter(_found_filter(query)).sort("value_usd", "score", descending=True, nulls_last=True)
    rows = [
        Pattern(
            key=f"{r['origin'] or '*'}>{r['hub']}>{r['destination']}:{r['hs_code']}",
            description=_finding_words(r),
            countries=[c for c in (r["origin"], r["hub"], r["destination"]) if c],
            hs_code=r["hs_code"],
            flows=r["n_flows"],
            value_usd=float(r["value_usd"] or 0.0),
            first=r["window_start"],
            last=r["window_end"],
            flow_ids=list(r["flow_ids"] or []),
        )
        for r in matching.head(limit).iter_rows(named=True)
    ]
    return Patterns(
        rows=rows,
        total=matching.height,
        method="the diversion detector's findings from trade patterns (deflection and two legs)",
    )


def patterns(tables: TableStore, query: AnomalyQuery, *, limit: int = 5) -> Patterns:
    """The evasion-pattern corridors matching the query's filters, largest value first: the scoring
    run's diversion findings where it stored them, otherwise its sanctions-side flagged flows by route."""
    found = tables.table("diversion")
    if found is not None:
        return _from_findings(found, query, limit)
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
