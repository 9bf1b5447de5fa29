"""UN Security Council list: people and entities, aliases, documents, countries; bad files named."""

from __future__ import annotations

from datetime import date

import polars as pl
import pytest

from tradesentinel.errors import InputError
from tradesentinel.pipeline.sources.un import read_un_xml
from tradesentinel.schema import SANCTIONS


def test_real_list_people_and_entities(shared_data):
    table = read_un_xml(shared_data / "un" / "un_consolidated_2026-02-27.xml")
    assert table.schema == pl.Schema(SANCTIONS) and table.height == 1003
    assert dict(table["entity_type"].value_counts().iter_rows()) == {"individual": 730, "entity": 273}
    assert table["listed_on"].null_count() == 0 and table["entry_id"].is_unique().all()
    rows = {r["entry_id"]: r for r in table.iter_rows(named=True)}
    badege = rows["6907993"]
    assert (badege["name"], badege["programmes"], badege["listed_on"]) == (
        "ERIC BADEGE",
        ["DRC"],
        date(2012, 12, 31),
    )
    assert badege["countries"] == ["RWA", "COD"] and badege["identifiers"] == ["UN reference CDi.001"]
    assert badege["remarks"].startswith("DOB 1971; He fled to Rwanda")
    adf = rows["6908402"]
    assert adf["entity_type"] == "entity" and adf["aliases"][:1] == ["Allied Democratic Forces"]
    assert adf["addresses"] == ["North Kivu, Democratic Republic of the Congo"]
    assert "Passport OB 0243318 (Democratic Republic of the Congo)" in rows["6908012"]["identifiers"]
    assert {"Al-Qaida", "DPRK", "Taliban", "Iran"} <= set(table["programmes"].explode())


def test_truncated_and_foreign_files(shared_data, tmp_path):
    text = (shared_data / "un" / "un_consolidated_2026-02-27.xml").read_text()
    cut = tmp_path / "un.xml"
    cut.write_text(text[: len(text) // 3])
    with pytest.raises(InputError, match=r"un\.xml, row \d+: malformed or truncated XML"):
        read_un_xml(cut)
    other = tmp_path / "other.xml"
    other.write_text("<sdnList><sdnEntry/></sdnList>")
    with pytest.raises(InputError, match="not the UN CONSOLIDATED_LIST"):
        read_un_xml(other)
