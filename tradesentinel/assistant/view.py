"""The assistant's answer as the model the API serves and the UI renders: numbered evidence, citations."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel

from tradesentinel.assistant.types import Answer
from tradesentinel.investigate.types import CITATION, Evidence
from tradesentinel.retrieval.hits import Hit


class AskAnswer(BaseModel):
    """The assistant's verified answer: every [n] in `text` refers to evidence item n; `facts` carries
    what the text states as data (flow ids, counts, verdicts, codes), `turn` what a follow-up needs."""

    question: str
    text: str
    mode: Literal["facts", "llm", "evidence", "none"]
    backend: str
    citations: list[int]
    evidence: list[Evidence]
    notes: list[str] = []
    dropped: list[str] = []
    intent: str = ""
    facts: list[dict[str, Any]] = []
    calls: list[dict[str, Any]] = []
    turn: dict[str, Any] = {}
    seconds_total: float | None = None


def hit_evidence(hits: list[Hit], start: int = 1) -> list[Evidence]:
    """Retrieval hits as numbered evidence items (n from `start`)."""
    return [
        Evidence(
            n=i,
            collection=h.collection,
            doc_id=h.doc_id,
            text=h.text,
            score=float(h.score),
            url=h.metadata.get("url") or None,
            metadata=_plain(h.metadata),
        )
        for i, h in enumerate(hits, start=start)
    ]


def _plain(metadata: dict[str, Any]) -> dict[str, Any]:
    return {
        k: v if isinstance(v, str | int | float | bool | list | None) else str(v) for k, v in metadata.items()
    }


def answer_view(answer: Answer) -> AskAnswer:
    """An assistant Answer as the served model."""
    return AskAnswer(
        question=answer.question,
        text=answer.text,
        mode=answer.mode,
        backend=answer.backend,
        citations=list(answer.cited),
        evidence=hit_evidence(answer.evidence),
        notes=list(answer.notes),
        dropped=list(answer.dropped),
        intent=answer.intent,
        facts=answer.facts,
        calls=answer.calls,
        turn=answer.turn,
        seconds_total=answer.seconds_total,
    )


def renumber(text: str, offset: int) -> str:
    """Shift every [n] in `text` by `offset` (to append an answer's evidence after other items)."""
    return CITATION.sub(lambda m: f"[{int(m.group(1)) + offset}]", text)
