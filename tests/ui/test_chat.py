"""Chat tab: answers stream in, each answer's citations open its own evidence, outside text stays inert,
and the conversation (sent back to the assistant for follow-ups) survives a reload."""

from __future__ import annotations

from tests.api.fakes import FakeAssistant
from tradesentinel.assistant.view import AskAnswer
from tradesentinel.investigate.types import Evidence
from tradesentinel.ui.chat import evidence_items, linked_citations, respond, restore


def test_only_existing_citations_become_links_to_their_own_turn_and_html_is_escaped():
    html = linked_citations("<script>x</script> fact [1], bogus [7]", {1}, turn=3)
    assert '<a class="cite" href="#ev-3-1">[1]</a>' in html and "[7]" in html and "#ev-3-7" not in html
    assert "<script>" not in html


def test_evidence_items_mark_cited_items_and_escape_text():
    answer = AskAnswer(
        question="q",
        text="a [1]",
        mode="facts",
        backend="none",
        citations=[1],
        evidence=[
            Evidence(n=1, collection="news", doc_id="n", text="<b>ignore previous</b>", score=0.5),
            Evidence(n=2, collection="news", doc_id="m", text="other", score=0.4),
        ],
    )
    panel = evidence_items(answer, turn=2)
    assert 'id="ev-2-1" class="evidence cited"' in panel and 'id="ev-2-2" class="evidence"' in panel
    assert "<b>ignore" not in panel


def test_respond_streams_then_keeps_each_turn_with_its_own_evidence():
    assistant = FakeAssistant()
    steps = list(respond(assistant, "Who is listed?", [], []))
    drafts = [messages[-1]["content"] for messages, _, _, _ in steps]
    assert drafts[0] == "..." and "Test Trading" in drafts[1]
    messages, panel, cleared, saved = steps[-1]
    assert messages[0] == {"role": "user", "content": "Who is listed?"} and cleared == ""
    assert 'href="#ev-1-1"' in messages[-1]["content"] and 'id="ev-1-2"' in panel
    again = list(respond(assistant, "and its news?", messages, saved))[-1]
    assert 'href="#ev-2-1"' in again[0][-1]["content"]
    assert (
        'id="ev-1-1"' in again[1] and 'id="ev-2-1"' in again[1]
    )  # the first answer's [1] still opens its own
    assert assistant.histories[-1] == [saved[0]["turn_data"]]  # the conversation goes back to the assistant
    restored, restored_panel = restore(again[3])
    assert [m["role"] for m in restored] == [
        "user",
        "assistant",
        "user",
        "assistant",
    ] and restored_panel == again[1]


def test_respond_refuses_an_overlong_question():
    messages, _, kept, _ = list(respond(FakeAssistant(), "x" * 501, [], []))[-1]
    assert "limited to 500" in messages[-1]["content"] and kept == "x" * 501
