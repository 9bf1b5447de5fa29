"""`refresh` on two versions of a real list: what was added, updated and delisted, and delistings stay findable."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tests.retrieval.conftest import HashEmbedding
from tradesentinel.cli import app
from tradesentinel.config import Settings
from tradesentinel.retrieval.refresh import refresh
from tradesentinel.retrieval.search import open_searcher
from tradesentinel.retrieval.store import EvidenceStore


def _rows(path: Path) -> list[list[str]]:
    with open(path, newline="", encoding="utf-8", errors="replace") as handle:
        return [row for row in csv.reader(handle) if row]


def ofac_version(shared_data: Path, target: Path, keep: slice, renamed: dict[str, str]) -> Path:
    """A folder of sdn/add/alt.csv holding the real SDN rows in `keep`, some names changed."""
    triple = shared_data / "ofac" / "ofac_2021-04_triple"
    sdn = [r for r in _rows(triple / "sdn.csv")[keep]]
    ids = {r[0] for r in sdn}
    target.mkdir(parents=True)
    for row in sdn:
        row[1] = renamed.get(row[0], row[1])
    for name, rows in (
        ("sdn.csv", sdn),
        ("add.csv", [r for r in _rows(triple / "add.csv") if r[0] in ids]),
        ("alt.csv", [r for r in _rows(triple / "alt.csv") if r[0] in ids]),
    ):
        with open(target / name, "w", newline="", encoding="utf-8") as handle:
            csv.writer(handle).writerows(rows)
    return target


@pytest.fixture
def versions(shared_data: Path, tmp_path: Path) -> tuple[Path, Path, list[str]]:
    """Version 1: SDN rows 0-39. Version 2: rows 3-44 (three gone, five new), two of them renamed."""
    first = ofac_version(shared_data, tmp_path / "v1", slice(0, 40), {})
    rows = _rows(shared_data / "ofac" / "ofac_2021-04_triple" / "sdn.csv")
    renamed = {rows[5][0]: "RENAMED ONE", rows[6][0]: "RENAMED TWO"}
    second = ofac_version(shared_data, tmp_path / "v2", slice(3, 45), renamed)
    return first, second, [r[1] for r in rows[:3]]


def test_refresh_reports_added_updated_and_delisted_entries(settings: Settings, versions) -> None:
    first, second, gone_names = versions
    store = EvidenceStore(settings, HashEmbedding())
    one = refresh(settings, {"ofac": first}, store=store)
    assert one.ok and one.read == {"ofac": 40}
    assert [(c.list, c.entries, c.added, c.updated, c.delisted) for c in one.lists] == [
        ("OFAC-SDN", 40, 40, 0, 0)
    ]
    two = refresh(settings, {"ofac": second}, store=store)
    assert [(c.list, c.entries, c.added, c.updated, c.delisted, c.relisted) for c in two.lists] == [
        ("OFAC-SDN", 42, 5, 2, 3, 0)
    ]
    sanctions = next(r for r in two.index.synced if r.collection == "sanctions")
    assert sanctions.n_docs == 45 and sanctions.deleted == 0  # the three delisted stay, as delisted documents
    hits = open_searcher(settings, HashEmbedding()).search(gone_names[0], k=3, collections=["sanctions"])
    assert hits[0].text.startswith("DELISTED: no longer on the OFAC-SDN list as of")
    assert hits[0].metadata["status"] == "delisted" and gone_names[0] in hits[0].text
    again = refresh(settings, {"ofac": first}, store=store)  # back to version 1
    assert [(c.added, c.updated, c.delisted, c.relisted) for c in again.lists] == [(0, 2, 5, 3)]


def test_a_refresh_with_nothing_new_changes_nothing(settings: Settings, versions) -> None:
    first, _, _ = versions
    store = EvidenceStore(settings, HashEmbedding())
    refresh(settings, {"ofac": first}, store=store)
    embedded = len(store.embedder.embedded)
    same = refresh(settings, {"ofac": first}, store=store)
    assert not any(r.changed for r in same.index.synced) and len(store.embedder.embedded) == embedded
    assert [(c.added, c.updated, c.delisted) for c in same.lists] == [(0, 0, 0)]


def test_cli_refresh_exits_nonzero_when_a_source_fails_but_indexes_the_rest(
    settings: Settings, versions, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr("tradesentinel.retrieval.store.open_embedder", lambda s: HashEmbedding())
    first, _, _ = versions
    missing = tmp_path / "nowhere.xml"
    result = CliRunner().invoke(
        app, ["refresh", "--lists", "ofac,un", "--ofac", str(first), "--un", str(missing)]
    )
    assert result.exit_code == 1, result.output
    text = " ".join(result.output.split())
    assert "un failed" in text and "ofac: read 40 entries" in text and "OFAC-SDN" in text
    catalog = EvidenceStore(settings, HashEmbedding()).read_catalog("sanctions")
    assert catalog.height == 40 and all(json.loads(e)["status"] == "listed" for e in catalog["extra"])
    ok = CliRunner().invoke(app, ["refresh", "--lists", "ofac", "--ofac", str(first)])
    assert ok.exit_code == 0 and "refresh done" in ok.output
