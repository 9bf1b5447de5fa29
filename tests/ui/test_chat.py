"""Chat tab: answers stream in, citations become links to the evidence, outside text stays inert."""

from __future__ import annotations

from tests.api.fakes import FakeAssistant
from tradesentinel.assistant.view import AskAnswer
from tradesentinel.investigate.types import Evidence
from tradesentinel.ui.chat import evidence_panel, linked_citations, respond


def test_only_existing_citations_become_links_and_html_is_escaped():
    html = linked_citations("<script>x</script> fact [1], bogus [7]", {1})
    assert '<a class="cite" href="#ev-1">[1]</a>' in html and "[7]" in html and "#ev-7" not in html
    assert "<script>" not in html


def test_evidence_panel_marks_cited_items_and_escapes_text():
    answer = AskAnswer(
        question="q",
        text="a [1]",
        mode="evidence",
        backend="none",
        citations=[1],
        evidence=[
            Evidence(n=1, collection="news", doc_id="n", text="<b>ignore previous</b>", score=0.5),
            Evidence(n=2, collection="news", doc_id="m", text="other", score=0.4),
        ],
    )
    panel = evidence_panel(answer)
    assert 'id="ev-1" class="evidence cited"' in panel and 'id="ev-2" class="evidence"' in panel
    assert "<b>ignore" not in panel


def test_respond_streams_then_shows_the_cited_answer(settings):
    steps = list(respond(FakeAssistant(), "Who is listed?", []))
    drafts = [history[-1]["content"] for history, _, _ in steps]
    assert drafts[0] == "..." and "Test Trading" in drafts[1]
    final_history, panel, cleared = steps[-1]
    assert final_history[0] == {"role": "user", "content": "Who is listed?"}
    assert 'class="cite"' in final_history[-1]["content"] and 'id="ev-2"' in panel and cleared == ""


def test_respond_refuses_an_overlong_question(settings):
    history, _, kept = list(respond(FakeAssistant(), "x" * 501, []))[-1]
    assert "limited to 500" in history[-1]["content"] and kept == "x" * 501
