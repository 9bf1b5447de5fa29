"""Hybrid retrieval: vector similarity (MiniLM, Chroma) plus BM25 keywords, with fast filters.

Filters (countries, HS prefix, period, kinds) are applied outside Chroma: each collection's
metadata sits in numpy arrays and inverted lists built once when the searcher opens, so a filter
is a boolean mask. Small or filtered candidate sets are ranked by an exact dot product over the
stored vectors; large ones go to Chroma's HNSW index with oversampling, and the mask is applied to
what comes back. The fused score is `w * cosine + (1 - w) * keyword`, where the keyword score is
BM25 relative to the collection's best match or to an ideal document holding every query word
once, whichever is higher (0..1). Sanctions entries also get a fuzzy name-match score (0..1) as
their keyword score when the query names them in another spelling.
"""

from __future__ import annotations

import json
import logging
import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

import numpy as np
import polars as pl

from tradesentinel.config import Settings
from tradesentinel.errors import InvalidArgumentError
from tradesentinel.retrieval.embed import MiniLMEmbedding
from tradesentinel.retrieval.hits import COLLECTIONS, Hit, SearchFilters
from tradesentinel.retrieval.keywords import KeywordIndex, query_tokens
from tradesentinel.retrieval.matching import NameIndex, query_windows
from tradesentinel.retrieval.store import (
    RUN_INDEX,
    EvidenceStore,
    IndexCorruptError,
    IndexNotFoundError,
    manifest_path,
)

log = logging.getLogger(__name__)
EXACT_LIMIT = 20_000
"""Up to this many candidates, vectors are ranked exactly in numpy instead of asking Chroma."""
_NO_DATE = np.iinfo(np.int32).min


def _rows_by(values: list[list[str]] | list[str | None]) -> dict[str, np.ndarray]:
    """Inverted lists: value -> sorted row numbers holding it (a row may hold several values)."""
    index: dict[str, list[int]] = {}
    for row, held in enumerate(values):
        for value in held if isinstance(held, list) else [held]:
            if value:
                index.setdefault(value, []).append(row)
    return {k: np.asarray(v, dtype=np.int64) for k, v in index.items()}


@dataclass
class CollectionIndex:
    """One collection in memory: ids, texts, metadata arrays, vectors, keyword index, Chroma handle."""

    name: str
    catalog: pl.DataFrame
    vectors: np.ndarray
    keywords: KeywordIndex
    chroma: Any
    countries: dict[str, np.ndarray]
    kinds: dict[str, np.ndarray]
    hs_prefix: dict[str, np.ndarray]
    hs_exact: dict[str, np.ndarray]
    days: np.ndarray  # int32 days since 1970, _NO_DATE where the doc has no date
    names: NameIndex | None = None  # sanctions: listed names and aliases, row-aligned with the catalog

    @classmethod
    def build(cls, name: str, catalog: pl.DataFrame, chroma: Any) -> CollectionIndex:
        hs = catalog["hs_code"].to_list()
        prefixes = [[code[:n] for n in range(1, len(code) + 1)] if code else [] for code in hs]
        days = catalog["date"].cast(pl.Int32).fill_null(_NO_DATE).to_numpy()
        return cls(
            name=name,
            catalog=catalog.drop("embedding"),
            vectors=np.ascontiguousarray(catalog["embedding"].to_numpy(), dtype=np.float32),
            keywords=KeywordIndex(catalog["text"], catalog["hs_code"]),
            chroma=chroma,
            countries=_rows_by(catalog["countries"].to_list()),
            kinds=_rows_by(catalog["kind"].to_list()),
            hs_prefix=_rows_by(prefixes),
            hs_exact=_rows_by(hs),
            days=days,
            names=_name_index(catalog) if name == "sanctions" else None,
        )

    @property
    def size(self) -> int:
        return self.vectors.shape[0]

    def mask(self, filters: SearchFilters | None) -> np.ndarray | None:
        """Boolean mask of the rows passing `filters` (None when nothing filters)."""
        if filters is None:
            return None
        mask: np.ndarray | None = None

        def narrow(rows_or_mask: np.ndarray, is_rows: bool = True) -> None:
            nonlocal mask
            if is_rows:
                part = np.zeros(self.size, dtype=bool)
                part[rows_or_mask] = True
            else:
                part = rows_or_mask
            mask = part if mask is None else mask & part

        empty = np.empty(0, dtype=np.int64)
        if filters.countries:
            narrow(np.concatenate([self.countries.get(c.upper(), empty) for c in filters.countries]))
        if filters.kinds:
            narrow(np.concatenate([self.kinds.get(k, empty) for k in filters.kinds]))
        if filters.hs_prefix:
            prefix = filters.hs_prefix.strip()
            parents = [self.hs_exact.get(prefix[:n], empty) for n in (2, 4) if n < len(prefix)]
            narrow(
                np.concatenate([self.hs_prefix.get(prefix, empty), *parents])
                if self.name == "hs_codes"
                else self.hs_prefix.get(prefix, empty)
            )
        if filters.period_from or filters.period_to:
            low = _days(filters.period_from) if filters.period_from else _NO_DATE + 1
            high = _days(filters.period_to) if filters.period_to else np.iinfo(np.int32).max
            narrow((self.days >= low) & (self.days <= high), is_rows=False)
        return mask

    def vector_candidates(self, query: np.ndarray, mask: np.ndarray | None, k: int) -> np.ndarray:
        """Rows of the `k` nearest documents passing the mask (exact when few, Chroma HNSW when many)."""
        rows = np.arange(self.size) if mask is None else np.flatnonzero(mask)
        if rows.size == 0:
            return rows
        if rows.size <= EXACT_LIMIT or self.chroma is None:
            sims = self.vectors[rows] @ query if mask is not None else self.vectors @ query
            top = np.argpartition(-sims, min(k, sims.size) - 1)[:k] if sims.size > k else np.arange(sims.size)
            return rows[top]
        want = min(self.size, math.ceil(k * self.size / rows.size * 2))
        found = self._chroma_rows(query, want)
        if mask is not None:
            found = found[mask[found]]
        if found.size >= min(k, rows.size):
            return found[:k]
        sims = self.vectors[rows] @ query  # HNSW came back short: rank the candidates exactly
        return rows[np.argpartition(-sims, min(k, sims.size) - 1)[:k]]

    def _chroma_rows(self, query: np.ndarray, n: int) -> np.ndarray:
        try:
            result = self.chroma.query(query_embeddings=[query], n_results=n, include=[])
        except Exception as exc:
            raise IndexCorruptError(
                f"Chroma collection {self.name!r} failed to answer ({exc}); {RUN_INDEX}"
            ) from exc
        position = self._position()
        return np.asarray([position[i] for i in result["ids"][0] if i in position], dtype=np.int64)

    def _position(self) -> dict[str, int]:
        if not hasattr(self, "_positions"):
            self._positions = {d: i for i, d in enumerate(self.catalog["doc_id"].to_list())}
        return self._positions

    def hits(self, picked: list[tuple[float, float, float | None, int]]) -> list[Hit]:
        """Hits for (score, cosine, keyword, row) tuples, reading their rows in one gather."""
        if not picked:
            return []
        records = self.catalog[[row for *_, row in picked]].to_dicts()
        out = []
        for (score, vector, keyword, _), r in zip(picked, records, strict=True):
            metadata = {
                "kind": r["kind"],
                "countries": list(r["countries"] or []),
                "hs_code": r["hs_code"],
                "date": r["date"].isoformat() if r["date"] else None,
                "source": r["source"],
                "url": r["url"],
                **json.loads(r["extra"] or "{}"),
            }
            out.append(Hit(r["doc_id"], self.name, r["text"], metadata, score, vector, keyword))
        return out


