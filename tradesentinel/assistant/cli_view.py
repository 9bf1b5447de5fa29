"""How `tradesentinel ask` shows an answer: the verified text as it streams, then evidence and notes."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table

from tradesentinel.assistant.llm import open_backend
from tradesentinel.assistant.service import Assistant
from tradesentinel.assistant.types import Answer
from tradesentinel.config import Settings

MODES = {
    "facts": "stated from the data",
    "llm": "stated from the data, with a verified model sentence",
    "evidence": "summary of retrieved evidence",
    "none": "nothing to cite",
}


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
            f"{hit.score:.2f}",
            hit.collection,
            hit.doc_id,
            text if len(text) <= 160 else text[:159] + "…",
        )
    return table


def print_answer_stream(question: str, settings: Settings, *, backend_name: str | None) -> Answer:
    """Stream the verified answer to stdout, then print its evidence list and notes; returns the answer."""
    out = Console(highlight=False)
    assistant = Assistant(settings, backend=open_backend(settings, backend_name))
    answer = None
    for item in assistant.stream(question):
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
