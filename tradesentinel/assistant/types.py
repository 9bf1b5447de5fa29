"""What the assistant returns: the contract between the assistant and the API/UI."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from tradesentinel.retrieval.hits import Hit

MAX_QUESTION = 500
"""Longest question the assistant accepts, in characters (the API and the UI enforce it)."""

AnswerMode = Literal["llm", "evidence", "none"]
"""llm: verified model sentences; evidence: the deterministic cited summary; none: nothing relevant."""


@dataclass(frozen=True)
class Answer:
    """A verified answer: every [n] in `text` refers to `evidence[n-1]`."""

    question: str
    text: str  # the answer shown to the user, with [n] citations
    evidence: list[Hit]  # numbered 1..len(evidence), in this order, with scores
    cited: list[int]  # the evidence numbers `text` cites
    mode: AnswerMode
    backend: str  # llamacpp, ollama, none
    notes: list[str] = field(
        default_factory=list
    )  # e.g. "model text withheld: ...", "nothing relevant found"
    dropped: list[str] = field(default_factory=list)  # model sentences removed by verification, with why
    seconds_first_token: float | None = None
    seconds_total: float | None = None