def _name_index(catalog: pl.DataFrame) -> NameIndex:
    """The listed names and aliases of a sanctions catalog, entry i = catalog row i."""
    extra = [json.loads(e or "{}") for e in catalog["extra"].to_list()]
    return NameIndex(
        pl.DataFrame(
            {
                "list": [e.get("list", "") for e in extra],
                "entry_id": [e.get("entry_id", "") for e in extra],
                "name": [e.get("name", "") for e in extra],
                "aliases": [[a for a in e.get("aliases", "").split("; ") if a] for e in extra],
            },
            schema={
                "list": pl.String,
                "entry_id": pl.String,
                "name": pl.String,
                "aliases": pl.List(pl.String),
            },
        )
    )


def _days(day: date) -> int:
    return (day - date(1970, 1, 1)).days


Scored = tuple[float, float, float | None, CollectionIndex, int]
"""A candidate row: fused, cosine and keyword score (None: no keyword match), its collection, its row."""


class HybridSearcher:
    """Searcher over the evidence collections: vector + BM25, filters outside Chroma, scores on every hit."""

    def __init__(
        self,
        collections: dict[str, CollectionIndex],
        embedder: MiniLMEmbedding,
        vector_weight: float = 0.5,
        depth: int = 50,
        match_threshold: float = 88.0,
    ):
        if not collections:
            raise IndexNotFoundError(f"the evidence index is empty; {RUN_INDEX}")
        self.collections = collections
        self.embedder = embedder
        self.vector_weight = vector_weight
        self.depth = depth
        self.match_threshold = match_threshold

    def search(
        self,
        query: str,
        *,
        k: int = 8,
        collections: Sequence[str] | None = None,
        filters: SearchFilters | None = None,
    ) -> list[Hit]:
        """The `k` most relevant hits across `collections` (all indexed ones when None), best first."""
        chosen = [c for c in (collections or COLLECTIONS) if c in self.collections]
        unknown = [c for c in (collections or []) if c not in COLLECTIONS]
        if unknown:
            raise InvalidArgumentError(
                "collections",
                f"unknown collection(s) {', '.join(unknown)}; choose from {', '.join(COLLECTIONS)}",
            )
        if not query.strip() or not chosen or k <= 0:
            return []
        return self.search_vector(
            query, self.embedder.embed_one(query), k=k, collections=chosen, filters=filters
        )

    def search_vector(
        self,
        query: str,
        vector: np.ndarray,
        *,
        k: int,
        collections: Sequence[str],
        filters: SearchFilters | None = None,
    ) -> list[Hit]:
        """`search` with the query already embedded (benchmarks time retrieval apart from the model)."""
        chosen = [c for c in collections if c in self.collections]
        tokens = query_tokens(query)
        known = [t for t in tokens if any(t in c.keywords.vocab for c in self.collections.values())]
        scored: list[Scored] = []
        depth = max(self.depth, 4 * k)
        for name in chosen:
            scored += self._scored(self.collections[name], query, vector, known, filters, depth)
        scored.sort(key=lambda s: -s[0])
        return self._hits(scored[:k])

    def _scored(
        self,
        index: CollectionIndex,
        query: str,
        vector: np.ndarray,
        known: list[str],
        filters: SearchFilters | None,
        depth: int,
    ) -> list[Scored]:
        """The candidates of one collection (nearest vectors, best keyword and name matches), each with its
        fused, cosine and keyword scores."""
        mask = index.mask(filters)
        if mask is not None and not mask.any():
            return []
        rows = index.vector_candidates(vector, mask, depth)
        if known:
            rows, keyword = _with_keyword_matches(index, rows, known, mask, depth)
        else:
            keyword = np.zeros(rows.size)
        if index.names is not None:  # names spelt another way: fuzzy, transliteration-tolerant match
            named = index.names.best_scores(query_windows(query), self.match_threshold) / 100.0
            if mask is not None:
                named = np.where(mask, named, 0.0)
            extra = np.setdiff1d(np.flatnonzero(named), rows)
            rows, keyword = np.concatenate([rows, extra]), np.concatenate([keyword, np.zeros(extra.size)])
            keyword = np.maximum(keyword, named[rows])
        cosine = index.vectors[rows] @ vector
        fused = self.vector_weight * np.clip(cosine, 0.0, 1.0) + (1 - self.vector_weight) * keyword
        return [
            (float(f), float(c), float(kw) if kw > 0 else None, index, int(row))
            for row, f, c, kw in zip(rows, fused, cosine, keyword, strict=True)
        ]

    def _hits(self, top: list[Scored]) -> list[Hit]:
        """The hits of the scored rows, in their order (each collection builds its own hits at once)."""
        built: dict[tuple[str, int], Hit] = {}
        for name in {index.name for *_, index, _ in top}:
            mine = [(f, c, kw, row) for f, c, kw, index, row in top if index.name == name]
            for (*_, row), hit in zip(mine, self.collections[name].hits(mine), strict=True):
                built[(name, row)] = hit
        return [built[(index.name, row)] for *_, index, row in top]


