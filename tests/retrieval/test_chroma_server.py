"""The same index and search against a Chroma server (HttpClient), started here on loopback."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.loopback import free_port, wait_until_up
from tests.retrieval.conftest import HashEmbedding, write_small_world
from tradesentinel.config import Settings
from tradesentinel.retrieval.index import build_index
from tradesentinel.retrieval.search import open_searcher
from tradesentinel.retrieval.store import EvidenceStore


@pytest.fixture
def chroma_server(tmp_path: Path) -> Iterator[int]:
    """A `chroma run` server on 127.0.0.1, stopped after the test."""
    exe = shutil.which("chroma") or str(Path(__import__("sys").executable).parent / "chroma")
    if not Path(exe).exists():
        pytest.skip("the chroma server command is not installed")
    port = free_port()
    proc = subprocess.Popen(
        [exe, "run", "--path", str(tmp_path / "server"), "--host", "127.0.0.1", "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_until_up(f"http://127.0.0.1:{port}/api/v2/heartbeat", "the chroma server")
        yield port
    finally:
        proc.terminate()
        proc.wait(timeout=20)


def test_index_and_search_through_a_chroma_server(tmp_path: Path, chroma_server: int) -> None:
    settings = Settings(data_dir=tmp_path / "data", chroma_host="127.0.0.1", chroma_port=chroma_server)
    write_small_world(settings)
    report = build_index(settings, store=EvidenceStore(settings, HashEmbedding()))
    assert sum(r.added for r in report.synced) == 30
    assert not (settings.data_dir / "chroma" / "chroma.sqlite3").exists()  # vectors live in the server
    searcher = open_searcher(settings, HashEmbedding())
    assert searcher.search("coffee Brazil", k=2, collections=["anomalies"])[0].doc_id == "anomaly:f2"
    again = build_index(settings, store=EvidenceStore(settings, HashEmbedding()))
    assert not any(r.changed for r in again.synced)
