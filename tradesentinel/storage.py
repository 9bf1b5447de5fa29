"""Parquet storage with atomic writes: a table is written to a temp file beside it, then renamed.

A crash or a bad input mid-write never leaves a half-written table or loses the previous one.
"""

from __future__ import annotations

import logging
import os
import tempfile
from pathlib import Path

import polars as pl

from tradesentinel.errors import TableNotFoundError
from tradesentinel.schema import BUILT_BY, TABLES, conform

log = logging.getLogger(__name__)


def write_table(frame: pl.DataFrame | pl.LazyFrame, path: Path, table: str | None = None) -> Path:
    """Write `frame` (conformed to canonical `table` when given) to `path` atomically; return the path."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    lazy = conform(frame, table) if table else frame.lazy()
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        lazy.sink_parquet(tmp, compression="zstd", statistics=True)
        with open(tmp, "rb") as handle:
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    log.info("wrote %s", path)
    return path


def append_table(frame: pl.DataFrame, path: Path, table: str) -> Path:
    """Append rows to a table (creating it when absent), atomically: old rows are kept either way."""
    new = conform(frame, table).collect()
    if Path(path).exists():
        new = pl.concat([read_table(path, table).collect(), new], how="vertical")
    return write_table(new, path, table)


def read_if_stored(path: Path, table: str) -> pl.DataFrame | None:
    """The stored table, or None when it has not been built yet (for stages that can do without it)."""
    return read_table(path, table).collect() if Path(path).exists() else None


def read_table(path: Path, table: str | None = None) -> pl.LazyFrame:
    """Lazily scan a stored table; TableNotFoundError tells the user which command builds it."""
    path = Path(path)
    if not path.exists():
        name = table or path.stem
        raise TableNotFoundError(name, path, BUILT_BY.get(name, "the stage that builds it"))
    lazy = pl.scan_parquet(path)
    return conform(lazy, table) if table in TABLES else lazy
