"""The evidence index: Chroma collections plus a local catalog, kept in step by stable id and content hash.

Chroma (a PersistentClient under the data dir, or a server when `chroma_host` is set) holds the
vectors for nearest-neighbour search. The catalog (one Parquet file per collection under
data/chroma/catalog/) holds each document's text, metadata, content hash and vector: it makes
re-indexing incremental (unchanged documents are skipped, changed ones re-embedded, vanished ones
deleted), lets Chroma be repaired from stored vectors, and gives search its filter columns and
keyword index without asking Chroma. A missing or damaged index raises an error telling the user
to run `tradesentinel index`.
"""

from __future__ import annotations

import hashlib
import json
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

from tradesentinel.config import Settings
from tradesentinel.errors import UnavailableError
from tradesentinel.retrieval.documents import DOCS
from tradesentinel.retrieval.embed import DIMENSION, MiniLMEmbedding
from tradesentinel.storage import write_table

log = logging.getLogger(__name__)
RUN_INDEX = "run `tradesentinel index` to (re)build it"


class IndexNotFoundError(UnavailableError):
    """There is no evidence index yet."""


class IndexCorruptError(UnavailableError):
    """The evidence index is damaged or out of step with its catalog."""


@dataclass(frozen=True)
class SyncReport:
    """What one collection's sync did."""

    collection: str
    n_docs: int
    added: int
    updated: int
    deleted: int
    unchanged: int
    restored: int  # docs Chroma had lost, re-upserted from stored vectors
    embed_seconds: float
    seconds: float

    @property
    def changed(self) -> bool:
        return bool(self.added or self.updated or self.deleted or self.restored)


def chroma_name(collection: str) -> str:
    """The Chroma collection name of an evidence collection."""
    return f"ts_{collection}"


def catalog_dir(settings: Settings) -> Path:
    return settings.data_dir / "chroma" / "catalog"


def catalog_path(settings: Settings, collection: str) -> Path:
    return catalog_dir(settings) / f"{collection}.parquet"


def manifest_path(settings: Settings) -> Path:
    """The record of the indexed collections and their sizes (what the searcher opens)."""
    return catalog_dir(settings) / "manifest.json"


def _record(settings: Settings, report: SyncReport) -> None:
    """Add one synced collection to the manifest (atomically: temp file + rename)."""
    path = manifest_path(settings)
    try:
        manifest = json.loads(path.read_text()) if path.exists() else {}
    except (OSError, json.JSONDecodeError):
        manifest = {}
    collections = manifest.get("collections", {}) if isinstance(manifest, dict) else {}
    collections[report.collection] = {
        "n_docs": report.n_docs,
        "indexed_at": time.strftime("%Y-%m-%dT%H:%M:%S"),
    }
    manifest = {"collections": collections, "model": "all-MiniLM-L6-v2", "chroma_host": settings.chroma_host}
    tmp = path.with_suffix(".tmp")
    tmp.parent.mkdir(parents=True, exist_ok=True)
    tmp.write_text(json.dumps(manifest, indent=2))
    tmp.replace(path)


def chroma_client(settings: Settings) -> Any:
    """A Chroma client: HttpClient when settings name a server, else a PersistentClient under the data dir."""
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    options = ChromaSettings(anonymized_telemetry=False)
    if settings.chroma_host:
        return chromadb.HttpClient(host=settings.chroma_host, port=settings.chroma_port, settings=options)
    path = settings.data_dir / "chroma"
    path.mkdir(parents=True, exist_ok=True)
    return chromadb.PersistentClient(path=str(path), settings=options)


def content_hashes(docs: pl.DataFrame) -> list[str]:
    """A hash of everything a document shows (text and metadata): equal hash = nothing to re-index."""
    cols = [
        docs[c].to_list() for c in ("text", "kind", "countries", "hs_code", "date", "source", "url", "extra")
    ]
    return [
        hashlib.sha1(json.dumps(row, default=str).encode()).hexdigest()[:20]
        for row in zip(*cols, strict=True)
    ]


def chroma_metadata(row: dict[str, Any]) -> dict[str, Any]:
    """Scalar (and list) metadata Chroma accepts; also what its own `where` filters can use."""
    meta: dict[str, Any] = {"kind": row["kind"], "source": row["source"] or ""}
    if row["countries"]:
        meta["countries"] = list(row["countries"])
    if row["hs_code"]:
        meta |= {"hs_code": row["hs_code"], "hs2": row["hs_code"][:2], "hs4": row["hs_code"][:4]}
    if row["date"] is not None:
        meta["date"] = int(row["date"].strftime("%Y%m%d"))
    if row["url"]:
        meta["url"] = row["url"]
    return meta


