"""Hybrid retrieval: vector similarity (any `Embedder`, Chroma) plus BM25 keywords, with fast filters.

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
import re
from collections.abc import Sequence

import numpy as np

from tradesentinel.config import Settings
from tradesentinel.errors import InvalidArgumentError
from tradesentinel.retrieval.catalog import (
    RUN_INDEX,
    EmbedderMismatchError,
    IndexCorruptError,
    IndexNotFoundError,
    manifest_path,
    recorded_embedder,
)
from tradesentinel.retrieval.collection import CollectionIndex
from tradesentinel.retrieval.embed import Embedder
from tradesentinel.retrieval.hits import COLLECTIONS, Hit, SearchFilters
from tradesentinel.retrieval.keywords import query_tokens
from tradesentinel.retrieval.matching import query_windows
from tradesentinel.retrieval.store import EvidenceStore

log = logging.getLogger(__name__)


Scored = tuple[float, float, float | None, CollectionIndex, int]
"""A candidate row: fused, cosine and keyword score (None: no keyword match), its collection, its row."""


class HybridSearcher:
    """Searcher over the evidence collections: vector + BM25, filters outside Chroma, scores on every hit."""

    def __init__(
        self,
        collections: dict[str, CollectionIndex],
        embedder: Embedder,
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
            rows, keyword = _joined(rows, keyword, np.flatnonzero(named))
            keyword = np.maximum(keyword, named[rows])
        defined = _defined_codes(index, query, mask) if self.vector_weight < 1.0 else np.empty(0, np.int64)
        rows, keyword = _joined(rows, keyword, defined)
        is_defined = np.isin(rows, defined)  # the entry of a code the query names: a full keyword match
        keyword = np.where(is_defined, 1.0, keyword)
        cosine = index.vectors[rows] @ vector
        fused = self.vector_weight * np.clip(cosine, 0.0, 1.0) + (1 - self.vector_weight) * keyword
        fused = np.where(is_defined, 1.0, fused)  # ... and it is what the query asks about: first
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


def _joined(rows: np.ndarray, keyword: np.ndarray, more: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Candidate `rows` and their keyword scores, with the `more` rows not among them added at 0."""
    extra = np.setdiff1d(more, rows)
    return np.concatenate([rows, extra]), np.concatenate([keyword, np.zeros(extra.size)])


HS_CODE = re.compile(r"(?<![\d.])(\d{4}(?:\.?\d{2})?|\d{2})(?![\d.])")
"""An HS code as people write it: 2, 4 or 6 digits, 6 also as 8542.31."""


def _defined_codes(index: CollectionIndex, query: str, mask: np.ndarray | None) -> np.ndarray:
    """Rows of the HS descriptions collection whose code the query names exactly ("HS 8542.31",
    "854231", "8703"); empty for other collections. A code's own entry is what a question naming it
    is about, whatever the embedder makes of digits."""
    if index.name != "hs_codes":
        return np.empty(0, dtype=np.int64)
    codes = {m.replace(".", "") for m in HS_CODE.findall(query)}
    rows = [index.hs_exact[c] for c in codes if c in index.hs_exact]
    found = np.unique(np.concatenate(rows)) if rows else np.empty(0, dtype=np.int64)
    return found[mask[found]] if mask is not None and found.size else found


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


def open_searcher(settings: Settings, embedder: Embedder | None = None) -> HybridSearcher:
    """Load every indexed collection (catalog + Chroma handle) and check they agree with each other and
    with the embedder (default: the one the settings select); errors say to run `index`."""
    path = manifest_path(settings)
    if not path.exists():
        raise IndexNotFoundError(f"no evidence index under {path.parent}; {RUN_INDEX}")
    try:
        manifest = json.loads(path.read_text())
        names = [n for n in manifest["collections"] if n in COLLECTIONS]
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise IndexCorruptError(f"{path} is unreadable ({exc}); {RUN_INDEX}") from exc
    store = EvidenceStore(settings, embedder)
    store.client  # noqa: B018 - a store that cannot open says so first
    wanted = store.embedder.name
    mismatched = {
        n: recorded_embedder(manifest, n) for n in names if recorded_embedder(manifest, n) != wanted
    }
    if mismatched:
        were = ", ".join(f"{n} with {e}" for n, e in mismatched.items())
        raise EmbedderMismatchError(
            f"the evidence index was embedded with another embedder ({were}) than the one selected ({wanted}); "
            "run `tradesentinel index` to re-embed it once, or select that embedder again (TRADESENTINEL_EMBEDDER)"
        )
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
        dimension = catalog.schema["embedding"].size  # type: ignore[attr-defined]
        if dimension != store.embedder.dimension:
            raise EmbedderMismatchError(
                f"collection {name!r} holds {dimension}-dimensional vectors, the embedder makes "
                f"{store.embedder.dimension}; {RUN_INDEX}"
            )
        collections[name] = CollectionIndex.build(name, catalog, chroma)
    return HybridSearcher(
        collections, store.embedder, settings.search_vector_weight, match_threshold=settings.match_threshold
    )
