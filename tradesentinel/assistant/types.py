"""What the assistant returns: the contract between the assistant and the API/UI/CLI."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from tradesentinel.retrieval.hits import Hit

MAX_QUESTION = 500
"""Longest question the assistant accepts, in characters (the API and the UI enforce it)."""

AnswerMode = Literal["facts", "llm", "evidence", "none"]
"""facts: sentences stated from the tables and cited; llm: those plus a verified model sentence;
evidence: a cited summary of retrieved documents; none: nothing to cite (off topic, or nothing found)."""


@dataclass(frozen=True, kw_only=True)
class Answer:
    """A verified answer: every [n] in `text` refers to `evidence[n-1]`."""

    question: str
    text: str  # the answer shown to the user, with [n] citations
    evidence: list[Hit]  # numbered 1..len(evidence), in this order
    cited: list[int]  # the evidence numbers `text` cites
    mode: AnswerMode
    backend: str  # llamacpp, ollama, none
    notes: list[str] = field(default_factory=list)
    dropped: list[str] = field(default_factory=list)  # model sentences removed by verification, with why
    intent: str = ""
    facts: list[dict[str, Any]] = field(default_factory=list)  # structured facts: {"n", "sentence", ...data}
    calls: list[dict[str, Any]] = field(
        default_factory=list
    )  # the tool calls made: {"tool", "args", "answer"}
    turn: dict[str, Any] = field(default_factory=dict)  # what a follow-up question needs of this turn
    seconds_first_token: float | None = None
    seconds_total: float | None = None
