"""Atomic, locked writes: a failed or killed write leaves the previous table intact and no temp files
behind; concurrent writers of one table lose nothing; a writer that cannot get the lock says so."""

from __future__ import annotations

import signal
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

import polars as pl
import pytest

from tradesentinel import storage as store
from tradesentinel.errors import ConflictError
from tradesentinel.storage import TableNotFoundError, lock_path, read_table, table_lock, write_table


def _files(folder: Path) -> list[str]:
    """What a user sees in the folder: every file but the lock files."""
    return sorted(p.name for p in folder.iterdir() if not p.name.endswith(".lock"))


def test_write_then_read_round_trips(tmp_path):
    frame = pl.DataFrame({"a": [1, 2, 3]})
    path = write_table(frame, tmp_path / "t.parquet")
    assert read_table(path).collect().equals(frame)
    assert _files(tmp_path) == ["t.parquet"]


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
    assert _files(tmp_path) == ["t.parquet"]


def test_without_o_tmpfile_a_named_temp_is_used_and_a_leftover_is_removed(tmp_path, monkeypatch):
    monkeypatch.setattr(store, "_unnamed_file", lambda folder: None)
    leftover = tmp_path / ".t.parquet.123.tmp"  # what a writer killed mid-write leaves here
    leftover.write_bytes(b"PAR1 half")
    path = write_table(pl.DataFrame({"a": [1]}), tmp_path / "t.parquet")
    assert read_table(path).collect()["a"].to_list() == [1]
    assert _files(tmp_path) == ["t.parquet"]


def test_missing_table_names_the_command_that_builds_it(tmp_path):
    with pytest.raises(TableNotFoundError, match="tradesentinel features"):
        read_table(tmp_path / "features.parquet", "features")


def _quarantine_row(row: int) -> dict:
    return {
        "file": "a.csv",
        "row": row,
        "field": "x",
        "reason": "bad",
        "raw": "{}",
        "ingested_at": datetime(2026, 1, 1, tzinfo=UTC),
    }


def test_append_keeps_old_rows(tmp_path):
    path = tmp_path / "quarantine.parquet"
    store.append_table(pl.DataFrame([_quarantine_row(1)]), path, "quarantine")
    store.append_table(pl.DataFrame([_quarantine_row(2)]), path, "quarantine")
    assert read_table(path, "quarantine").collect()["row"].to_list() == [1, 2]


def test_concurrent_appenders_lose_nothing(tmp_path, monkeypatch):
    """Eight threads append at once; reading is slowed so that, without the lock held across the
    read and the write, they would overwrite each other's rows."""
    path = tmp_path / "quarantine.parquet"
    slow_read = store.read_table

    def read_slowly(*args, **kwargs):
        time.sleep(0.05)
        return slow_read(*args, **kwargs)

    monkeypatch.setattr(store, "read_table", read_slowly)
    store.append_table(pl.DataFrame([_quarantine_row(0)]), path, "quarantine")
    threads = [
        threading.Thread(
            target=store.append_table, args=(pl.DataFrame([_quarantine_row(i)]), path, "quarantine")
        )
        for i in range(1, 9)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(read_table(path, "quarantine").collect()["row"].to_list()) == list(range(9))


def test_a_writer_that_cannot_get_the_lock_says_so_and_other_tables_do_not_wait(tmp_path):
    path, other = tmp_path / "flows.parquet", tmp_path / "news.parquet"
    held, release = threading.Event(), threading.Event()

    def hold() -> None:
        with table_lock(path):
            held.set()
            release.wait(10)

    holder = threading.Thread(target=hold)
    holder.start()
    try:
        assert held.wait(10)
        busy = pytest.raises(ConflictError, match=r"flows\.parquet is being written by another process")
        with busy, table_lock(path, timeout=0.2):
            pass
        started = time.perf_counter()
        write_table(pl.DataFrame({"a": [1]}), other)  # another table: no wait
        assert time.perf_counter() - started < 5
    finally:
        release.set()
        holder.join()
    write_table(pl.DataFrame({"a": [1]}), path)  # free again
    assert lock_path(path).name == ".flows.parquet.lock"


KILLED_WRITER = """
import sys, polars as pl
from tradesentinel.storage import write_table
frame = pl.DataFrame({"a": range(4_000_000), "b": [f"row {i}" for i in range(4_000_000)]})
print("ready", flush=True)
while True:
    write_table(frame, sys.argv[1])
"""


def test_sigkill_mid_write_leaves_the_table_intact_and_no_temp_file(tmp_path):
    path = write_table(pl.DataFrame({"a": [1, 2, 3], "b": ["x", "y", "z"]}), tmp_path / "t.parquet")
    child = subprocess.Popen(
        [sys.executable, "-c", KILLED_WRITER, str(path)],
        stdout=subprocess.PIPE,
        text=True,
        cwd=Path(__file__).resolve().parents[1],
    )
    try:
        assert child.stdout.readline().strip() == "ready"
        time.sleep(0.3)
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait(30)
    assert read_table(path).collect().height in (3, 4_000_000)  # the old table or the whole new one
    assert _files(tmp_path) == ["t.parquet"]
