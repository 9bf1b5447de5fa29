"""Atomic writes: a failed write leaves the previous table intact and no temp files behind."""

from __future__ import annotations

from datetime import UTC

import polars as pl
import pytest

from tradesentinel import storage as store
from tradesentinel.storage import TableNotFoundError, read_table, write_table


def test_write_then_read_round_trips(tmp_path):
    frame = pl.DataFrame({"a": [1, 2, 3]})
    path = write_table(frame, tmp_path / "t.parquet")
    assert read_table(path).collect().equals(frame)


def test_a_failed_write_keeps_the_previous_table(tmp_path, monkeypatch):
    path = write_table(pl.DataFrame({"a": [1, 2, 3]}), tmp_path / "t.parquet")

    def explode(self, target, **kwargs):
        with open(target, "wb") as handle:
            handle.write(b"PAR1 half a file")
        raise OSError("disk full")

    monkeypatch.setattr(pl.LazyFrame, "sink_parquet", explode)
    with pytest.raises(OSError, match="disk full"):
        write_table(pl.DataFrame({"a": [9]}), path)
    monkeypatch.undo()
    assert read_table(path).collect()["a"].to_list() == [1, 2, 3]
    assert [p.name for p in tmp_path.iterdir()] == ["t.parquet"]


def test_missing_table_names_the_command_that_builds_it(tmp_path):
    with pytest.raises(TableNotFoundError, match="tradesentinel features"):
        read_table(tmp_path / "features.parquet", "features")


def test_append_keeps_old_rows(tmp_path):
    from datetime import datetime

    row = {
        "file": "a.csv",
        "row": 1,
        "field": "x",
        "reason": "bad",
        "raw": "{}",
        "ingested_at": datetime(2026, 1, 1, tzinfo=UTC),
    }
    path = tmp_path / "quarantine.parquet"
    store.append_table(pl.DataFrame([row]), path, "quarantine")
    store.append_table(pl.DataFrame([{**row, "row": 2}]), path, "quarantine")
    assert read_table(path, "quarantine").collect()["row"].to_list() == [1, 2]
