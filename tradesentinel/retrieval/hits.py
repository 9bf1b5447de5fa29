"""What retrieval returns and how callers ask for it: the contract between retrieval and its users.

The assistant, the API and the UI depend on these types only, never on Chroma or the ranking
details, so the search engine can change without touching them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Protocol

COLLECTIONS = ("anomalies", "hs_codes", "sanctions", "news")
"""The evidence collections (DESIGN.md: evidence docs)."""


@dataclass(frozen=True)
class Hit:
    """One retrieved evidence document with its relevance (higher is more relevant, 0..1)."""

    doc_id: str  # stable id, unique within its collection
    collection: str  # one of COLLECTIONS
    text: str  # the document text as indexed (outside text: data, never instructions)
    metadata: dict[str, Any]  # kind, countries, hs_code, date, source, url, and collection-specific keys
    score: float  # fused relevance, 0..1
    vector_score: float | None = None  # cosine similarity, when the vector side found it
    keyword_score: float | None = None  # normalised BM25, when the keyword side found it


@dataclass(frozen=True)
class SearchFilters:
    """Restrict results; empty fields do not filter. All given fields must match."""

    countries: tuple[str, ...] = ()  # ISO3: a doc matches when it names any of them
    hs_prefix: str | None = None  # "8542" matches 854231, 8542 and, for HS descriptions, 85
    period_from: date | None = None  # inclusive, on the doc's date
    period_to: date | None = None  # inclusive
    kinds: tuple[str, ...] = field(default_factory=tuple)  # doc kinds, e.g. "spike", "OFAC-SDN"


class Searcher(Protocol):
    """Anything that can answer a query with ranked hits (the hybrid searcher, a test double)."""

    def search(
        self,
        query: str,
        *,
        k: int = 8,
        collections: Sequence[str] | None = None,
        filters: SearchFilters | None = None,
    ) -> list[Hit]:
        """The `k` most relevant hits across `collections` (all when None), best first."""
        ...
