"""OFAC lists: the legacy CSV triple links up by ent_num, the XML exports parse, bad files are named."""

from __future__ import annotations

import csv
import shutil
from datetime import date

import polars as pl
import pytest

from tradesentinel.errors import InputError
from tradesentinel.pipeline.sources.ofac import read_ofac_csv
from tradesentinel.pipeline.sources.ofac_xml import read_ofac_xml
from tradesentinel.schema import SANCTIONS


@pytest.fixture(scope="module")
def triple(request):
    from tests.conftest import SHARED_DATA

    folder = SHARED_DATA / "ofac" / "ofac_2021-04_triple"
    if not folder.is_dir():
        pytest.skip("../shared/data is absent")
    return folder, read_ofac_csv(folder)


def _raw(path) -> list[list[str]]:
    """The file read the naive way (csv module), as the independent reference."""
    text = path.read_text().replace("\x1a", "")
    return [[f.strip() for f in row] for row in csv.reader(text.splitlines()) if row]


def _entry(table: pl.DataFrame, entry_id: str) -> dict:
    return table.filter(pl.col("entry_id") == entry_id).row(0, named=True)


def test_triple_links_aliases_and_addresses_by_ent_num(triple):
    folder, table = triple
    assert table.schema == pl.Schema(SANCTIONS) and table.height == 8890
    assert table["entry_id"].is_unique().all() and set(table["list"]) == {"OFAC-SDN"}
    entries = {r["entry_id"]: r for r in table.iter_rows(named=True)}
    for ent, _, _, name, _ in _raw(folder / "alt.csv"):  # every alias lands on its own entry
        assert name in entries[ent]["aliases"] or name == entries[ent]["name"], (ent, name)
    per_entry: dict[str, int] = {}
    for ent, *fields in _raw(folder / "add.csv"):
        if any(f != "-0-" for f in fields[1:]):
            per_entry[ent] = per_entry.get(ent, 0) + 1
    assert all(len(entries[e]["addresses"]) <= n for e, n in per_entry.items())
    assert sum(len(entries[e]["addresses"]) for e in per_entry) >= 0.99 * sum(per_entry.values())
    bank = entries["306"]
    assert bank["name"] == "BANCO NACIONAL DE CUBA" and bank["programmes"] == ["CUBA"]
    assert {"NATIONAL BANK OF CUBA", "BNC"} <= set(bank["aliases"])  # alt.csv and the remarks
    assert "Zweierstrasse 35, Zurich CH-8022, Switzerland" in bank["addresses"]
    assert {"CHE", "ESP", "JPN"} <= set(bank["countries"])


def test_triple_types_programmes_vessels_and_nulls(triple):
    _, table = triple
    swan = _entry(table, "4243")
    assert (swan["entity_type"], swan["aliases"], swan["countries"]) == ("vessel", ["ANA I"], ["CYP"])
    assert "Call Sign P3QG3" in swan["identifiers"]
    noriega = _entry(table, "1572")
    assert (noriega["entity_type"], noriega["remarks"], noriega["aliases"]) == ("individual", None, [])
    joined = table.filter(pl.col("programmes").list.len() > 1)
    assert joined.height > 500 and not joined["programmes"].explode().str.contains(r"[\[\]]").any()
    counts = dict(table["entity_type"].value_counts().iter_rows())
    assert set(counts) == {"individual", "entity", "vessel", "aircraft"} and counts["entity"] > 3000
    assert table["name"].null_count() == 0 and not table["name"].str.contains("-0-").any()


def test_comment_spillover_and_identifiers(shared_data):
    table = read_ofac_csv(shared_data / "ofac" / "ofac_watchman_small")
    suex = _entry(table, "33151")
    assert (
        suex["remarks"].endswith("a.k.a. 'SUCCESSFUL EXCHANGE'.") and "SUCCESSFUL EXCHANGE" in suex["aliases"]
    )
    assert "alt. Digital Currency Address - XBT 1B64QRxfaa35MVkf7sDjuGUYAP5izQt7Qi" in suex["identifiers"]
    hesa = _entry(table, "11195")
    assert hesa["programmes"] == ["NPWMD", "IFSR", "IRAN-CON-ARMS-EO"] and hesa["countries"] == ["IRN"]
    assert "National ID No. 10100722073 (Iran)" in hesa["identifiers"]
    assert _entry(table, "48603")["countries"] == ["RUS"]  # nationality in the remarks, address Russia


