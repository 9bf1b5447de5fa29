"""A stand-in for the assistant and retrieval modules, honouring their contracts (hits.py, types.py)."""

from __future__ import annotations

from collections.abc import Iterator
from types import SimpleNamespace

from tradesentinel.api.assistant_link import AssistantLink
from tradesentinel.assistant.types import Answer
from tradesentinel.retrieval.hits import Hit

HITS = [
    Hit(
        "DEMO:T1", "sanctions", "DEMO lists Test Trading LLC (entity; programmes TEST-PROG)", {"url": ""}, 0.9
    ),
    Hit("n1", "news", "Customs probe into shipments", {"url": "https://example.org/n1"}, 0.7),
]


def _answer(question: str, settings, *, searcher=None, backend=None) -> Answer:
    return Answer(
        question=question,
        text="Test Trading LLC is listed [1] and under a customs probe [2].",
        evidence=HITS,
        cited=[1, 2],
        mode="llm",
        backend="fake",
        seconds_total=0.01,
    )


def _stream(question: str, settings, *, searcher=None, backend=None) -> Iterator[str | Answer]:
    yield "Test Trading "
    yield "LLC is listed"
    yield _answer(question, settings)


class FakeLink(AssistantLink):
    """An AssistantLink whose assistant answers from two fixed hits (no model, no index)."""

    def backend(self):
        return None

    def _modules(self):
        return SimpleNamespace(answer_question=_answer, stream_answer=_stream), SimpleNamespace(
            open_searcher=lambda settings: object()
        )
