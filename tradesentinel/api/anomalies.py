"""Ranked anomalies: filtering and paging the in-memory snapshot, and one flow's full record."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import polars as pl

from tradesentinel.api.schemas import Anomaly, AnomalyDetail, AnomalyPage, DetectorScore, Reason
from tradesentinel.api.store import SUMMARY, Snapshot
from tradesentinel.errors import InvalidArgumentError, echo


@dataclass(frozen=True)
class AnomalyFilters:
    """What the analyst narrows the ranked list to; None/empty fields do not filter."""

    country: str | None = None  # reporter or partner
    reporter: str | None = None
    partner: str | None = None
    hs_prefix: str | None = None
    period_from: date | None = None
    period_to: date | None = None
    min_score: float = 0.0
    kind: str | None = None
    label: str | None = None


def month_start(text: str) -> date:
    """'YYYY-MM' as the first day of that month (ValueError names the bad value)."""
    try:
        year, month = text.split("-")
        return date(int(year), int(month), 1)
    except ValueError:
        raise InvalidArgumentError("period", f"{echo(text)} is not YYYY-MM") from None


def filter_expr(filters: AnomalyFilters) -> pl.Expr:
    """One polars predicate for all the given filters."""
    expr = pl.col("score") >= filters.min_score
    if filters.country:
        expr &= (pl.col("reporter") == filters.country) | (pl.col("partner") == filters.country)
    if filters.reporter:
        expr &= pl.col("reporter") == filters.reporter
    if filters.partner:
        expr &= pl.col("partner") == filters.partner
    if filters.hs_prefix:
        expr &= pl.col("hs_code").str.starts_with(filters.hs_prefix)
    if filters.period_from:
        expr &= pl.col("period") >= filters.period_from
    if filters.period_to:
        expr &= pl.col("period") <= filters.period_to
    if filters.kind:
        expr &= pl.col("kind") == filters.kind
    if filters.label:
        expr &= pl.col("label") == filters.label
    return expr


def filtered(snapshot: Snapshot, filters: AnomalyFilters) -> pl.DataFrame:
    """The anomalies matching `filters`, best first."""
    return snapshot.anomalies.filter(filter_expr(filters))


def summaries(frame: pl.DataFrame) -> list[Anomaly]:
    """Rows of the anomalies frame as list items."""
    return [Anomaly(**row) for row in frame.select(SUMMARY).iter_rows(named=True)]


def page(snapshot: Snapshot, filters: AnomalyFilters, offset: int, limit: int) -> AnomalyPage:
    """One page of the filtered ranking with the total match count."""
    matched = filtered(snapshot, filters)
    items = summaries(matched.slice(offset, limit))
    return AnomalyPage(total=matched.height, offset=offset, limit=limit, demo=snapshot.demo, items=items)


def record(snapshot: Snapshot, flow_id: str) -> dict | None:
    """The snapshot row of `flow_id` as a dict, or None when no such flow was scored."""
    row = snapshot.index.get(flow_id)
    return None if row is None else snapshot.anomalies.row(row, named=True)


def detail(snapshot: Snapshot, row: dict) -> AnomalyDetail:
    """A snapshot row as the full record: every detector's score and the reasons."""
    own = ("demo", "detectors", "reasons")
    fields = {k: v for k, v in row.items() if k in AnomalyDetail.model_fields and k not in own}
    return AnomalyDetail(
        **fields,
        demo=snapshot.demo,
        detectors=[DetectorScore(detector=d, score=row.get(f"score_{d}")) for d in snapshot.detectors],
        reasons=[Reason(**r) for r in row.get("reasons") or []],
    )