def test_truncated_or_ragged_csv_is_named(shared_data, tmp_path):
    folder = tmp_path / "ofac"
    shutil.copytree(shared_data / "ofac" / "ofac_watchman_small", folder)
    sdn = folder / "sdn.csv"
    data = sdn.read_bytes()
    sdn.write_bytes(data[: data.index(b"GADDAFI") + 10])  # cut inside a quoted field
    with pytest.raises(InputError, match=r"sdn\.csv.*(malformed|truncated)"):
        read_ofac_csv(folder)
    sdn.write_bytes(data.replace(b'"SDNT",', b'"SDNT",-0- ,', 1))
    with pytest.raises(InputError, match=r"sdn\.csv, row 1: .*13 field"):
        read_ofac_csv(folder)
    sdn.write_bytes(data.replace(b"10278,", b"X10278,", 1))
    with pytest.raises(InputError, match=r"row 1, field 'ent_num'"):
        read_ofac_csv(folder)
    sdn.unlink()
    with pytest.raises(InputError, match="no sdn.csv"):
        read_ofac_csv(folder)


def test_classic_xml(shared_data):
    table = read_ofac_xml(shared_data / "ofac" / "ofac_consolidated_nonSDN_2024-05-06.xml")
    assert table.height == 443 and set(table["list"]) == {"OFAC-CONS"}
    vtb = _entry(table, "17013")
    assert vtb["name"] == "VTB BANK PUBLIC JOINT STOCK COMPANY" and "VTB BANK PJSC" in vtb["aliases"]
    assert {"SWIFT/BIC VTBRRUMM", "Tax ID No. 7702070139 (Russia)"} <= set(vtb["identifiers"])
    assert vtb["countries"] == ["RUS"] and vtb["programmes"] == ["UKRAINE-EO13662", "RUSSIA-EO14024"]
    haniya = _entry(table, "9639")
    assert haniya["name"] == "HANIYA, Ismail Abdul Salah" and haniya["entity_type"] == "individual"
    assert haniya["remarks"] == "DOB 1962; POB Shati"


def test_enhanced_xml(shared_data):
    table = read_ofac_xml(shared_data / "ofac" / "ofac_enhanced_xml_IRGC_subset_2024-08-28.xml")
    assert table.height == 293 and table["programmes"].list.contains("IRGC").all()
    atlas = _entry(table, "26527")
    assert atlas["identifiers"] == ["Business Registration Number 59784 (Iran)"]
    assert (atlas["listed_on"], atlas["countries"]) == (date(2019, 3, 26), ["IRN"])
    ground = _entry(table, "26719")
    assert ground["aliases"] == ["ISLAMIC REVOLUTION GUARDS CORPS GROUND FORCE"]
    assert ground["countries"] == ["IRN", "SYR"] and ground["programmes"] == ["FTO", "IRGC"]
    assert dict(table["entity_type"].value_counts().iter_rows()) == {
        "individual": 165,
        "entity": 84,
        "aircraft": 44,
    }


def test_truncated_xml_names_the_line(shared_data, tmp_path):
    source = (shared_data / "ofac" / "ofac_consolidated_nonSDN_2024-05-06.xml").read_text()
    cut = tmp_path / "cons.xml"
    cut.write_text(source[: len(source) // 2])
    with pytest.raises(InputError, match=r"cons\.xml, row \d+: malformed or truncated XML"):
        read_ofac_xml(cut)
    short = tmp_path / "short_cons.xml"
    start = source.index("<sdnEntry>")
    short.write_text(source[:start] + source[source.index("</sdnEntry>") + len("</sdnEntry>") :])
    with pytest.raises(InputError, match="Record_Count says 443 entries, the file holds 442"):
        read_ofac_xml(short)
