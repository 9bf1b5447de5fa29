"""Answer: the facts the tools found, stated as plain sentences that each cite their source as [n]."""

from __future__ import annotations

from dataclasses import dataclass

from tradesentinel.assistant.facts import Fact, ToolResult, numbered
from tradesentinel.retrieval.hits import Hit

NOTHING = "Nothing in the loaded data answers this question, so there is nothing to cite."


@dataclass(frozen=True, kw_only=True)
class Composed:
    """The factual part of an answer: its text, the numbered evidence, and which fact cites which [n]."""

    text: str
    evidence: list[Hit]
    cited: list[int]
    numbered_facts: list[tuple[int, Fact]]


def _sentence(text: str) -> str:
    text = text.strip()
    return text[:1].upper() + text[1:]


def compose(results: list[ToolResult]) -> Composed:
    """Each tool's opening line, then each of its facts as a sentence ending in its citation."""
    evidence, number = numbered(results)
    parts: list[str] = []
    pairs: list[tuple[int, Fact]] = []
    for result in results:
        if result.lead:
            parts.append(_sentence(result.lead))
        for fact in result.facts:
            n = number[(fact.source.collection, fact.source.doc_id)]
            parts.append(f"{_sentence(fact.sentence).rstrip('.')} [{n}].")
            pairs.append((n, fact))
    if not pairs:
        return Composed(text=NOTHING, evidence=[], cited=[], numbered_facts=[])
    return Composed(
        text=" ".join(parts), evidence=evidence, cited=sorted({n for n, _ in pairs}), numbered_facts=pairs
    )
