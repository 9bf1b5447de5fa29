"""The bridge to the assistant and retrieval: one searcher per app, answers as API models.

The assistant and retrieval packages are optional at run time: when they are missing the
endpoints that need them answer 503 with the reason instead of failing.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from fastapi import HTTPException

from tradesentinel.api.schemas import CITATION, AskAnswer, Evidence
from tradesentinel.config import Settings
from tradesentinel.errors import TradeSentinelError


class AssistantLink:
    """Lazily opens the searcher once and answers questions through the assistant."""

    def __init__(self, settings: Settings):
        self.settings = settings
        self._searcher: Any = None
        self._backend: Any = None
        self._lock = threading.Lock()

    def _modules(self) -> tuple[Any, Any]:
        try:
            from tradesentinel.assistant import answer as assistant
            from tradesentinel.retrieval import search
        except ImportError as exc:
            raise HTTPException(
                503, f"the assistant is not available in this build ({exc.name} missing)"
            ) from None
        return assistant, search

    def searcher(self) -> Any:
        """The app's searcher, opened on first use (loads the embedding model and the index)."""
        _, search = self._modules()
        with self._lock:
            if self._searcher is None:
                self._searcher = search.open_searcher(self.settings)
        return self._searcher

    def backend(self) -> Any:
        """The app's model backend, opened once (None: the assistant opens its own per answer)."""
        try:
            from tradesentinel.assistant.llm import open_backend
        except ImportError:
            return None
        with self._lock:
            if self._backend is None:
                self._backend = open_backend(self.settings)
        return self._backend

    def ask(self, question: str) -> AskAnswer:
        """A verified answer to `question`."""
        assistant, _ = self._modules()
        with _unavailable():
            return to_model(
                assistant.answer_question(
                    question, self.settings, searcher=self.searcher(), backend=self.backend()
                )
            )

    def stream(self, question: str) -> Iterator[str | AskAnswer]:
        """Text chunks as the model writes them, then the verified answer."""
        assistant, _ = self._modules()
        with _unavailable():
            parts = assistant.stream_answer(
                question, self.settings, searcher=self.searcher(), backend=self.backend()
            )
            for part in parts:
                yield part if isinstance(part, str) else to_model(part)


@contextmanager
def _unavailable() -> Iterator[None]:
    """A missing index or model (the assistant's own errors) as a 503 that says what to run."""
    try:
        yield
    except TradeSentinelError as exc:
        raise HTTPException(503, f"the assistant is unavailable: {exc}") from None


def hit_evidence(hits: list[Any], start: int = 1) -> list[Evidence]:
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


def to_model(answer: Any) -> AskAnswer:
    """An assistant Answer as the API model."""
    return AskAnswer(
        question=answer.question,
        text=answer.text,
        mode=answer.mode,
        backend=answer.backend,
        citations=list(answer.cited),
        evidence=hit_evidence(answer.evidence),
        notes=list(answer.notes),
        dropped=list(answer.dropped),
        seconds_total=answer.seconds_total,
    )


def renumber(text: str, offset: int) -> str:
    """Shift every [n] in `text` by `offset` (to append an answer's evidence after other items)."""
    return CITATION.sub(lambda m: f"[{int(m.group(1)) + offset}]", text)
