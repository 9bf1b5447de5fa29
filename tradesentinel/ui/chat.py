"""Chat tab: streamed answers whose [n] citations link to that answer's own evidence, a conversation the
assistant reads follow-ups against, and a history that survives a page reload (browser storage)."""

from __future__ import annotations

import html
from collections.abc import Iterator
from typing import Any

import gradio as gr

from tradesentinel.assistant.service import Assistant
from tradesentinel.assistant.types import MAX_QUESTION
from tradesentinel.assistant.view import AskAnswer, answer_view
from tradesentinel.errors import TradeSentinelError
from tradesentinel.investigate.types import CITATION

MAX_TURNS = 20
"""Turns kept in the browser and sent back as the conversation."""
MODES = {
    "facts": "stated from the data",
    "llm": "stated from the data, with a verified model sentence",
    "evidence": "summary of retrieved evidence",
    "none": "nothing to cite",
}


def linked_citations(text: str, known: set[int], turn: int = 1) -> str:
    """The answer text as HTML with each known [n] turned into a link to this turn's evidence item n."""
    escaped = html.escape(text)
    return CITATION.sub(
        lambda m: (
            f'<a class="cite" href="#ev-{turn}-{m.group(1)}">[{m.group(1)}]</a>'
            if int(m.group(1)) in known
            else m.group(0)
        ),
        escaped,
    )


def evidence_items(answer: AskAnswer, turn: int = 1) -> str:
    """One answer's numbered evidence as collapsible items (a citation click opens its item)."""
    if not answer.evidence:
        return "<p>No evidence: nothing to cite.</p>"
    items = []
    for e in answer.evidence:
        cited = " cited" if e.n in answer.citations else ""
        link = f' <a href="{html.escape(e.url)}" target="_blank" rel="noopener">source</a>' if e.url else ""
        items.append(
            f'<details id="ev-{turn}-{e.n}" class="evidence{cited}"><summary>[{e.n}] {html.escape(e.collection)}'
            f" {html.escape(e.doc_id[:40])}</summary><p>{html.escape(e.text)}{link}</p></details>"
        )
    notes = "".join(f"<p class='note'>{html.escape(n)}</p>" for n in answer.notes)
    return notes + "".join(items)


def evidence_panel(turns: list[dict[str, Any]]) -> str:
    """Every turn's evidence, newest first, each under its question (so older citations keep working)."""
    blocks = [
        f"<div class='turn-evidence' data-turn='{t['turn']}'><h4>Q{t['turn']}: {html.escape(t['question'][:120])}</h4>"
        f"{t['evidence_html']}</div>"
        for t in reversed(turns)
    ]
    return "".join(blocks)


def answer_message(answer: AskAnswer, turn: int = 1) -> str:
    """The chat bubble for a verified answer: text with linked citations and how it was produced."""
    body = linked_citations(answer.text, {e.n for e in answer.evidence}, turn)
    return f"{body}<br><small>Q{turn}: {MODES.get(answer.mode, answer.mode)} ({html.escape(answer.backend)})</small>"


def restore(saved: list[dict[str, Any]] | None) -> tuple[list[dict], str]:
    """The chat and evidence panel as the browser kept them."""
    turns = [
        t
        for t in (saved or [])
        if isinstance(t, dict) and {"question", "answer_html", "evidence_html", "turn"} <= t.keys()
    ]
    messages: list[dict] = []
    for t in turns:
        messages += [
            {"role": "user", "content": t["question"]},
            {"role": "assistant", "content": t["answer_html"]},
        ]
    return messages, evidence_panel(turns)


def respond(
    assistant: Assistant | None, question: str, history: list[dict], saved: list[dict[str, Any]] | None = None
) -> Iterator[tuple[list[dict], str, str, list[dict[str, Any]]]]:
    """Stream an answer into the chat: (messages, evidence panel, input box, kept turns) after each chunk."""
    turns = list(saved or [])
    panel = evidence_panel(turns)
    question = (question or "").strip()
    if not question:
        yield history, panel, "", turns
        return
    if len(question) > MAX_QUESTION:
        note = {"role": "assistant", "content": f"Questions are limited to {MAX_QUESTION} characters."}
        yield [*history, note], panel, question, turns
        return
    history = [*history, {"role": "user", "content": question}, {"role": "assistant", "content": "..."}]
    yield history, panel, "", turns
    if assistant is None:
        yield (
            [
                *history[:-1],
                {"role": "assistant", "content": "The assistant is not available on this server."},
            ],
            panel,
            "",
            turns,
        )
        return
    number = (turns[-1]["turn"] + 1) if turns else 1
    previous = [t["turn_data"] for t in turns if t.get("turn_data")]
    draft = ""
    try:
        for part in assistant.stream(question, previous):
            if isinstance(part, str):
                draft += part
                yield [*history[:-1], {"role": "assistant", "content": html.escape(draft)}], panel, "", turns
                continue
            view = answer_view(part)
            kept = {
                "turn": number,
                "question": question,
                "answer_html": answer_message(view, number),
                "evidence_html": evidence_items(view, number),
                "turn_data": view.turn,
            }
            turns = [*turns, kept][-MAX_TURNS:]
            yield (
                [*history[:-1], {"role": "assistant", "content": kept["answer_html"]}],
                evidence_panel(turns),
                "",
                turns,
            )
    except TradeSentinelError as exc:
        message = html.escape(f"The assistant is unavailable: {exc}")
        yield [*history[:-1], {"role": "assistant", "content": message}], panel, "", turns


def tab(assistant: Assistant | None, page: gr.Blocks) -> None:
    """The Chat tab's components and events (inside an open gr.Tab); the page load restores the chat."""
    saved = gr.BrowserState([], storage_key="tradesentinel-chat")
    chatbot = gr.Chatbot(label="Assistant", height=420, elem_id="chatbot")
    with gr.Row():
        question = gr.Textbox(
            placeholder="Ask about anomalies, HS codes, sanctions, news...",
            show_label=False,
            max_length=MAX_QUESTION,
            scale=5,
            elem_id="question",
        )
        send = gr.Button("Ask", variant="primary", scale=1, elem_id="ask")
        clear = gr.Button("New conversation", scale=1, elem_id="chat-clear")
    gr.Markdown("Evidence (click a [n] in an answer to open it):")
    evidence = gr.HTML(elem_id="evidence")
    for event in (send.click, question.submit):
        event(
            lambda q, h, s: (yield from respond(assistant, q, h, s)),
            [question, chatbot, saved],
            [chatbot, evidence, question, saved],
        )
    clear.click(lambda: ([], "", []), None, [chatbot, evidence, saved])
    page.load(restore, [saved], [chatbot, evidence])
