"""Ranked anomalies: the filtered, sorted, paged list, its count, and one flow's full record."""

from __future__ import annotations

from datetime import date

import polars as pl

from tradesentinel.errors import NotFoundError, echo
from tradesentinel.investigate.query import AnomalyQuery
from tradesentinel.investigate.tables import OPTIONAL_SUMMARY, SUMMARY, Snapshot, TableStore
from tradesentinel.investigate.types import Anomaly, AnomalyDetail, AnomalyPage, DetectorScore, Reason


def order(tables: TableStore, query: AnomalyQuery) -> pl.Series:
    """Row numbers (in the snapshot) of every anomaly matching the query's filters, in its sort order.

    Only the filter and sort columns are touched, and the last few orders are remembered per snapshot,
    so turning a page of a large result costs a slice and a gather."""
    snapshot = tables.snapshot()
    key = ("order", id(snapshot), query.model_copy(update={"offset": 0, "limit": 1}))

    def build() -> pl.Series:
        where = query.predicate(snapshot.anomalies.columns, tables.settings.materiality_floor_usd)
        frame = snapshot.anomalies.lazy().with_row_index("_row").filter(where)
        return query.sorted(frame).select("_row").collect().to_series()  # snapshots are in rank order

    return tables.remembered(key, build)


def matching(tables: TableStore, query: AnomalyQuery) -> pl.DataFrame:
    """Every anomaly matching the query's filters, in its sort order (no paging)."""
    return tables.snapshot().anomalies[order(tables, query)]


def count(tables: TableStore, query: AnomalyQuery) -> int:
    """How many anomalies match the query's filters (paging ignored)."""
    frame = tables.snapshot().anomalies
    return frame.select(query.predicate(frame.columns, tables.settings.materiality_floor_usd).sum()).item()


def page(tables: TableStore, query: AnomalyQuery) -> tuple[pl.DataFrame, int]:
    """The query's page of the matching anomalies (offset, limit) and how many matched in all."""
    rows = order(tables, query)
    return tables.snapshot().anomalies[rows.slice(query.offset, query.limit)], rows.len()


def total_value(tables: TableStore, query: AnomalyQuery, column: str = "value_usd") -> float:
    """The sum of `column` (value_usd, or value_at_stake_usd where scored) over the matching anomalies."""
    frame = tables.snapshot().anomalies
    if column not in frame.columns:
        column = "value_usd"
    where = query.predicate(frame.columns, tables.settings.materiality_floor_usd)
    return float(frame.filter(where).select(pl.col(column).sum()).item() or 0.0)


def find_flows(
    tables: TableStore,
    *,
    reporter: str | None = None,
    partner: str | None = None,
    flow: str | None = None,
    hs_code: str | None = None,
    period_from: date | None = None,
    period_to: date | None = None,
) -> pl.DataFrame:
    """Scored flows matching the given key parts exactly (HS: the code or its subcodes), best rank first."""
    expr = pl.lit(True)
    for column, value in (("reporter", reporter), ("partner", partner), ("flow", flow)):
        if value:
            expr &= pl.col(column) == value
    if hs_code:
        expr &= pl.col("hs_code").str.starts_with(hs_code)
    if period_from:
        expr &= pl.col("period") >= period_from
    if period_to:
        expr &= pl.col("period") <= period_to
    return tables.snapshot().anomalies.filter(expr)


def summaries(frame: pl.DataFrame) -> list[Anomaly]:
    """Rows of the anomalies frame as list items."""
    extra = [c for c in OPTIONAL_SUMMARY if c in frame.columns]  # once the detectors write them
    return [Anomaly(**row) for row in frame.select(*SUMMARY, *extra).iter_rows(named=True)]


def anomalies(tables: TableStore, query: AnomalyQuery) -> AnomalyPage:
    """One page of the matching anomalies, with the total that matched."""
    shown, total = page(tables, query)
    items = summaries(shown)
    return AnomalyPage(
        total=total, offset=query.offset, limit=query.limit, demo=tables.snapshot().demo, items=items
    )


def record(snapshot: Snapshot, flow_id: str) -> dict:
    """The snapshot row of `flow_id` as a dict; NotFoundError when no such flow was scored."""
    row = snapshot.index.get(flow_id)
    if row is None:
        raise NotFoundError(f"no scored flow with flow_id {echo(flow_id)}")
    return snapshot.anomalies.row(row, named=True)


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


def anomaly(tables: TableStore, flow_id: str) -> AnomalyDetail:
    """One scored flow with every detector's score and its reasons; NotFoundError for an unknown id."""
    snapshot = tables.snapshot()
    return detail(snapshot, record(snapshot, flow_id))
