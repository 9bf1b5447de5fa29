"""A stand-in for the assistant service, honouring its contract (assistant/service.py, types.py)."""

from __future__ import annotations

from collections.abc import Iterator

from tradesentinel.assistant.types import Answer
from tradesentinel.retrieval.hits import Hit

HITS = [
    Hit(
        "DEMO:T1", "sanctions", "DEMO lists Test Trading LLC (entity; programmes TEST-PROG)", {"url": ""}, 0.9
    ),
    Hit("n1", "news", "Customs probe into shipments", {"url": "https://example.org/n1"}, 0.7),
]


class FakeAssistant:
    """Answers every question from two fixed hits (no model, no index), recording the history it got."""

    def __init__(self):
        self.histories: list[list[dict] | None] = []

    def ask(self, question: str, history: list[dict] | None = None) -> Answer:
        self.histories.append(history)
        return Answer(
            question=question,
            text="Test Trading LLC is listed [1] and under a customs probe [2].",
            evidence=HITS,
            cited=[1, 2],
            mode="llm",
            backend="fake",
            seconds_total=0.01,
            intent="screen",
            facts=[{"n": 1, "kind": "screening", "verdict": "match"}],
            turn={"question": question, "intent": "screen", "slots": {"names": ["Test Trading LLC"]}},
        )

    def stream(self, question: str, history: list[dict] | None = None) -> Iterator[str | Answer]:
        yield "Test Trading "
        yield "LLC is listed"
        yield self.ask(question, history)
