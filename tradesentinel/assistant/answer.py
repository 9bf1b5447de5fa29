"""Answering a question: retrieve, number the evidence, let the model write, keep only verified sentences.

The flow (docs/assistant.md): understand the question, retrieve across every collection (first
under the question's countries/HS code/period, then without them, to fill up), keep hits above
a relevance threshold, prompt the model with the top passages fenced as data, stream its
sentences through verification as they complete, and when nothing survives (or there is no
model) answer with a deterministic cited summary of the top evidence, saying so.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from dataclasses import dataclass, field

from tradesentinel.assistant.llm import LLMBackend, ModelUnavailableError, open_backend
from tradesentinel.assistant.prompt import build_prompt, data_only
from tradesentinel.assistant.query import Intent, understand
from tradesentinel.assistant.types import Answer
from tradesentinel.assistant.verify import SentenceStream, split_sentences, verify_sentence
from tradesentinel.config import Settings
from tradesentinel.retrieval.hits import Hit, Searcher, SearchFilters

log = logging.getLogger(__name__)

NOTHING_FOUND = "Nothing relevant was found in the evidence store for this question."
MAX_SENTENCES = 2
"""Verified model sentences an answer needs; generation stops once it has them (speed on CPU)."""
STOP = ("</evidence>", "Question:", "<evidence>")
ENTITY_COLLECTIONS = ("sanctions", "news")
"""Where a named party in the question is looked up on its own."""
LABELS = {"anomalies": "Flagged flow", "hs_codes": "HS code", "sanctions": "Sanctions list", "news": "News"}


@dataclass
class _Run:
    """Mutable state of one answer while it streams."""

    kept: list[str] = field(default_factory=list)
    cited: list[int] = field(default_factory=list)
    dropped: list[str] = field(default_factory=list)
    first_token: float | None = None
    n_sentences: int = 0
    attributed: int = 0


def relevant(hit: Hit, intent: Intent, settings: Settings) -> bool:
    """Whether a hit counts as evidence: close in meaning, or matching the words of a question about trade.

    Keyword matches alone are weak evidence ("capital of France" finds every text naming France),
    so they count only when the question is about trade, sanctions or a named party.
    """
    if hit.score < settings.ask_min_score:
        return False
    similarity = hit.vector_score
    if similarity is None or similarity >= settings.ask_min_similarity:
        return True
    return intent.on_topic and (hit.keyword_score or 0.0) >= 0.5 and similarity >= 0.1


def gather_evidence(
    searcher: Searcher, question: str, intent: Intent, settings: Settings, k: int
) -> list[Hit]:
    """Up to `k` relevant hits: the named parties' own entries first, then hits matching the
    question's countries/HS code/period, then the best of an unconstrained search (best first in each)."""
    passes: list[tuple[str, tuple[str, ...] | None, SearchFilters | None]] = [
        (name, ENTITY_COLLECTIONS, None) for name in intent.entities[:2]
    ]
    if intent.is_constrained():
        passes.append((question, None, intent.filters()))
    passes.append((question, None, None))
    found: dict[tuple[str, str], Hit] = {}
    for query, collections, filters in passes:
        hits = [
            h
            for h in searcher.search(query, k=k, collections=collections, filters=filters)
            if relevant(h, intent, settings)
        ]
        if collections:  # a named party: its own entry and the closest news item, not everything it matches
            hits = hits[:2]
        for hit in sorted(hits, key=lambda h: -h.score):
            if len(found) < k:
                found.setdefault((hit.collection, hit.doc_id), hit)
    return list(found.values())


def evidence_summary(evidence: list[Hit], *, top: int = 3, chars: int = 260) -> str:
    """A deterministic, cited summary: the opening of each top passage (about `chars`), quoted as data."""
    lines = []
    for n, hit in enumerate(evidence[:top], 1):
        quote = ""
        for sentence in split_sentences(data_only(hit.text)):
            if len(quote) >= 160:
                break
            room = chars - len(quote) - 1
            if len(sentence) > room:  # cut a long sentence at a word boundary
                sentence = sentence[:room].rsplit(" ", 1)[0].rstrip(",;:( ") + "…"
            quote = f"{quote} {sentence}".strip()
        label = LABELS.get(hit.collection, hit.collection)
        lines.append(f"{label}: {quote.rstrip(' .') or '(no quotable text)'} [{n}].")
    return " ".join(lines)


