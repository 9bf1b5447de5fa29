"""`tradesentinel ask`: the answer, then the numbered evidence with scores, then the notes."""

from __future__ import annotations

from typer.testing import CliRunner

from tests.assistant.conftest import EVIDENCE, ListSearcher
from tradesentinel.assistant import answer as answer_module
from tradesentinel.cli import app


def test_ask_prints_answer_evidence_with_scores_and_notes(settings, monkeypatch):
    monkeypatch.setattr(answer_module, "_open_searcher", lambda s: ListSearcher(EVIDENCE))
    result = CliRunner().invoke(
        app, ["ask", "Is Volga Shipping sanctioned?", "--backend", "none", "--k", "3"]
    )
    assert result.exit_code == 0, result.output
    out = result.output
    assert "Sanctions list: OFAC SDN entry: Volga Shipping Ltd" in out
    assert "evidence-only answer" in out and "score" in out and "s1" in out
    assert out.index("Volga Shipping Ltd") < out.index("evidence (outside text")


def test_ask_with_an_unknown_backend_is_one_clear_error(settings, monkeypatch):
    monkeypatch.setattr(answer_module, "_open_searcher", lambda s: ListSearcher(EVIDENCE))
    result = CliRunner().invoke(app, ["ask", "anything", "--backend", "gpt"])
    assert result.exit_code == 1 and "unknown LLM backend 'gpt'" in result.output
