"""Sanctions name matching: aliases, transliterations and near misses, on the DEMO list and real OFAC/UN files."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from tests.retrieval.conftest import demo_labels
from tradesentinel.pipeline.demo_evidence import demo_sanctions
from tradesentinel.retrieval.matching import (
    NameIndex,
    fold_name,
    link_by_country,
    mentioned_names,
    normalise_name,
    query_windows,
)


def test_normalisation_transliterates_and_drops_legal_forms() -> None:
    assert normalise_name("ООО «Технопром»") == normalise_name("Tekhnoprom LLC") == "tekhnoprom"
    assert normalise_name("ANGLO-CARIBBEAN CO., LTD.") == "anglo caribbean"
    assert normalise_name("Trading LLC") == "trading"  # a name made only of generic words keeps them


def test_folding_merges_romanisations() -> None:
    assert len({fold_name(normalise_name(n)) for n in ("Sergey", "Sergei", "Serguei")}) == 1
    assert fold_name("yuriy khabarov") == fold_name("iouri habarov")
    assert fold_name("aleksandr") == fold_name("alexandr")


@pytest.fixture(scope="module")
def demo_index() -> tuple[pl.DataFrame, NameIndex]:
    sanctions = demo_sanctions(demo_labels(), seed=7)
    return sanctions, NameIndex(sanctions)


def test_alias_and_near_miss_spellings_find_the_demo_entry(demo_index) -> None:
    sanctions, index = demo_index
    person = sanctions.filter(pl.col("entity_type") == "individual").row(0, named=True)
    first, family = person["name"].split()
    german = f"{first} {family[:-1]}w"  # Khabarov -> Khabarow: the German romanisation
    found = index.match(german)
    assert found[0].entry_id == person["entry_id"] and found[0].view == "transliteration"
    typo = f"{first} {family[:3]}{family[4:]}"  # one letter dropped
    found = index.match(typo, threshold=85)
    assert found and found[0].entry_id == person["entry_id"] and 85 <= found[0].score < 100
    assert person["entry_id"] in found[0].explain() and f"{found[0].score:.0f}/100" in found[0].explain()
    cyrillic = next(a for a in person["aliases"] if any("\u0400" <= ch <= "\u04ff" for ch in a))
    exact = index.match(cyrillic)
    assert exact[0].entry_id == person["entry_id"] and exact[0].is_alias and exact[0].score == 100
    assert index.match("Global Widgets Incorporated") == []


def test_threshold_is_adjustable(demo_index) -> None:
    _, index = demo_index
    weak = "Tekhno Servis Holding"  # a loose resemblance
    strict, loose = index.match(weak, threshold=97), index.match(weak, threshold=60)
    assert len(loose) > len(strict)
    assert all(m.score >= 60 for m in loose)


def test_names_in_a_headline_and_links_by_country(demo_index) -> None:
    sanctions, index = demo_index
    company = sanctions.filter(pl.col("entity_type") == "entity").row(0, named=True)
    title = f"DEMO: Kazakhstan trader {company['aliases'][0]} questioned over re-exports"
    assert company["entry_id"] in {m.entry_id for m in mentioned_names(index, title)}
    assert "Kazakhstan trader" in query_windows(title)
    anomalies = pl.DataFrame({"flow_id": ["a", "b"], "reporter": ["KAZ", "CAN"], "partner": ["RUS", "USA"]})
    links = link_by_country(anomalies, sanctions).sort("flow_id")
    assert links["n_linked"].to_list() == [3, 0]
    assert links["linked"][0][0].startswith("DEMO ") and "(KAZ)" in links["linked"][0][0]


def test_real_ofac_aliases_transliterations_and_near_misses(shared_data: Path) -> None:
    from tradesentinel.pipeline.sources.ofac import read_ofac_csv

    ofac = NameIndex(read_ofac_csv(shared_data / "ofac" / "ofac_2021-04_triple"))
    assert len(ofac) > 20_000  # 8,890 entries and their aliases
    exact = ofac.match("Banco Nacional de Cuba")
    assert exact[0].entry_id == "306" and exact[0].score == 100 and not exact[0].is_alias
    alias = ofac.match("National Bank of Kuba")  # near miss of the alias NATIONAL BANK OF CUBA
    assert alias[0].entry_id == "306" and alias[0].is_alias and alias[0].matched == "NATIONAL BANK OF CUBA"
    translit = ofac.match("Gennadi Timtchenko")  # listed as TIMCHENKO, Gennady
    assert translit[0].name == "TIMCHENKO, Gennady" and translit[0].view == "transliteration"
    assert ofac.match("Aerokaribean Airlines")[0].entry_id == "36"
    assert ofac.match("Quiet Meadow Bakery") == []


def test_real_un_list(shared_data: Path) -> None:
    from tradesentinel.pipeline.sources.un import read_un_xml

    un = NameIndex(read_un_xml(shared_data / "un" / "un_consolidated_2026-02-27.xml"))
    found = un.match("Erik Badeghe")
    assert found and found[0].name == "ERIC BADEGE" and found[0].list == "UN-SC"
    qaeda = un.match("Al Qaeda")
    assert qaeda[0].name == "AL-QAIDA" and qaeda[0].is_alias
