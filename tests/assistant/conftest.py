"""Evidence for assistant tests: a small hand-written set of hits and a searcher over them.

The searcher is a test double of the Searcher protocol (ranking by word overlap); what these
tests check is the assistant's own logic: understanding, prompting, verification and fallbacks.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import replace

import pytest

from tradesentinel.retrieval.hits import Hit, SearchFilters

EVIDENCE = [
    Hit(
        "a1",
        "anomalies",
        "DEMO flow: Germany (DEU) exported HS 854231 processors and controllers to Kazakhstan (KAZ) in "
        "2022-03 worth USD 12,345,678, 4.2 times the trailing 12-month median. Anomaly score 0.97, rank 3.",
        {"kind": "anomaly", "countries": ["DEU", "KAZ"], "hs_code": "854231", "date": "2022-03-01"},
        0.9,
    ),
    Hit(
        "s1",
        "sanctions",
        "OFAC SDN entry: Volga Shipping Ltd, a company registered in Russia (RUS), listed on 2022-04-06 "
        "under programme RUSSIA-EO14024. Address: Novorossiysk.",
        {"kind": "OFAC-SDN", "countries": ["RUS"], "date": "2022-04-06", "source": "OFAC"},
        0.8,
    ),
    Hit(
        "n1",
        "news",
        "DEMO news, 2022-05-10: Kazakhstan re-exports of microchips to Russia jumped 45% after sanctions, "
        "traders in Almaty said.",
        {"kind": "news", "countries": ["KAZ", "RUS"], "date": "2022-05-10", "source": "DEMO"},
        0.7,
    ),
    Hit(
        "h1",
        "hs_codes",
        "HS 854231: Electronic integrated circuits; processors and controllers, whether or not combined "
        "with memories, converters, logic circuits, amplifiers, clock and timing circuits.",
        {"kind": "hs6", "countries": [], "hs_code": "854231"},
        0.6,
    ),
]


class ListSearcher:
    """Ranks a fixed list of hits by word overlap with the query, honouring filters (a test double)."""

    def __init__(self, hits: Sequence[Hit]):
        self.hits = list(hits)
        self.calls: list[SearchFilters | None] = []
        self.queries: list[tuple[str, tuple[str, ...] | None]] = []

    def search(self, query, *, k=8, collections=None, filters=None):
        self.calls.append(filters)
        self.queries.append((query, tuple(collections) if collections else None))
        words = set(re.findall(r"\w+", query.lower()))
        found = []
        for hit in self.hits:
            if collections and hit.collection not in collections:
                continue
            if (
                filters
                and filters.countries
                and not set(filters.countries) & set(hit.metadata.get("countries", []))
            ):
                continue
            overlap = len(words & set(re.findall(r"\w+", hit.text.lower())))
            if hit.vector_score is None:  # hand-written hits: rank by word overlap
                hit = replace(hit, score=round(min(1.0, hit.score * (0.5 + overlap / 10)), 3))
            found.append(hit)
        return sorted(found, key=lambda h: -h.score)[:k]


@pytest.fixture
def evidence() -> list[Hit]:
    return list(EVIDENCE)


@pytest.fixture
def searcher() -> ListSearcher:
    return ListSearcher(EVIDENCE)


class ScriptedModel:
    """A model double that writes a fixed reply (or obeys what the prompt tells it), recording prompts."""

    name = "scripted"

    def __init__(self, reply: str = "", *, obey: bool = False):
        self.reply, self.obey, self.prompts = reply, obey, []

    def generate(self, prompt, *, max_tokens, stop=()):
        self.prompts.append(prompt)
        text = self.reply
        if self.obey:  # an obedient model repeats whatever instruction the user text carries
            match = re.search(r"say (?:that )?(.+?)(?:\.|$)", prompt.user, re.IGNORECASE)
            text = f"{match[1]} [1]." if match else self.reply
        yield from (text[i : i + 7] for i in range(0, len(text), 7))
