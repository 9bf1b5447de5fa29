"""Read the import CSV (DESIGN.md) into an all-string frame with row numbers; check the file itself."""

from __future__ import annotations

import csv as pycsv
import logging
from pathlib import Path

import polars as pl

from tradesentinel.errors import InputError

log = logging.getLogger(__name__)

REQUIRED = ("period", "reporter", "partner", "flow", "hs_code", "value_usd", "net_weight_kg")
OPTIONAL = ("qty", "qty_unit")


def _first_ragged_row(path: Path, width: int) -> int | None:
    """1-based data row whose field count differs from the header's, found with the csv module."""
    with open(path, newline="", encoding="utf-8-sig", errors="replace") as handle:
        for number, fields in enumerate(pycsv.reader(handle)):
            if number and fields and len(fields) != width:
                return number
    return None


def read_import_csv(path: Path) -> pl.DataFrame:
    """All columns as strings, header names normalised (trimmed, lower case), plus `_row` (1-based)."""
    path = Path(path)
    if not path.is_file():
        raise InputError(path, "file not found")
    try:
        frame = pl.read_csv(path, infer_schema=False, encoding="utf8-lossy")
    except pl.exceptions.NoDataError:
        raise InputError(path, "the file is empty: expected a header row and data rows") from None
    except pl.exceptions.ComputeError as exc:
        header = pl.read_csv(path, n_rows=0, infer_schema=False).columns
        row = _first_ragged_row(path, len(header))
        detail = f"has a different number of fields than the header ({len(header)})" if row else str(exc)
        raise InputError(path, f"malformed CSV: {detail}", row=row) from None
    names = [c.strip().lower() for c in frame.columns]
    duplicated = sorted({n for n in names if names.count(n) > 1})
    if duplicated:
        raise InputError(path, f"duplicate column(s) {', '.join(duplicated)}")
    frame.columns = names
    missing = [c for c in REQUIRED if c not in names]
    if missing:
        raise InputError(path, f"missing required column(s): {', '.join(missing)}", field=missing[0])
    extra = [c for c in names if c not in REQUIRED + OPTIONAL]
    if extra:
        log.info("%s: ignoring extra column(s) %s", path, ", ".join(extra))
    if frame.height == 0:
        raise InputError(path, "no data rows after the header")
    present = [c for c in REQUIRED + OPTIONAL if c in names]
    return frame.select(present).with_row_index("_row", offset=1).with_columns(pl.col("_row").cast(pl.Int64))