def _with_keyword_matches(
    index: CollectionIndex, rows: np.ndarray, known: list[str], mask: np.ndarray | None, depth: int
) -> tuple[np.ndarray, np.ndarray]:
    """`rows` joined by the `depth` best BM25 matches of the known query words (within the mask), and each
    row's keyword score: 1.0 is the collection's best match, or an ideal doc holding every query word once
    if none is as good."""
    bm25 = index.keywords.scores(known)
    if mask is not None:
        bm25 = np.where(mask, bm25, 0.0)
    hits = np.flatnonzero(bm25 > 0)
    if hits.size > depth:
        hits = hits[np.argpartition(-bm25[hits], depth - 1)[:depth]]
    rows = np.union1d(rows, hits)
    scale = max(index.keywords.ideal(known), float(bm25.max()), 1e-9)
    return rows, bm25[rows] / scale


def open_searcher(settings: Settings, embedder: MiniLMEmbedding | None = None) -> HybridSearcher:
    """Load every indexed collection (catalog + Chroma handle) and check they agree; errors say to run `index`."""
    path = manifest_path(settings)
    if not path.exists():
        raise IndexNotFoundError(f"no evidence index under {path.parent}; {RUN_INDEX}")
    try:
        manifest = json.loads(path.read_text())
        names = [n for n in manifest["collections"] if n in COLLECTIONS]
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise IndexCorruptError(f"{path} is unreadable ({exc}); {RUN_INDEX}") from exc
    store = EvidenceStore(settings, embedder)
    collections = {}
    for name in names:
        catalog = store.read_catalog(name)
        chroma = store.collection(name)
        try:
            count = chroma.count()
        except Exception as exc:
            raise IndexCorruptError(f"Chroma collection {name!r} is unreadable ({exc}); {RUN_INDEX}") from exc
        if count != catalog.height:
            raise IndexCorruptError(
                f"Chroma collection {name!r} holds {count} documents but its catalog {catalog.height}; {RUN_INDEX}"
            )
        collections[name] = CollectionIndex.build(name, catalog, chroma)
    return HybridSearcher(
        collections, store.embedder, settings.search_vector_weight, match_threshold=settings.match_threshold
    )
