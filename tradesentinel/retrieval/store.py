"""The evidence index: Chroma collections plus a local catalog, kept in step by stable id and content hash.

Chroma (a PersistentClient under the data dir, or a server when `chroma_host` is set) holds the
vectors for nearest-neighbour search; the catalog (`catalog.py`) holds every document with its
vector. Syncing a collection embeds only new or changed documents, deletes vanished ones and
skips the rest; with nothing changed it compares hashes and counts only: the embedder is not
loaded and nothing is written. Each collection records its embedder (Chroma metadata and the
manifest): a sync with another embedder drops the old vectors and re-embeds everything once,
so vectors of two embedders never meet. A missing or damaged index raises an error telling the
user to run `tradesentinel index`.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import polars as pl

from tradesentinel.config import Settings
from tradesentinel.retrieval.catalog import (
    RUN_INDEX,
    IndexCorruptError,
    IndexNotFoundError,
    catalog_path,
    chroma_name,
    content_hashes,
    read_manifest,
    record,
    recorded_embedder,
)
from tradesentinel.retrieval.chroma_write import delete, write
from tradesentinel.retrieval.documents import DOCS
from tradesentinel.retrieval.embed import ChromaEmbedding, Embedder, open_embedder
from tradesentinel.storage import write_table

log = logging.getLogger(__name__)
HNSW = {"space": "cosine", "ef_construction": 64, "max_neighbors": 12}
"""Chroma's graph: lighter than its default (100, 16), about twice as fast to build; the searcher
ranks small or filtered candidate sets exactly and oversamples what it asks Chroma for."""


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
    embedder: str = ""
    switched_from: str | None = None  # the embedder of the vectors this sync replaced, when it changed

    @property
    def changed(self) -> bool:
        return bool(self.added or self.updated or self.deleted or self.restored)


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


class EvidenceStore:
    """Chroma collections and their catalogs for one data dir (or one Chroma server), with one embedder."""

    def __init__(self, settings: Settings, embedder: Embedder | None = None):
        self.settings = settings
        self.embedder = embedder if embedder is not None else open_embedder(settings)
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

    def collection(self, name: str) -> Any:
        """The Chroma collection for `name` with our embedding function (never Chroma's default)."""
        try:
            return self.client.get_collection(
                chroma_name(name), embedding_function=ChromaEmbedding(self.embedder)
            )
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

    def _writable(self, name: str) -> tuple[Any, str | None]:
        """The collection to sync into, and the embedder of an existing one made with another (now dropped)."""
        cname, dropped = chroma_name(name), None
        try:
            existing = self.client.get_collection(cname, embedding_function=None)
        except Exception:  # noqa: BLE001 - absent (or unreadable: made anew below)
            existing = None
        if existing is not None:
            theirs = (existing.metadata or {}).get("embedder")
            if theirs != self.embedder.name:
                dropped = theirs or "an unrecorded embedder"
                self.client.delete_collection(cname)
        collection = self.client.get_or_create_collection(
            cname,
            embedding_function=ChromaEmbedding(self.embedder),
            metadata={"embedder": self.embedder.name, "dimension": self.embedder.dimension},
            configuration={"hnsw": HNSW},
        )
        return collection, dropped

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

    def _previous(self, name: str) -> tuple[pl.DataFrame | None, str | None]:
        """The catalog to sync against (None: start afresh) and the embedder it had, when another one."""
        theirs = recorded_embedder(read_manifest(self.settings), name)
        try:
            old = self.read_catalog(name)
        except IndexNotFoundError:
            return None, None
        except IndexCorruptError as exc:
            log.warning("%s: rebuilding it from scratch", exc)
            return None, None
        if theirs != self.embedder.name:
            log.warning(
                "%s: indexed with embedder %s, now %s: re-embedding all %d documents once",
                name,
                theirs,
                self.embedder.name,
                old.height,
            )
            return None, theirs or "an unrecorded embedder"
        return old, None

    def sync(
        self, docs: pl.DataFrame, name: str, progress: Callable[[float], None] | None = None
    ) -> SyncReport:
        """Make collection `name` hold exactly `docs`: embed and write new or changed ones, delete vanished ones."""
        started = time.perf_counter()
        docs = docs.unique("doc_id", keep="last", maintain_order=True)
        if "content_hash" not in docs.columns:
            docs = docs.with_columns(pl.Series("content_hash", content_hashes(docs), dtype=pl.String))
        old, switched = self._previous(name)
        collection, dropped = self._writable(name)
        switched = switched or dropped
        if dropped:
            old = None  # its vectors went with the Chroma collection: do not restore them
        stored = dict(zip(old["doc_id"], old["content_hash"], strict=True)) if old is not None else {}
        ids, hashes = docs["doc_id"].to_list(), docs["content_hash"].to_list()
        fresh = [i for i, (d, h) in enumerate(zip(ids, hashes, strict=True)) if stored.get(d) != h]
        gone = set(stored).difference(ids)
        lost: list[int] = []
        if collection.count() != len(stored):  # out of step: compare ids (else counts and hashes suffice)
            in_chroma = set(collection.get(include=[])["ids"])
            fresh_rows = set(fresh)
            lost = [i for i, d in enumerate(ids) if i not in fresh_rows and d not in in_chroma]
            gone |= in_chroma.difference(ids)
        if old is not None and not fresh and not gone and not lost:
            if progress:
                progress(1.0)
            return self._report(name, docs.height, 0, 0, 0, 0, 0.0, started, None)
        dimension = self.embedder.dimension
        vectors = np.zeros((docs.height, dimension), dtype=np.float32)
        if old is not None:
            position = {d: i for i, d in enumerate(old["doc_id"].to_list())}
            reuse = [(i, position[d]) for i, d in enumerate(ids) if d in position]
            if reuse:
                rows, src = map(list, zip(*reuse, strict=True))
                vectors[rows] = old["embedding"].to_numpy()[src]
        if old is not None and fresh:  # metadata changed but not the text: keep the vector, only re-write
            same_text = docs[fresh].join(
                old.select("doc_id", pl.col("text").alias("was")), on="doc_id", how="left"
            )
            kept = (same_text["text"] == same_text["was"]).fill_null(False).to_list()
            rewrite = [i for i, k in zip(fresh, kept, strict=True) if k]
            lost, fresh = lost + rewrite, [i for i, k in zip(fresh, kept, strict=True) if not k]
            updated_only = len(rewrite)
        else:
            updated_only = 0
        batch = self.client.get_max_batch_size()
        embed_seconds = write(
            collection, self.embedder, docs, vectors, fresh, lost, batch, progress, self.settings.chroma_text
        )
        delete(collection, sorted(gone), batch)
        catalog = docs.with_columns(pl.Series("embedding", vectors, dtype=pl.Array(pl.Float32, dimension)))
        write_table(catalog, catalog_path(self.settings, name))
        n_added = sum(1 for i in fresh if ids[i] not in stored)
        return self._report(
            name,
            docs.height,
            n_added,
            len(fresh) - n_added + updated_only,
            len(gone.intersection(stored)),
            len(lost) - updated_only,
            embed_seconds,
            started,
            switched,
        )

    def _report(
        self,
        name: str,
        n_docs: int,
        added: int,
        updated: int,
        deleted: int,
        restored: int,
        embed_seconds: float,
        started: float,
        switched: str | None,
    ) -> SyncReport:
        """The sync's report, recorded in the manifest with the embedder."""
        record(self.settings, name, n_docs, self.embedder.name, self.embedder.dimension)
        unchanged = n_docs - added - updated  # restored documents were not re-embedded: unchanged too
        return SyncReport(
            name,
            n_docs,
            added,
            updated,
            deleted,
            unchanged,
            restored,
            embed_seconds,
            time.perf_counter() - started,
            self.embedder.name,
            switched,
        )

    def drop(self, name: str) -> None:
        """Remove a collection and its catalog (used when its source table is gone)."""
        try:
            self.client.delete_collection(chroma_name(name))
        except Exception:  # noqa: BLE001 - absent already
            log.debug("no Chroma collection %s to delete", name)
        catalog_path(self.settings, name).unlink(missing_ok=True)
