"""The assistant as a long-lived service: one searcher and one model backend per process, opened on
first use and shared by every question (the API, the UI and the CLI ask through this)."""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator

from tradesentinel.assistant.answer import answer_question, stream_answer
from tradesentinel.assistant.llm import LLMBackend, open_backend
from tradesentinel.assistant.types import Answer
from tradesentinel.config import Settings
from tradesentinel.retrieval.hits import Searcher

log = logging.getLogger(__name__)
WARM_UP_QUERY = "warm-up"


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

    def warm_up(self) -> threading.Thread:
        """Open the searcher, load the embedding model and the answer model in a background thread, so
        the first question after `serve` does not wait for them (a question arriving meanwhile waits for
        the same lock, never loads twice). A failure is logged; the first question reports it again."""

        def work() -> None:
            try:
                embedder = getattr(self.searcher(), "embedder", None)
                if embedder is not None:
                    embedder.embed_one(WARM_UP_QUERY)
                load = getattr(self.backend(), "load", None)
                if load is not None:
                    load()
                log.info("assistant warmed up: searcher, embedder and answer model loaded")
            except Exception as exc:  # noqa: BLE001 - a missing index must not stop the server
                log.warning("assistant warm-up incomplete (%s); the first question will retry", exc)

        thread = threading.Thread(target=work, name="assistant-warm-up", daemon=True)
        thread.start()
        return thread

    def ask(self, question: str) -> Answer:
        """A verified answer to `question`."""
        return answer_question(question, self.settings, searcher=self.searcher(), backend=self.backend())

    def stream(self, question: str) -> Iterator[str | Answer]:
        """Text chunks as the model writes them, then the verified Answer (always last)."""
        yield from stream_answer(question, self.settings, searcher=self.searcher(), backend=self.backend())
