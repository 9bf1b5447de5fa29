"""Partitioned Parquet datasets on any fsspec filesystem (local paths, file://, s3://), written atomically.

A dataset is a folder of versions and one small pointer file, `_CURRENT.json`, naming the committed
version, its parts and their row counts. Writers put every part into a fresh version folder, then
replace the pointer (a local rename, or a single-object PUT on S3, both atomic) and remove older
versions. A crash mid-write leaves the previous version committed and readable; object stores have
no directory rename, so this is the object-store form of "write to a temp dir and rename".
One writer per dataset at a time.
"""

from __future__ import annotations

import json
import logging
import time
import uuid
from dataclasses import dataclass
from typing import Any

import fsspec
import polars as pl
from dask.sizeof import sizeof

from tradesentinel.config import Settings
from tradesentinel.errors import TableNotFoundError

log = logging.getLogger(__name__)
POINTER = "_CURRENT.json"


@sizeof.register(pl.DataFrame)
def _frame_bytes(frame: pl.DataFrame) -> int:
    """A polars frame's size as Dask counts a worker's data (its default, `sys.getsizeof`, sees ~100
    bytes): so a worker's memory limit spills the parts it holds. Registered wherever the tasks
    that read parts are loaded."""
    return int(frame.estimated_size())


def dataset_url(settings: Settings, table: str) -> str:
    """URL of the partitioned dataset `table` (flows, features, scores) under settings.dataset_url."""
    base = settings.dataset_url or (settings.data_dir / "partitioned").resolve().as_uri()
    return f"{base.rstrip('/')}/{table}"


def _fs(url: str, options: dict[str, Any]) -> tuple[fsspec.AbstractFileSystem, str]:
    fs, root = fsspec.core.url_to_fs(url, **options)
    return fs, root.rstrip("/")


@dataclass(frozen=True)
class Manifest:
    """A committed version: its folder name, part names in order, rows per part, and free metadata."""

    url: str
    version: str
    parts: tuple[str, ...]
    rows: tuple[int, ...]
    meta: dict[str, Any]

    @property
    def n_rows(self) -> int:
        """Rows in all parts."""
        return sum(self.rows)

    def part_url(self, part: str) -> str:
        """URL of one part's Parquet file."""
        return f"{self.url}/{self.version}/{part}.parquet"


def new_version() -> str:
    """A fresh version folder name, ordered by time."""
    return f"v-{time.time_ns()}-{uuid.uuid4().hex[:8]}"


def write_part(url: str, version: str, part: str, frame: pl.DataFrame, options: dict[str, Any]) -> int:
    """Write one part of an uncommitted version; returns its rows (readers never see it before commit)."""
    fs, root = _fs(url, options)
    fs.makedirs(f"{root}/{version}", exist_ok=True)
    with fs.open(f"{root}/{version}/{part}.parquet", "wb") as handle:
        frame.write_parquet(handle, compression="zstd", statistics=True)
    return frame.height


def commit(
    url: str,
    version: str,
    parts: list[tuple[str, int]],
    options: dict[str, Any],
    meta: dict[str, Any] | None = None,
) -> Manifest:
    """Point the dataset at `version` (atomic replace of the pointer), then drop older versions."""
    fs, root = _fs(url, options)
    for part, _ in parts:
        if not fs.exists(f"{root}/{version}/{part}.parquet"):
            raise FileNotFoundError(f"{url}/{version}/{part}.parquet was not written: not committing")
    body = {
        "version": version,
        "parts": [p for p, _ in parts],
        "rows": [r for _, r in parts],
        "meta": meta or {},
    }
    tmp = f"{root}/.{POINTER}.{uuid.uuid4().hex}.tmp"
    with fs.open(tmp, "w") as handle:
        json.dump(body, handle)
    fs.mv(tmp, f"{root}/{POINTER}")
    for entry in fs.ls(root, detail=False):
        name = entry.rstrip("/").rsplit("/", 1)[-1]
        if name.startswith("v-") and name != version:
            fs.rm(entry, recursive=True)
    log.info("committed %s version %s (%d parts)", url, version, len(parts))
    return current(url, options)


def current(url: str, options: dict[str, Any]) -> Manifest:
    """The committed version of a dataset; TableNotFoundError names the command that builds it."""
    fs, root = _fs(url, options)
    try:
        with fs.open(f"{root}/{POINTER}", "r") as handle:
            body = json.load(handle)
    except FileNotFoundError:
        raise TableNotFoundError(
            url, url, "tradesentinel features --engine dask", reason="has no committed version yet"
        ) from None
    return Manifest(url, body["version"], tuple(body["parts"]), tuple(body["rows"]), body.get("meta", {}))


def read_part(
    manifest: Manifest, part: str, options: dict[str, Any], columns: list[str] | None = None
) -> pl.DataFrame:
    """One committed part as a DataFrame (optionally only `columns`)."""
    fs, root = _fs(manifest.url, options)
    with fs.open(f"{root}/{manifest.version}/{part}.parquet", "rb") as handle:
        return pl.read_parquet(handle, columns=columns)


def read_file(url: str, options: dict[str, Any]) -> pl.DataFrame:
    """One Parquet file at `url` (any fsspec filesystem)."""
    fs, path = _fs(url, options)
    with fs.open(path, "rb") as handle:
        return pl.read_parquet(handle)


def remove(url: str, options: dict[str, Any]) -> None:
    """Remove a folder (e.g. a finished shuffle's buckets) and everything under it, if it exists."""
    fs, path = _fs(url, options)
    if fs.exists(path):
        fs.rm(path, recursive=True)