class EvidenceStore:
    """Chroma collections and their catalogs for one data dir (or one Chroma server)."""

    def __init__(self, settings: Settings, embedder: MiniLMEmbedding | None = None):
        self.settings = settings
        self.embedder = embedder or MiniLMEmbedding(
            batch_size=settings.embed_batch_size, threads=settings.embed_threads
        )
        self._client: Any = None

    def _damaged(self, exc: Exception) -> IndexCorruptError:
        """The error for a store that cannot be opened at all: say where it is and what to do."""
        if self.settings.chroma_host:
            where, fix = (
                f"the Chroma server {self.settings.chroma_host}:{self.settings.chroma_port}",
                "start it",
            )
        else:
            where, fix = f"the Chroma store {self.settings.data_dir / 'chroma'}", "delete that folder"
        return IndexCorruptError(
            f"cannot open {where} ({type(exc).__name__}: {exc}); {fix}, then run `tradesentinel index`"
        )

    @property
    def client(self) -> Any:
        if self._client is None:
            try:
                self._client = chroma_client(self.settings)
            except Exception as exc:  # chromadb raises many kinds on a damaged store or unreachable server
                raise self._damaged(exc) from exc
        return self._client

    def collection(self, name: str, create: bool = False) -> Any:
        """The Chroma collection for `name`, always with our embedding function (never Chroma's default)."""
        try:
            if create:
                return self.client.get_or_create_collection(
                    chroma_name(name),
                    embedding_function=self.embedder,
                    configuration={"hnsw": {"space": "cosine"}},
                )
            return self.client.get_collection(chroma_name(name), embedding_function=self.embedder)
        except IndexCorruptError:
            raise
        except Exception as exc:
            try:
                self.client.list_collections()  # does the store itself still answer?
            except Exception as broken:
                raise self._damaged(broken) from broken
            raise IndexCorruptError(
                f"the Chroma collection {name!r} is missing or unreadable; {RUN_INDEX}"
            ) from exc

    def read_catalog(self, name: str) -> pl.DataFrame:
        """The stored catalog of a collection; IndexNotFoundError / IndexCorruptError tell what to run."""
        path = catalog_path(self.settings, name)
        if not path.exists():
            raise IndexNotFoundError(f"no evidence index for {name!r} at {path}; {RUN_INDEX}")
        try:
            frame = pl.read_parquet(path)
        except Exception as exc:
            raise IndexCorruptError(f"{path} is unreadable ({type(exc).__name__}); {RUN_INDEX}") from exc
        missing = [c for c in (*DOCS, "content_hash", "embedding") if c not in frame.columns]
        if missing:
            raise IndexCorruptError(f"{path} lacks column(s) {', '.join(missing)}; {RUN_INDEX}")
        return frame

    def sync(
        self, docs: pl.DataFrame, name: str, progress: Callable[[float], None] | None = None
    ) -> SyncReport:
        """Make collection `name` hold exactly `docs`: embed and upsert new or changed ones, delete vanished ones."""
        started = time.perf_counter()
        docs = docs.unique("doc_id", keep="last", maintain_order=True)
        docs = docs.with_columns(pl.Series("content_hash", content_hashes(docs), dtype=pl.String))
        try:
            old = self.read_catalog(name)
        except IndexNotFoundError:
            old = None
        except IndexCorruptError as exc:
            log.warning("%s: rebuilding it from scratch", exc)
            old = None
        collection = self.collection(name, create=True)
        stored = dict(zip(old["doc_id"], old["content_hash"], strict=True)) if old is not None else {}
        in_chroma = set(collection.get(include=[])["ids"])
        ids, hashes = docs["doc_id"].to_list(), docs["content_hash"].to_list()
        fresh = [i for i, (d, h) in enumerate(zip(ids, hashes, strict=True)) if stored.get(d) != h]
        keep = set(ids)
        gone = sorted((set(stored) | in_chroma) - keep)
        fresh_rows = set(fresh)
        lost_rows = [
            i for i, d in enumerate(ids) if i not in fresh_rows and d not in in_chroma
        ]  # Chroma lost them
        vectors = np.zeros((docs.height, DIMENSION), dtype=np.float32)
        if old is not None:
            position = {d: i for i, d in enumerate(old["doc_id"].to_list())}
            old_vectors = old["embedding"].to_numpy()
            reuse = [(i, position[d]) for i, d in enumerate(ids) if d in position and i not in fresh_rows]
            if reuse:
                rows, src = map(list, zip(*reuse, strict=True))
                vectors[rows] = old_vectors[src]
        embed_started = time.perf_counter()
        if fresh:
            vectors[fresh] = self.embedder.embed(docs["text"].gather(fresh).to_list(), progress)
        embed_seconds = time.perf_counter() - embed_started
        self._upsert(collection, docs, vectors, fresh + lost_rows)
        if gone:
            batch = self.client.get_max_batch_size()
            for start in range(0, len(gone), batch):
                collection.delete(ids=gone[start : start + batch])
        catalog = docs.with_columns(pl.Series("embedding", vectors, dtype=pl.Array(pl.Float32, DIMENSION)))
        write_table(catalog, catalog_path(self.settings, name))
        if progress:
            progress(1.0)
        n_added = sum(1 for i in fresh if ids[i] not in stored)
        report = SyncReport(
            name,
            docs.height,
            n_added,
            len(fresh) - n_added,
            len([g for g in gone if g in stored]),
            docs.height - len(fresh),
            len(lost_rows),
            embed_seconds,
            time.perf_counter() - started,
        )
        _record(self.settings, report)
        return report

    def _upsert(self, collection: Any, docs: pl.DataFrame, vectors: np.ndarray, rows: list[int]) -> None:
        """Upsert the given rows with their vectors, in batches Chroma accepts."""
        if not rows:
            return
        batch = self.client.get_max_batch_size()
        rows = sorted(rows)
        for start in range(0, len(rows), batch):
            chunk = rows[start : start + batch]
            part = docs[chunk]
            collection.upsert(
                ids=part["doc_id"].to_list(),
                embeddings=vectors[chunk],
                documents=part["text"].to_list(),
                metadatas=[chroma_metadata(r) for r in part.iter_rows(named=True)],
            )

    def drop(self, name: str) -> None:
        """Remove a collection and its catalog (used when its source table is gone)."""
        try:
            self.client.delete_collection(chroma_name(name))
        except Exception:  # noqa: BLE001 - absent already
            log.debug("no Chroma collection %s to delete", name)
        catalog_path(self.settings, name).unlink(missing_ok=True)
