"""Screening a name or identifier: verdicts with their proof, honest no-matches, real lists' alias pairs."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from tradesentinel.config import Settings
from tradesentinel.investigate.screening import MATCH_AT, POSSIBLE_AT, listed_in, screen
from tradesentinel.investigate.tables import TableStore
from tradesentinel.retrieval.matching import NameIndex, normalise_name
from tradesentinel.storage import write_table


@pytest.fixture(scope="module")
def demo_tables(qs_world) -> TableStore:
    return TableStore(qs_world)


def _entry(tables: TableStore) -> dict:
    return tables.table("sanctions").filter(pl.col("list") == "DEMO").row(0, named=True)


def test_a_listed_name_alias_cyrillic_or_identifier_is_a_match_with_its_entry(demo_tables):
    entry = _entry(demo_tables)
    for query in (entry["name"], entry["aliases"][0], entry["identifiers"][0].split()[-1]):
        found = screen(demo_tables, query)
        assert found.verdict == "match" and found.matches[0].entry_id == entry["entry_id"], query
    cyrillic = next(a for a in entry["aliases"] if any("\u0400" <= ch <= "\u04ff" for ch in a))
    assert screen(demo_tables, cyrillic).matches[0].entry_id == entry["entry_id"]
    top = screen(demo_tables, entry["name"]).matches[0]
    assert top.programmes == list(entry["programmes"]) and top.listed_on == entry["listed_on"] and top.how


def test_no_match_names_the_lists_checked_and_says_demo_is_not_real(demo_tables):
    found = screen(demo_tables, "Nordwind Maritime GmbH")
    assert found.verdict == "no_match" and not found.matches
    assert (
        [s.list for s in found.lists] == ["DEMO"] and found.lists[0].entries > 0 and found.lists[0].loaded_on
    )
    assert "not a screening against real lists" in found.caveat


def test_nothing_loaded_is_not_an_all_clear(settings):
    found = screen(TableStore(settings), "Anyone")
    assert found.verdict == "no_match" and found.lists == [] and "nothing was checked" in found.caveat


def test_listed_parties_of_a_country(demo_tables):
    entry = _entry(demo_tables)
    country = entry["countries"][0]
    found = listed_in(demo_tables, country)
    expected = demo_tables.table("sanctions").filter(pl.col("countries").list.contains(country)).height
    assert found.total == expected and entry["entry_id"] in {m.entry_id for m in found.entries}


def _alias_pairs(table: pl.DataFrame) -> tuple[NameIndex, list[tuple[str, str]]]:
    """An index of primary names only, and (alias, entry) pairs whose alias names no other entry."""
    owners: dict[str, set[str]] = {}
    for row in table.select("entry_id", "name", "aliases").iter_rows(named=True):
        for name in (row["name"], *(row["aliases"] or [])):
            owners.setdefault(normalise_name(name), set()).add(row["entry_id"])
    pairs = [
        (alias, row["entry_id"])
        for row in table.select("entry_id", "name", "aliases").iter_rows(named=True)
        for alias in row["aliases"] or []
        if normalise_name(alias)
        and normalise_name(alias) != normalise_name(row["name"])
        and owners[normalise_name(alias)] == {row["entry_id"]}
    ]
    return NameIndex(table.with_columns(pl.lit([], dtype=pl.List(pl.String)).alias("aliases"))), pairs


@pytest.mark.parametrize(("layout", "min_match", "min_possible"), [("ofac", 0.9, 0.75), ("un", 0.95, 0.8)])
def test_thresholds_on_real_alias_pairs(shared_data: Path, layout, min_match, min_possible):
    """Real aliases against an index of primary names only: a `match` is the right entry at least
    `min_match` of the time, a `possible` at least `min_possible` (docs/assistant.md has the table)."""
    if layout == "ofac":
        from tradesentinel.pipeline.sources.ofac import read_ofac_csv

        table = read_ofac_csv(shared_data / "ofac" / "ofac_2021-04_triple")
    else:
        from tradesentinel.pipeline.sources.un import read_un_xml

        table = read_un_xml(shared_data / "un" / "un_consolidated_2026-02-27.xml")
    index, pairs = _alias_pairs(table)
    pairs = pairs[:: max(1, len(pairs) // 1500)]
    found = [(index.match(alias, threshold=POSSIBLE_AT, limit=1), entry) for alias, entry in pairs]
    at_match = [m[0].entry_id == e for m, e in found if m and m[0].score >= MATCH_AT]
    at_possible = [m[0].entry_id == e for m, e in found if m and m[0].score >= POSSIBLE_AT]
    assert len(at_match) >= 50 and sum(at_match) / len(at_match) >= min_match
    assert sum(at_possible) / len(at_possible) >= min_possible


def test_an_identifier_matches_exactly_on_a_real_list(tmp_path: Path, shared_data: Path):
    from tradesentinel.pipeline.sources.ofac import read_ofac_csv

    settings = Settings(data_dir=tmp_path / "data")
    table = read_ofac_csv(shared_data / "ofac" / "ofac_2021-04_triple")
    write_table(table, settings.table_path("sanctions"), "sanctions")
    tables = TableStore(settings)
    row = table.filter(pl.col("identifiers").list.join(" ").str.contains("Passport")).row(0, named=True)
    number = next(i for i in row["identifiers"] if "Passport" in i).split()[1]
    found = screen(tables, f"passport {number}")
    assert (
        found.verdict == "match"
        and found.matches[0].entry_id == row["entry_id"]
        and found.matches[0].by == "identifier"
    )
    assert [s.list for s in found.lists] == ["OFAC-SDN"] and found.caveat is None
