"""How `tradesentinel ask` shows an answer: the verified text as it streams, then evidence and notes."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table

from tradesentinel.assistant.answer import stream_answer
from tradesentinel.assistant.llm import open_backend
from tradesentinel.assistant.types import Answer
from tradesentinel.config import Settings

MODES = {"llm": "verified model answer", "evidence": "evidence-only answer", "none": "no relevant evidence"}


def evidence_table(answer: Answer) -> Table:
    """The numbered evidence with scores, marking the passages the answer cites."""
    table = Table(title="evidence (outside text, shown as data)", show_lines=False)
    for column in ("n", "cited", "score", "collection", "id", "text"):
        table.add_column(column, justify="right" if column in ("n", "score") else "left", overflow="fold")
    for n, hit in enumerate(answer.evidence, 1):
        text = " ".join(hit.text.split())
        table.add_row(
            str(n),
            "*" if n in answer.cited else "",
            f"{hit.score:.3f}",
            hit.collection,
            hit.doc_id,
            text if len(text) <= 160 else text[:159] + "…",
        )
    return table


def print_answer_stream(
    question: str, settings: Settings, *, backend_name: str | None, k: int | None
) -> Answer:
    """Stream the verified answer to stdout, then print its evidence list and notes; returns the answer."""
    out = Console(highlight=False)
    backend = open_backend(settings, backend_name)
    answer = None
    for item in stream_answer(question, settings, backend=backend, k=k):
        if isinstance(item, Answer):
            answer = item
        else:
            out.print(item, end="", markup=False, soft_wrap=True)
    assert answer is not None
    out.print()
    out.print(f"[dim]({MODES[answer.mode]}, backend {answer.backend}, {answer.seconds_total or 0:.1f} s)[/]")
    if answer.evidence:
        out.print(evidence_table(answer))
    for note in answer.notes:
        out.print(f"note: {note}", markup=False)
    for dropped in answer.dropped:
        out.print(f"removed by verification: {dropped}", style="dim", markup=False)
    return answer
