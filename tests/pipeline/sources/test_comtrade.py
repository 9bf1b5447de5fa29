"""Comtrade records to import rows: ISO3 from codes that are not ISO numeric, world, periods, nulls."""

from __future__ import annotations

import json
from datetime import date

import polars as pl
import pytest

from tradesentinel.errors import InputError
from tradesentinel.pipeline.clean import clean_flows
from tradesentinel.pipeline.sources.comtrade import raw_flows, records_frame
from tradesentinel.pipeline.sources.layouts import read_flows


def read_comtrade_file(path):
    return read_flows(path, family="comtrade").frame


def test_real_api_json_gives_iso3_and_values(shared_data):
    raw = read_comtrade_file(shared_data / "comtrade" / "api_v1_get_C_A_HS_CHN_imports_2010.json")
    assert raw.select("period", "reporter", "partner", "flow", "hs_code", "hs_version").rows() == [
        ("2010", "CHN", "ARG", "M", "TOTAL", "H3"),
        ("2010", "CHN", "DEU", "M", "TOTAL", "H3"),
        ("2010", "CHN", "ARG", "X", "TOTAL", "H3"),
        ("2010", "CHN", "DEU", "X", "TOTAL", "H3"),
    ]
    assert raw["value_usd"][0] == "6804128143.0" and raw["net_weight_kg"][0] == ""  # null netWgt
    preview = read_comtrade_file(shared_data / "comtrade" / "preview_v1_IND_X_USA_2022_TOTAL.json")
    assert preview.row(0, named=True) | {"_row": 1} == {
        "_row": 1,
        "period": "2022",
        "reporter": "IND",
        "partner": "USA",
        "flow": "X",
        "hs_code": "TOTAL",
        "value_usd": "80230193279.727",
        "net_weight_kg": "0",
        "qty": "0",
        "qty_unit": None,
        "hs_version": "H6",  # classificationCode
        "weight_estimated": "True",  # isNetWgtEstimated
        "qty_estimated": "False",
        "reject": None,
    }


def test_codes_without_iso_fields_world_months_and_aggregates():
    base = {
        "typeCode": "C",
        "flowCode": "M",
        "classificationCode": "H6",
        "cmdCode": "270900",
        "PrimaryValue": 1000.0,
        "netWgt": 5.0,
        "qty": None,
        "qtyUnitAbbr": "N/A",
    }
    records = [
        {
            **base,
            "freqCode": "M",
            "refYear": 2023,
            "refMonth": 3,
            "period": "202303",
            "reporterCode": 757,
            "partnerCode": 0,
        },
        {
            **base,
            "freqCode": "A",
            "refYear": 2022,
            "refMonth": 52,
            "period": "2022",
            "reporterCode": 579,
            "partnerCode": 251,
        },
        {
            **base,
            "freqCode": "A",
            "refYear": 2022,
            "refMonth": 52,
            "period": "2022",
            "reporterCode": 699,
            "partnerCode": 490,
        },
        {
            **base,
            "freqCode": "A",
            "refYear": 2022,
            "refMonth": 52,
            "period": "2022",
            "reporterCode": 842,
            "partnerCode": 156,
            "PrimaryValue": None,
            "cifValue": 7.5,
            "netWgt": 0,
        },
    ]
    raw = raw_flows(records_frame(records))
    assert raw.select("reporter", "partner", "period").rows() == [
        ("CHE", "WLD", "202303"),
        ("NOR", "FRA", "2022"),
        ("IND", "490", "2022"),
        ("USA", "CHN", "2022"),
    ]
    result = clean_flows(raw.drop("hs_version"), file="records", source="comtrade")
    rows = (
        result.flows.sort("reporter")
        .select("reporter", "period", "freq", "value_usd", "net_weight_kg")
        .rows()
    )
    assert rows == [
        ("CHE", date(2023, 3, 1), "M", 1000.0, 5.0),
        ("NOR", date(2022, 1, 1), "A", 1000.0, 5.0),
        ("USA", date(2022, 1, 1), "A", 7.5, None),
    ]
    assert result.quarantine.select("row", "field").rows() == [(3, "partner")]  # 490 "Other Asia, nes"


def test_bad_files(tmp_path):
    path = tmp_path / "error.json"
    path.write_text(
        json.dumps({"elapsedTime": "0.1 secs", "count": 0, "data": None, "error": "Invalid period"})
    )
    with pytest.raises(InputError, match="Comtrade API reported an error: Invalid period"):
        read_comtrade_file(path)
    path.write_text(json.dumps({"count": 1, "data": [{"reporterCode": 842}]}))
    with pytest.raises(InputError, match="missing field.*partnercode"):
        read_comtrade_file(path)
    gz = tmp_path / "bulk.txt.gz"
    gz.write_bytes(b"\x1f\x8b\x08\x00garbage")
    with pytest.raises(InputError, match="truncated download"):
        read_comtrade_file(gz)
    assert records_frame([]).height == 0 and isinstance(records_frame([]), pl.DataFrame)


def test_own_code_table_agrees_with_comtrades_reference(shared_data):
    """Every reporter and partner code Comtrade maps to a country maps to the same ISO3 here
    (Kosovo: XKX where Comtrade writes _KS; world: WLD), without shipping the reference files."""
    from tradesentinel.pipeline.sources.comtrade_codes import code_to_iso3
    from tradesentinel.reference import valid_iso3

    table, valid = code_to_iso3(), valid_iso3()
    for name in ("reporter", "partner"):
        reference = pl.read_csv(shared_data / "comtrade" / f"comtrade_ref_{name}.csv", infer_schema=False)
        for code, iso in reference.select(
            pl.col("id").cast(pl.Float64).cast(pl.Int64).cast(pl.String), pl.col("iso_3").str.strip_chars()
        ).rows():
            expected = {"412": "XKX", "0": "WLD"}.get(code, iso if iso in valid else None)
            assert table.get(code) == expected, (name, code, iso)


def test_query_codes_are_comtrades():
    from tradesentinel.pipeline.sources.comtrade_codes import iso3_to_code

    codes = iso3_to_code()
    assert [codes[c] for c in ("USA", "IND", "FRA", "NOR", "CHE", "DEU", "PAK", "BEL", "CHN")] == [
        "842",
        "699",
        "251",
        "579",
        "757",
        "276",
        "586",
        "56",
        "156",
    ]
