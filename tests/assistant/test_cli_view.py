"""`tradesentinel ask`: the answer, then the numbered evidence with scores, then the notes."""

from __future__ import annotations

from typer.testing import CliRunner

from tradesentinel.cli import app


def test_ask_prints_the_answer_then_its_evidence_and_notes(qs_world, monkeypatch):
    monkeypatch.setenv("TRADESENTINEL_DATA_DIR", str(qs_world.data_dir))
    from tradesentinel.config import get_settings

    get_settings.cache_clear()
    result = CliRunner().invoke(app, ["ask", "Is Nordwind Maritime GmbH sanctioned?", "--backend", "none"])
    get_settings.cache_clear()
    assert result.exit_code == 0, result.output
    out = " ".join(result.output.split())
    assert "No entry matches 'Nordwind Maritime GmbH'" in out and "stated from the data" in out
    assert "not a screening against real lists" in out
    assert out.index("No entry matches") < out.index("evidence (outside text")


def test_ask_with_an_unknown_backend_or_a_blank_question_is_one_clear_error(settings):
    result = CliRunner().invoke(app, ["ask", "anything", "--backend", "gpt"])
    assert result.exit_code == 1 and "unknown LLM backend 'gpt'" in result.output
    blank = CliRunner().invoke(app, ["ask", "   "])
    assert blank.exit_code == 1 and "question" in blank.output
