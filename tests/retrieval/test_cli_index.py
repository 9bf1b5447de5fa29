"""The `index` and `search` commands as a user runs them."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from tests.retrieval.conftest import HashEmbedding
from tradesentinel.cli import app
from tradesentinel.config import Settings


@pytest.fixture(autouse=True)
def no_model(monkeypatch: pytest.MonkeyPatch) -> None:
    """The commands build their own embedder: give them the fast stand-in."""
    monkeypatch.setattr("tradesentinel.retrieval.store.open_embedder", lambda settings: HashEmbedding())


def test_search_before_index_says_to_run_index(settings: Settings) -> None:
    result = CliRunner().invoke(app, ["search", "anything"])
    assert result.exit_code == 1
    assert "tradesentinel index" in " ".join(result.output.split())


def test_index_then_reindex_skips_everything_then_search(small_world: Settings) -> None:
    runner = CliRunner()
    first = runner.invoke(app, ["index", "--top", "3"])
    assert first.exit_code == 0, first.output
    assert "anomalies" in first.output and "nothing changed" not in first.output
    second = runner.invoke(app, ["index", "--top", "3"])
    assert second.exit_code == 0 and "nothing changed" in second.output
    found = runner.invoke(app, ["search", "coffee", "--country", "BRA", "--k", "3"])
    assert found.exit_code == 0 and "anomaly:f2" in found.output
    bad = runner.invoke(app, ["index", "--collections", "tweets"])
    assert bad.exit_code == 1 and "unknown collection" in bad.output
