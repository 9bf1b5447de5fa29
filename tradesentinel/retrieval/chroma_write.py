"""Writing a collection's documents to Chroma: embedded and written in steps, the two overlapping.

Chroma's insert is the slow part of indexing once the embedder is fast: it runs in a worker thread
while the next step is embedded. Texts go to Chroma only when asked (`chroma_text`): its full-text
index on them halves the write speed, and the searcher reads texts from the catalog.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

import numpy as np
import polars as pl

from tradesentinel.retrieval.catalog import chroma_metadata
from tradesentinel.retrieval.embed import Embedder

WRITE_ROWS = 4096
"""Documents embedded and written per step: Chroma writes one step while the next is embedded."""


def write(
    collection: Any,
    embedder: Embedder,
    docs: pl.DataFrame,
    vectors: np.ndarray,
    fresh: list[int],
    kept: list[int],
    batch: int,
    progress: Callable[[float], None] | None = None,
    with_text: bool = False,
) -> float:
    """Embed the `fresh` rows into `vectors` and write them, and the `kept` rows with the vectors they
    have, to Chroma in batches of at most `batch` (texts too `with_text`); returns the seconds spent embedding."""
    steps = [fresh[s : s + WRITE_ROWS] for s in range(0, len(fresh), WRITE_ROWS)]
    steps += [kept[s : s + WRITE_ROWS] for s in range(0, len(kept), WRITE_ROWS)]
    texts, fresh_set = docs["text"], set(fresh)
    total, done, embed_seconds = max(len(fresh) + len(kept), 1), 0, 0.0
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="chroma-write") as writer:
        pending: Future[None] | None = None
        for rows in steps:
            todo = [r for r in rows if r in fresh_set]
            if todo:
                begin = time.perf_counter()
                vectors[todo] = embedder.embed(texts.gather(todo).to_list())
                embed_seconds += time.perf_counter() - begin
            if pending is not None:
                pending.result()
            pending = writer.submit(upsert, collection, docs, vectors, sorted(rows), batch, with_text)
            done += len(rows)
            if progress:
                progress(min(0.99, done / total))
        if pending is not None:
            pending.result()
    if progress:
        progress(1.0)
    return embed_seconds


def upsert(
    collection: Any, docs: pl.DataFrame, vectors: np.ndarray, rows: list[int], batch: int, with_text: bool
) -> None:
    """Upsert the given rows with their vectors and metadata (and texts), in batches Chroma accepts."""
    for start in range(0, len(rows), batch):
        chunk = rows[start : start + batch]
        part = docs[chunk]
        collection.upsert(
            ids=part["doc_id"].to_list(),
            embeddings=vectors[chunk],
            metadatas=chroma_metadata(part),
            **({"documents": part["text"].to_list()} if with_text else {}),
        )


def delete(collection: Any, gone: list[str], batch: int) -> None:
    """Delete documents by id, in batches Chroma accepts."""
    for start in range(0, len(gone), batch):
        collection.delete(ids=gone[start : start + batch])
