"""The anomalies as an analyst reads and exports them: country names, HS descriptions, formatted USD,
and the whole filtered set as CSV (streamed in chunks, so memory stays flat) or Parquet, with each
flow's reasons flattened into one text column."""

from __future__ import annotations

import io
from collections.abc import Iterator

import polars as pl

from tradesentinel.investigate.anomalies import matching
from tradesentinel.investigate.query import AnomalyQuery
from tradesentinel.investigate.tables import TableStore
from tradesentinel.reference import country_name

CHUNK_ROWS = 20_000
"""Rows per CSV chunk: each is written and sent before the next is built."""

EXPORT_COLUMNS = (
    "flow_id",
    "period",
    "reporter",
    "reporter_name",
    "partner",
    "partner_name",
    "flow",
    "hs_code",
    "hs_description",
    "score",
    "rank",
    "tier",
    "kind",
    "label",
    "value_usd",
    "value_at_stake_usd",
    "reasons",
)
"""The export's columns, in order (tier and value_at_stake_usd when the scores have them)."""


def named(tables: TableStore, frame: pl.DataFrame) -> pl.DataFrame:
    """`frame` with reporter_name, partner_name and hs_description beside the codes."""
    codes = set(frame["reporter"].unique().to_list()) | set(frame["partner"].unique().to_list())
    names = {c: country_name(c) for c in codes if c is not None}
    hs = tables.hs_names()
    described = {
        code: next((hs[code[:n]] for n in (6, 4, 2) if code[:n] in hs), None)
        for code in frame["hs_code"].unique().to_list()
        if code is not None
    }
    return frame.with_columns(
        pl.col("reporter").replace_strict(names, default=None, return_dtype=pl.String).alias("reporter_name"),
        pl.col("partner").replace_strict(names, default=None, return_dtype=pl.String).alias("partner_name"),
        pl.col("hs_code")
        .replace_strict(described, default=None, return_dtype=pl.String)
        .alias("hs_description"),
    )


def flat_reasons(column: str = "reasons") -> pl.Expr:
    """Each flow's reasons as one line: "detector: label comparison (observed x unit, expected y unit)" joined by " | "."""
    value = lambda field: pl.element().struct.field(field).round(4).cast(pl.String).fill_null("n/a")
    one = pl.format(
        "{}: {} {} (observed {} {}, expected {} {})",
        pl.element().struct.field("detector"),
        pl.element().struct.field("label"),
        pl.element().struct.field("comparison"),
        value("observed"),
        pl.element().struct.field("unit"),
        value("expected"),
        pl.element().struct.field("unit"),
    )
    return pl.col(column).list.eval(one).list.join(" | ").fill_null("").alias(column)


def export_frame(tables: TableStore, frame: pl.DataFrame) -> pl.DataFrame:
    """Rows of the anomalies table in the export's columns: names, described goods, flat reasons."""
    keep = [c for c in EXPORT_COLUMNS if c in frame.columns or c.endswith(("_name", "_description"))]
    out = named(tables, frame.select([c for c in frame.columns if c in EXPORT_COLUMNS]))
    if "reasons" in out.columns:
        out = out.with_columns(flat_reasons())
    return out.with_columns(pl.col("period").dt.strftime("%Y-%m")).select(keep)


def csv_chunks(tables: TableStore, query: AnomalyQuery, chunk: int = CHUNK_ROWS) -> Iterator[bytes]:
    """The whole filtered, sorted set as CSV (paging ignored), one chunk of rows at a time."""
    found = matching(tables, query)
    if found.height == 0:
        yield export_frame(tables, found).write_csv().encode()
        return
    for start in range(0, found.height, chunk):
        part = export_frame(tables, found.slice(start, chunk))
        yield part.write_csv(include_header=start == 0).encode()


def parquet_bytes(tables: TableStore, query: AnomalyQuery) -> bytes:
    """The whole filtered, sorted set as a Parquet file (paging ignored)."""
    buffer = io.BytesIO()
    export_frame(tables, matching(tables, query)).write_parquet(buffer)
    return buffer.getvalue()


def usd(value: float | None) -> str:
    """USD as an analyst reads it in a table: $1,234,567 (blank when missing)."""
    return "" if value is None else f"${value:,.0f}"
