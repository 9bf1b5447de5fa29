"""The assistant as a long-lived service: one searcher and one model backend per process, opened on
first use and shared by every question (the API, the UI and the CLI ask through this)."""

from __future__ import annotations

import threading
from collections.abc import Iterator

from tradesentinel.assistant.answer import answer_question, stream_answer
from tradesentinel.assistant.llm import LLMBackend, open_backend
from tradesentinel.assistant.types import Answer
from tradesentinel.config import Settings
from tradesentinel.retrieval.hits import Searcher


class Assistant:
    """Answers questions with verified citations; the searcher and model load lazily, once."""

    def __init__(self, settings: Settings):
        self.settings = settings
        self._searcher: Searcher | None = None
        self._backend: LLMBackend | None = None
        self._lock = threading.Lock()

    def searcher(self) -> Searcher:
        """The hybrid searcher, opened on first use (loads the embedding model and the index)."""
        from tradesentinel.retrieval.search import open_searcher

        with self._lock:
            if self._searcher is None:
                self._searcher = open_searcher(self.settings)
        return self._searcher

    def backend(self) -> LLMBackend:
        """The answer model backend, opened once."""
        with self._lock:
            if self._backend is None:
                self._backend = open_backend(self.settings)
        return self._backend

    def ask(self, question: str) -> Answer:
        """A verified answer to `question`."""
        return answer_question(question, self.settings, searcher=self.searcher(), backend=self.backend())

    def stream(self, question: str) -> Iterator[str | Answer]:
        """Text chunks as the model writes them, then the verified Answer (always last)."""
        yield from stream_answer(question, self.settings, searcher=self.searcher(), backend=self.backend())
