"""Chat tab: streamed answers whose [n] citations are links that open the evidence they cite."""

from __future__ import annotations

import html
from collections.abc import Iterator

from tradesentinel.assistant.service import Assistant
from tradesentinel.assistant.types import MAX_QUESTION
from tradesentinel.assistant.view import AskAnswer, answer_view
from tradesentinel.errors import TradeSentinelError
from tradesentinel.investigate.types import CITATION


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


def respond(
    assistant: Assistant | None, question: str, history: list[dict]
) -> Iterator[tuple[list[dict], str, str]]:
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
    if assistant is None:
        history = [
            *history[:-1],
            {"role": "assistant", "content": "The assistant is not available on this server."},
        ]
        yield history, "", ""
        return
    draft = ""
    try:
        for part in assistant.stream(question):
            if isinstance(part, str):
                draft += part
                history = [*history[:-1], {"role": "assistant", "content": html.escape(draft)}]
                yield history, "", ""
            else:
                view = answer_view(part)
                history = [*history[:-1], {"role": "assistant", "content": answer_message(view)}]
                yield history, evidence_panel(view), ""
    except TradeSentinelError as exc:
        message = html.escape(f"The assistant is unavailable: {exc}")
        history = [*history[:-1], {"role": "assistant", "content": message}]
        yield history, "", ""


def tab(assistant: Assistant | None) -> None:
    """The Chat tab's components and events (inside an open gr.Tab)."""
    import gradio as gr

    chatbot = gr.Chatbot(label="Assistant", height=420, elem_id="chatbot")
    with gr.Row():
        question = gr.Textbox(
            placeholder="Ask about anomalies, sanctions, news...",
            show_label=False,
            max_length=MAX_QUESTION,
            scale=5,
            elem_id="question",
        )
        send = gr.Button("Ask", variant="primary", scale=1, elem_id="ask")
    gr.Markdown("Evidence (click a [n] in an answer to open it):")
    evidence = gr.HTML(elem_id="evidence")
    for event in (send.click, question.submit):
        event(
            lambda q, h: (yield from respond(assistant, q, h)),
            [question, chatbot],
            [chatbot, evidence, question],
        )
