"""Chat tab: streamed answers whose [n] citations are links that open the evidence they cite."""

from __future__ import annotations

import html
from collections.abc import Iterator

from fastapi import HTTPException

from tradesentinel.api.assistant_link import AssistantLink
from tradesentinel.api.schemas import CITATION, MAX_QUESTION, AskAnswer


def linked_citations(text: str, known: set[int]) -> str:
    """The answer text as HTML with each known [n] turned into a link to evidence item n."""
    escaped = html.escape(text)
    return CITATION.sub(
        lambda m: (
            f'<a class="cite" href="#ev-{m.group(1)}">[{m.group(1)}]</a>'
            if int(m.group(1)) in known
            else m.group(0)
        ),
        escaped,
    )


def evidence_panel(answer: AskAnswer) -> str:
    """The numbered evidence as collapsible items (a citation click opens its item)."""
    if not answer.evidence:
        return "<p>No evidence retrieved.</p>"
    items = []
    for e in answer.evidence:
        cited = " cited" if e.n in answer.citations else ""
        link = f' <a href="{html.escape(e.url)}" target="_blank" rel="noopener">source</a>' if e.url else ""
        items.append(
            f'<details id="ev-{e.n}" class="evidence{cited}"><summary>[{e.n}] {html.escape(e.collection)} '
            f"(relevance {e.score:.2f})</summary><p>{html.escape(e.text)}{link}</p></details>"
        )
    notes = "".join(f"<p class='note'>{html.escape(n)}</p>" for n in answer.notes)
    return notes + "".join(items)


def answer_message(answer: AskAnswer) -> str:
    """The chat bubble for a verified answer: text with linked citations and how it was produced."""
    body = linked_citations(answer.text, {e.n for e in answer.evidence})
    return f"{body}<br><small>mode: {answer.mode}, backend: {html.escape(answer.backend)}</small>"


def respond(link: AssistantLink, question: str, history: list[dict]) -> Iterator[tuple[list[dict], str, str]]:
    """Stream an answer into the chat: (history, evidence panel HTML, cleared input) after each chunk."""
    question = (question or "").strip()
    if not question:
        yield history, "", ""
        return
    if len(question) > MAX_QUESTION:
        history = [
            *history,
            {"role": "assistant", "content": f"Questions are limited to {MAX_QUESTION} characters."},
        ]
        yield history, "", question
        return
    history = [*history, {"role": "user", "content": question}, {"role": "assistant", "content": "..."}]
    yield history, "", ""
    draft = ""
    try:
        for part in link.stream(question):
            if isinstance(part, str):
                draft += part
                history = [*history[:-1], {"role": "assistant", "content": html.escape(draft)}]
                yield history, "", ""
            else:
                history = [*history[:-1], {"role": "assistant", "content": answer_message(part)}]
                yield history, evidence_panel(part), ""
    except HTTPException as exc:
        history = [
            *history[:-1],
            {"role": "assistant", "content": f"The assistant is unavailable: {exc.detail}"},
        ]
        yield history, "", ""
