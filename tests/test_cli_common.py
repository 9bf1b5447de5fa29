"""The CLI's one error handler as a user meets it: bad input is one readable line and exit 1; a bug is
one line pointing at the log (which holds the traceback) and exit 2, never a traceback on the terminal."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from tradesentinel.cli import app
from tradesentinel.config import Settings

runner = CliRunner()


def _lines(output: str) -> list[str]:
    return [line for line in output.splitlines() if line.strip()]


def _log(settings: Settings) -> str:
    return (settings.data_dir / "logs" / "tradesentinel.log").read_text(encoding="utf-8")


def test_a_bug_is_exit_2_one_line_and_the_traceback_is_in_the_log(settings, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("scores went sideways")

    monkeypatch.setattr("tradesentinel.detectors.stages.evaluate_scores", broken)
    result = runner.invoke(app, ["evaluate", "--no-track"], catch_exceptions=False)
    log_file = settings.data_dir / "logs" / "tradesentinel.log"
    assert result.exit_code == 2
    said = "error: internal error (a bug, not your input): RuntimeError: scores went sideways"
    assert _lines(result.output) == [f"{said}; the traceback is in {log_file}"]
    logged = _log(settings)
    assert "Traceback (most recent call last)" in logged and "in broken" in logged
    assert "RuntimeError: scores went sideways" in logged


def test_a_domain_error_is_exit_1_and_one_line_with_its_hint(settings):
    result = runner.invoke(app, ["evaluate", "--no-track"], catch_exceptions=False)
    assert result.exit_code == 1
    labels = settings.table_path("labels")
    assert _lines(result.output) == [f"error: {labels} does not exist yet: run `tradesentinel demo` first"]
    assert "Traceback" not in result.output
    logged = _log(settings)
    assert "command failed (TableNotFoundError)" in logged and "Traceback" in logged


def test_a_missing_labels_file_is_bad_input_not_a_bug(settings, tmp_path):
    missing = tmp_path / "nowhere.csv"
    result = runner.invoke(app, ["evaluate", "--labels", str(missing), "--no-track"], catch_exceptions=False)
    assert result.exit_code == 1
    assert _lines(result.output) == [
        f"error: {missing}: file not found: give a labels CSV of period, reporter, partner, flow, hs_code, kind"
    ]


@pytest.mark.parametrize(
    ("variable", "value", "said"),
    [
        ("TRADESENTINEL_PORT", "not-a-port", "TRADESENTINEL_PORT"),
        ("TRADESENTINEL_LOG_LEVEL", "CHATTY", "unknown level 'CHATTY'"),
    ],
)
def test_a_bad_setting_names_the_variable(settings, monkeypatch, variable, value, said):
    from tradesentinel.config import get_settings

    monkeypatch.setenv(variable, value)
    get_settings.cache_clear()
    result = runner.invoke(app, ["features"], catch_exceptions=False)
    assert result.exit_code == 1
    assert said in result.output and result.output.startswith("error:")
    assert "Traceback" not in result.output
