"""The catalog beside Chroma: one Parquet file per collection, and a manifest of what was indexed with what.

The catalog holds each document's text, metadata, content hash and vector: it makes re-indexing
incremental, lets Chroma be repaired from stored vectors, and gives search its filter columns
and keyword index without asking Chroma. The manifest records, per collection, its size and the
embedder (name and dimension) its vectors came from, so vectors of two embedders are never mixed.
"""

from __future__ import annotations

import hashlib
import json
import time
from pathlib import Path
from typing import Any

import polars as pl

from tradesentinel.config import Settings
from tradesentinel.errors import UnavailableError

RUN_INDEX = "run `tradesentinel index` to (re)build it"
LEGACY_EMBEDDER = "minilm"
"""What indexes written before embedders were recorded were embedded with."""
HASHED = ("text", "kind", "countries", "hs_code", "date", "source", "url", "extra")
"""The document fields a content hash covers: everything a document shows."""


class IndexNotFoundError(UnavailableError):
    """There is no evidence index yet."""


class IndexCorruptError(UnavailableError):
    """The evidence index is damaged or out of step with its catalog."""


class EmbedderMismatchError(IndexCorruptError):
    """The index was embedded with another embedder than the one asked for: its vectors do not compare."""


def chroma_name(collection: str) -> str:
    """The Chroma collection name of an evidence collection."""
    return f"ts_{collection}"


def catalog_dir(settings: Settings) -> Path:
    return settings.data_dir / "chroma" / "catalog"


def catalog_path(settings: Settings, collection: str) -> Path:
    return catalog_dir(settings) / f"{collection}.parquet"


def manifest_path(settings: Settings) -> Path:
    """The record of the indexed collections, their sizes and embedders (what the searcher opens)."""
    return catalog_dir(settings) / "manifest.json"


def read_manifest(settings: Settings) -> dict[str, Any]:
    """The manifest as a dict ({} when absent or unreadable: the next `index` rewrites it)."""
    path = manifest_path(settings)
    try:
        manifest = json.loads(path.read_text()) if path.exists() else {}
    except (OSError, json.JSONDecodeError):
        return {}
    return manifest if isinstance(manifest, dict) else {}


def recorded_embedder(manifest: dict[str, Any], collection: str) -> str | None:
    """The embedder a collection's vectors came from (None: not indexed)."""
    entry = manifest.get("collections", {}).get(collection)
    if not isinstance(entry, dict):
        return None
    return entry.get("embedder") or (LEGACY_EMBEDDER if manifest.get("model") == "all-MiniLM-L6-v2" else None)


def record(settings: Settings, collection: str, n_docs: int, embedder: str, dimension: int) -> None:
    """Add one synced collection to the manifest (atomically: temp file + rename)."""
    manifest = read_manifest(settings)
    collections = manifest.get("collections", {})
    collections[collection] = {
        "n_docs": n_docs,
        "indexed_at": time.strftime("%Y-%m-%dT%H:%M:%S"),
        "embedder": embedder,
        "dimension": dimension,
    }
    path = manifest_path(settings)
    tmp = path.with_suffix(".tmp")
    tmp.parent.mkdir(parents=True, exist_ok=True)
    tmp.write_text(json.dumps({"collections": collections, "chroma_host": settings.chroma_host}, indent=2))
    tmp.replace(path)


def content_hashes(docs: pl.DataFrame) -> list[str]:
    """A hash of everything a document shows (text and metadata): equal hash = nothing to re-index.

    The fields (and which of them are null) are joined by polars in one pass; only SHA-1 runs per row."""
    fields = {c: pl.col(c) for c in HASHED} | {
        "countries": pl.col("countries").list.join(","),
        "date": pl.col("date").cast(pl.String),
    }
    joined = docs.select(
        pl.concat_str(
            [expr.fill_null("") for expr in fields.values()]
            + [pl.col(c).is_null().cast(pl.Int8).cast(pl.String) for c in HASHED],
            separator="\x1f",
        )
    ).to_series()
    return [hashlib.sha1(text.encode()).hexdigest()[:20] for text in joined.to_list()]


def chroma_metadata(docs: pl.DataFrame) -> list[dict[str, Any]]:
    """Scalar (and list) metadata Chroma accepts for each document; also what its `where` filters use."""
    has_hs = pl.col("hs_code").fill_null("") != ""
    frame = docs.select(
        "kind",
        pl.col("source").fill_null(""),
        pl.when(pl.col("countries").list.len() > 0).then(pl.col("countries")).alias("countries"),
        pl.when(has_hs).then(pl.col("hs_code")).alias("hs_code"),
        pl.when(has_hs).then(pl.col("hs_code").str.slice(0, 2)).alias("hs2"),
        pl.when(has_hs).then(pl.col("hs_code").str.slice(0, 4)).alias("hs4"),
        pl.col("date").dt.strftime("%Y%m%d").cast(pl.Int64).alias("date"),
        pl.when(pl.col("url").fill_null("") != "").then(pl.col("url")).alias("url"),
    )
    return [{k: v for k, v in row.items() if v is not None} for row in frame.iter_rows(named=True)]
