"""The assistant as a long-lived service: one model backend and (when needed) one evidence searcher per
process, opened on first use, over the same tables the API and UI read (the API, the UI and the
CLI all ask through this, so the same question gets the same answer everywhere)."""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from typing import Any

from tradesentinel.assistant.answer import answer_question, stream_answer
from tradesentinel.assistant.llm import LLMBackend, open_backend
from tradesentinel.assistant.tools import Context
from tradesentinel.assistant.types import Answer
from tradesentinel.config import Settings
from tradesentinel.investigate.tables import TableStore
from tradesentinel.retrieval.hits import Searcher

log = logging.getLogger(__name__)
WARM_UP_QUERY = "warm-up"


class Assistant:
    """Answers questions from the tables with verified citations; the model and searcher load lazily, once."""

    def __init__(
        self, settings: Settings, tables: TableStore | None = None, backend: LLMBackend | None = None
    ):
        self.settings = settings
        self.tables = tables or TableStore(settings)
        self._searcher: Searcher | None = None
        self._backend = backend
        self._lock = threading.Lock()

    def searcher(self) -> Searcher:
        """The hybrid evidence searcher, opened on first use (loads the embedding model and the index)."""
        from tradesentinel.retrieval.search import open_searcher

        with self._lock:
            if self._searcher is None:
                self._searcher = open_searcher(self.settings)
        return self._searcher

    def backend(self) -> LLMBackend:
        """The framing model backend, opened once."""
        with self._lock:
            if self._backend is None:
                self._backend = open_backend(self.settings)
        return self._backend

    def warm_up(self) -> threading.Thread:
        """Read the scored tables, open the searcher and load the embedding model, with the answer model
        loading beside them, in background threads, so the first question after `serve` does not wait
        for them (a question arriving meanwhile waits for the same lock, never loads twice). A failure
        is logged; the first question reports it again."""

        def model() -> None:
            try:
                load = getattr(self.backend(), "load", None)
                if load is not None:
                    load()
            except Exception as exc:  # noqa: BLE001 - an unavailable model must not stop the server
                log.warning("answer model not loaded at start-up (%s); the first question will retry", exc)

        def work() -> None:
            loading = threading.Thread(target=model, name="assistant-warm-up-model", daemon=True)
            loading.start()  # the model loads beside the searcher: two cores, two jobs
            try:
                self.tables.snapshot()  # the scored flows every table tool reads
                embedder = getattr(self.searcher(), "embedder", None)
                if embedder is not None:
                    embedder.embed_one(WARM_UP_QUERY)
            except Exception as exc:  # noqa: BLE001 - a missing index must not stop the server
                log.warning("assistant warm-up incomplete (%s); the first question will retry", exc)
            loading.join()
            log.info("assistant warmed up: tables, searcher, embedder and answer model loaded")

        thread = threading.Thread(target=work, name="assistant-warm-up", daemon=True)
        thread.start()
        return thread

    def context(self) -> Context:
        """What the tools run over."""
        return Context(tables=self.tables, searcher=self.searcher)

    def ask(self, question: str, history: list[dict[str, Any]] | None = None) -> Answer:
        """A verified answer to `question`, reading follow-ups against `history` (previous turns)."""
        return answer_question(question, self.settings, self.context(), self.backend(), history=history)

    def stream(self, question: str, history: list[dict[str, Any]] | None = None) -> Iterator[str | Answer]:
        """Text chunks as they are ready, then the verified Answer (always last)."""
        yield from stream_answer(question, self.settings, self.context(), self.backend(), history=history)
