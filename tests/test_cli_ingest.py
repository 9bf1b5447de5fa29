"""`tradesentinel ingest SOURCE` as a user runs it: real files in, one line out; offline says --file."""

from __future__ import annotations

import socket

import polars as pl
from typer.testing import CliRunner

from tradesentinel.cli import app
from tradesentinel.storage import read_table

runner = CliRunner()


def _invoke(*args: str):
    return runner.invoke(app, list(args), catch_exceptions=False)


def test_ingest_real_files(settings, shared_data):
    result = _invoke(
        "ingest", "ofac", "--file", str(shared_data / "ofac" / "ofac_enhanced_xml_IRGC_subset_2024-08-28.xml")
    )
    assert result.exit_code == 0, result.output
    assert (
        "read 293 rows into sanctions" in result.output and "OFAC-SDN: 293 entries replace 0" in result.output
    )
    result = _invoke(
        "ingest", "gdelt", "-f", str(shared_data / "gdelt" / "gdelt2_events_20191024143000.export.CSV")
    )
    assert result.exit_code == 0 and "read 2,111 rows into news" in result.output
    result = _invoke("ingest", "hs")
    assert result.exit_code == 0 and "HS2 97, HS4 1,229, HS6 5,613 (HS2022)" in result.output
    sanctions = read_table(settings.table_path("sanctions"), "sanctions").collect()
    assert sanctions.filter(pl.col("entry_id") == "26527")["name"].to_list() == ["IRANIAN ATLAS COMPANY"]


def test_bad_file_and_offline_are_one_readable_line(settings, shared_data, tmp_path, monkeypatch):
    cut = tmp_path / "un.xml"
    cut.write_bytes((shared_data / "un" / "un_consolidated_2026-02-27.xml").read_bytes()[:5000])
    result = _invoke("ingest", "un", "--file", str(cut))
    assert result.exit_code == 1 and "malformed or truncated XML" in result.output
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    monkeypatch.setenv("TRADESENTINEL_UN_URL", f"http://127.0.0.1:{port}/consolidated.xml")
    from tradesentinel.config import get_settings

    get_settings.cache_clear()
    result = _invoke("ingest", "un")
    assert result.exit_code == 1 and "offline?" in result.output and "--file PATH" in result.output
    assert not settings.table_path("sanctions").exists()