def stream_answer(
    question: str,
    settings: Settings,
    *,
    searcher: Searcher | None = None,
    backend: LLMBackend | None = None,
    k: int | None = None,
) -> Iterator[str | Answer]:
    """Verified text chunks as they are ready, then the final Answer (always last)."""
    started = time.perf_counter()
    backend = backend or open_backend(settings)
    searcher = searcher or _open_searcher(settings)
    intent = understand(question)
    evidence = gather_evidence(searcher, question, intent, settings, k or settings.ask_k)
    if not evidence:
        yield NOTHING_FOUND
        yield Answer(
            question,
            NOTHING_FOUND,
            [],
            [],
            "none",
            backend.name,
            [NOTHING_FOUND],
            seconds_total=time.perf_counter() - started,
        )
        return
    run, notes = _Run(), []
    if backend.name == "none":
        notes.append("evidence-only answer: no answer model is configured (backend none)")
    else:
        try:
            yield from _model_sentences(question, evidence, settings, backend, run, started)
        except ModelUnavailableError as exc:
            log.warning("answer model unavailable: %s", exc)
            stopped = (
                "the model stopped early" if run.kept else "evidence-only answer: the model is unavailable"
            )
            notes.append(f"{stopped} ({exc})")
    if run.kept:
        text, mode = " ".join(run.kept), "llm"
        if run.dropped:
            notes.append(
                f"{len(run.dropped)} of {run.n_sentences} model sentences failed verification and were removed"
            )
        if run.attributed:
            notes.append(
                f"{run.attributed} sentence(s) came without a citation; each cites the one passage "
                "that supports all of its claims"
            )
    else:
        text, mode = evidence_summary(evidence), "evidence"
        run.cited = list(range(1, min(3, len(evidence)) + 1))
        if run.n_sentences:
            notes.append(
                f"evidence-only answer: the model's text was withheld because none of its "
                f"{run.n_sentences} sentences could be verified against the evidence"
            )
        elif backend.name != "none" and not notes:
            notes.append("evidence-only answer: the model's text was withheld because it wrote nothing")
        yield text
    yield Answer(
        question,
        text,
        evidence,
        sorted(set(run.cited)),
        mode,
        backend.name,
        notes,
        run.dropped,
        run.first_token,
        time.perf_counter() - started,
    )


def _model_sentences(
    question: str, evidence: list[Hit], settings: Settings, backend: LLMBackend, run: _Run, started: float
) -> Iterator[str]:
    """Stream the model's reply, yielding each sentence that passes verification as soon as it completes."""
    prompt = build_prompt(question, evidence[: settings.ask_prompt_passages], sentences=MAX_SENTENCES)
    stream = SentenceStream()

    def judge(sentences: list[str]) -> Iterator[str]:
        for sentence in sentences:
            run.n_sentences += 1
            verdict = verify_sentence(sentence, evidence)
            if verdict.kept and verdict.sentence in run.kept:
                run.dropped.append(f"{verdict.sentence} -- repeats an earlier sentence")
            elif verdict.kept:
                run.kept.append(verdict.sentence)
                run.cited.extend(verdict.cited)
                run.attributed += verdict.attributed
                yield verdict.sentence if len(run.kept) == 1 else " " + verdict.sentence
            else:
                run.dropped.append(f"{verdict.sentence} -- {verdict.reason}")

    pieces = backend.generate(prompt, max_tokens=settings.llm_max_tokens, stop=STOP)
    try:
        for piece in pieces:
            if run.first_token is None:
                run.first_token = time.perf_counter() - started
            yield from judge(stream.feed(piece))
            if len(run.kept) >= MAX_SENTENCES or run.n_sentences >= 2 * MAX_SENTENCES:
                return  # enough: stop the model instead of waiting for it
        yield from judge(stream.flush())
    finally:
        close = getattr(pieces, "close", None)
        if close:
            close()


def answer_question(
    question: str,
    settings: Settings,
    *,
    searcher: Searcher | None = None,
    backend: LLMBackend | None = None,
    k: int | None = None,
) -> Answer:
    """The verified answer to `question` (what the API and UI call)."""
    final = None
    for item in stream_answer(question, settings, searcher=searcher, backend=backend, k=k):
        if isinstance(item, Answer):
            final = item
    assert final is not None  # stream_answer always ends with the Answer
    return final


def _open_searcher(settings: Settings) -> Searcher:
    """The hybrid searcher over the evidence store (retrieval/search.py)."""
    from tradesentinel.retrieval.search import open_searcher

    return open_searcher(settings)
