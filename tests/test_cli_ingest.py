"""`tradesentinel ingest SOURCE` as a user runs it: real files in, one line out; offline says --file."""

from __future__ import annotations

import gzip
import hashlib
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

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


def test_ingest_file_says_which_layout_and_csv_takes_gzip(settings, shared_data, tmp_path):
    result = _invoke(
        "ingest", "file", str(shared_data / "real" / "comtrade_legacy_annual_2010_india_china_H3.csv")
    )
    assert result.exit_code == 0, result.output
    assert "read 8,739 rows, kept 8,737, quarantined 2" in result.output
    assert "read as the legacy Comtrade bulk CSV" in result.output
    gz = tmp_path / "small.csv.gz"
    gz.write_bytes(
        gzip.compress(
            b"period,reporter,partner,flow,hs_code,value_usd,net_weight_kg\n2021-01,USA,CHN,M,010121,5,1\n"
        )
    )
    result = _invoke("ingest", "csv", str(gz))
    assert result.exit_code == 0 and "kept 1, quarantined 0; flows table now 8,738 rows" in result.output
    result = _invoke(
        "ingest", "baci", "--file", str(shared_data / "real" / "baci_hs92_2021_exporters_AFG_ZAF_sample.csv")
    )
    assert result.exit_code == 0 and "read 71,192 rows into flows" in result.output
    assert "kept 70,833, quarantined 359" in result.output
    census = shared_data / "real" / "uscensus_hs6_imports_seafood_by_country_monthly_2018_2020.csv.gz"
    result = _invoke("ingest", "census", "--file", str(census))
    assert result.exit_code == 0 and "96,012 country-group row(s)" in result.output
    result = _invoke("ingest", "census", "--file", str(gz))
    assert (
        result.exit_code == 1
        and "not a census layout" in result.output
        and "columns seen: period" in result.output
    )


def test_a_failed_flows_ingest_leaves_the_tables_byte_identical(settings, shared_data, tmp_path):
    assert (
        _invoke(
            "ingest", "file", str(shared_data / "real" / "comtrade_legacy_annual_2010_india_china_H3.csv")
        ).exit_code
        == 0
    )
    digests = {
        t: hashlib.sha256(settings.table_path(t).read_bytes()).hexdigest() for t in ("flows", "quarantine")
    }
    data = gzip.compress((shared_data / "real" / "baci_hs92_2021_exporters_AFG_ZAF_sample.csv").read_bytes())
    cut = tmp_path / "baci.csv.gz"
    cut.write_bytes(data[: len(data) // 2])
    ragged = tmp_path / "ragged.csv"
    ragged.write_bytes(
        (shared_data / "real" / "comtrade_legacy_annual_2010_india_china_H3.csv").read_bytes()[:20_000]
    )
    for bad, needle in ((cut, "truncated"), (ragged, "row 3")):
        result = _invoke("ingest", "file", str(bad))
        assert result.exit_code == 1 and needle in result.output, result.output
    assert {t: hashlib.sha256(settings.table_path(t).read_bytes()).hexdigest() for t in digests} == digests


def test_two_ingests_started_together_lose_nothing(settings, tmp_path):
    """Two `ingest csv` processes at once: each one's rows end up in flows (the upsert holds the lock)."""
    header = "period,reporter,partner,flow,hs_code,value_usd,net_weight_kg\n"
    small, big = tmp_path / "small.csv", tmp_path / "big.csv"
    small.write_text(header + "2021-01,USA,CHN,M,851712,100,1\n2021-02,USA,CHN,M,851712,100,1\n")
    big.write_text(
        header
        + "".join(
            f"{2000 + i // 12}-{i % 12 + 1:02d},DEU,FRA,X,{100000 + j},5,1\n"
            for i in range(240)
            for j in range(200)
        )
    )
    env = {
        **os.environ,
        "TRADESENTINEL_DATA_DIR": str(settings.data_dir),
        "PYTHONPATH": str(Path(__file__).resolve().parents[1]),
    }
    command = [sys.executable, "-m", "tradesentinel.cli", "ingest", "csv"]
    first = subprocess.Popen(
        [*command, str(big)], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    time.sleep(0.5)
    second = subprocess.Popen(
        [*command, str(small)], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    outputs = [p.communicate(timeout=240)[0] for p in (first, second)]
    assert first.returncode == 0 and second.returncode == 0, outputs
    flows = read_table(settings.table_path("flows"), "flows").collect()
    assert flows.height == 48_000 + 2


def test_ingest_ofac_takes_sdn_csv_alone(settings, shared_data):
    result = _invoke(
        "ingest", "ofac", "--file", str(shared_data / "ofac" / "ofac_2021-04_triple" / "sdn.csv")
    )
    assert result.exit_code == 0, result.output
    assert "read 8,890 rows into sanctions" in result.output and "malformed" not in result.output
