"""Facts: what the assistant's tools found, each a plain sentence with the source that proves it.

A fact is stated by our code, never by the model; its `source` is a table row or an evidence
document (shown in the answer's evidence list and cited as [n]); its `polarity` says what kind of
claim it makes, so a model's framing sentence that contradicts it ("all fine" about a flagged flow)
cannot pass verification. Negative results ("no entry matches ...", "no such flow") are facts too.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from tradesentinel.retrieval.hits import Hit


class Polarity(StrEnum):
    """What a fact asserts about its subject."""

    FLAGGED = "flagged"  # an anomaly the detectors ranked high
    NOT_FLAGGED = "not_flagged"  # scored, but not among the flagged flows
    LISTED = "listed"  # a sanctions match
    POSSIBLE = "possible"  # a possible sanctions match
    NOT_LISTED = "not_listed"  # no entry matches on the lists checked
    NOT_FOUND = "not_found"  # no such flow, code or record
    NEUTRAL = "neutral"  # a description, a count, a news item


@dataclass(frozen=True, kw_only=True)
class Fact:
    """One finding: the sentence that states it, the source it rests on, its polarity and its data."""

    sentence: str
    source: Hit
    polarity: Polarity = Polarity.NEUTRAL
    data: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, kw_only=True)
class ToolResult:
    """What one tool call returned: its facts, the structured answer and an optional opening line."""

    tool: str
    args: dict[str, Any]
    facts: tuple[Fact, ...] = ()
    answer: dict[str, Any] = field(default_factory=dict)
    lead: str | None = None  # a sentence that frames the facts (which ranking, which lists); no claim


def source(collection: str, ref: str, text: str, **metadata: Any) -> Hit:
    """A source for a fact: a table row or query (`collection`: flows, scores, sanctions, hs_codes,
    news, diversion...), its stable `ref`, and the text the evidence list shows."""
    return Hit(ref, collection, text, {k: v for k, v in metadata.items() if v is not None}, 1.0)


def numbered(results: list[ToolResult]) -> tuple[list[Hit], dict[tuple[str, str], int]]:
    """The evidence list of an answer (each source once, in order of first use) and each source's [n]."""
    evidence: list[Hit] = []
    number: dict[tuple[str, str], int] = {}
    for result in results:
        for fact in result.facts:
            key = (fact.source.collection, fact.source.doc_id)
            if key not in number:
                evidence.append(fact.source)
                number[key] = len(evidence)
    return evidence, number
