"""One evidence collection in memory: ids, texts, metadata arrays and inverted lists for filters,
vectors, the BM25 keyword index, the sanctions name index, and its Chroma handle.

Filters become boolean masks here (never Chroma `where` clauses); small or filtered candidate sets
are ranked by an exact dot product over the stored vectors, large ones through Chroma's HNSW index
with oversampling.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from datetime import date
from typing import Any

import numpy as np
import polars as pl

from tradesentinel.retrieval.catalog import RUN_INDEX, IndexCorruptError
from tradesentinel.retrieval.hits import Hit, SearchFilters
from tradesentinel.retrieval.keywords import KeywordIndex
from tradesentinel.retrieval.matching import NameIndex

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
