"""The export side of GET /anomalies: the whole filtered set as streamed CSV or as a Parquet file."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from fastapi.responses import Response, StreamingResponse

from tradesentinel.investigate.export import csv_chunks, parquet_bytes
from tradesentinel.investigate.query import AnomalyQuery
from tradesentinel.investigate.tables import TableStore

PARQUET = "application/vnd.apache.parquet"
EXPORTS: dict[int | str, dict[str, Any]] = {
    200: {
        "content": {"text/csv": {}, PARQUET: {}},
        "description": "A page as JSON, or with format=csv|parquet the whole filtered set as a file.",
    }
}


def exported(tables: TableStore, query: AnomalyQuery, fmt: str) -> Response:
    """The download for `fmt` (csv streamed chunk by chunk; parquet built whole, it is compressed)."""
    name = f"anomalies-{datetime.now(UTC):%Y%m%d-%H%M%S}.{fmt}"
    disposition = {"Content-Disposition": f'attachment; filename="{name}"'}
    if fmt == "csv":
        chunks = csv_chunks(tables, query)
        first = next(chunks)  # a missing table fails here, before the 200 goes out
        return StreamingResponse(_chain(first, chunks), media_type="text/csv", headers=disposition)
    return Response(parquet_bytes(tables, query), media_type=PARQUET, headers=disposition)


def _chain(first: bytes, rest):
    yield first
    yield from rest
