"""Each real flows layout, told by its content, read into flows: row counts, a value checked against the
file read independently with the csv module, the right freq, HS codes with their leading zeros,
country codes mapped to ISO3. Layouts without a real file are tested on a fixture in their shape."""

from __future__ import annotations

import csv
import gzip
import io
import json
from datetime import date
from pathlib import Path

import polars as pl
import pytest

from tradesentinel.errors import InputError
from tradesentinel.pipeline.clean import clean_flows
from tradesentinel.pipeline.sources.layouts import read_flows

REAL = "real"


def _rows(path: Path, encoding: str = "utf-8-sig") -> list[dict[str, str]]:
    """The file's records as the csv module reads them (gunzipped when needed)."""
    data = path.read_bytes()
    if data[:2] == b"\x1f\x8b":
        data = gzip.decompress(data)
    return list(csv.DictReader(io.StringIO(data.removeprefix(b"\xef\xbb\xbf").decode(encoding))))


def _clean(path: Path, **kwargs):
    raw = read_flows(path, **kwargs)
    return raw, clean_flows(raw.frame, file=str(path), source=raw.source, hs_version=raw.hs_version)


def _one(flows: pl.DataFrame, **key) -> dict:
    hit = flows.filter(*[pl.col(k) == v for k, v in key.items()])
    assert hit.height == 1, key
    return hit.row(0, named=True)


def test_old_comtradr_layout_with_a_bom_and_latin1_names(shared_data):
    path = shared_data / REAL / "armenia_comtrade_851713_smartphones_monthly_2022-01_2024-02_tvyal.csv"
    rows = _rows(path, "cp1252")
    raw, result = _clean(path)
    assert raw.layout == "comtradr-legacy" and result.n_rows == len(rows) == 286
    nes = [r for r in rows if r["partner_iso"] == "_X"]
    assert result.flows.height == 286 - len(nes) and result.quarantine["row"].n_unique() == len(nes)
    source = next(
        r
        for r in rows
        if (r["year"], r["month"], r["trade_code"], r["partner_iso"]) == ("2022", "1", "M", "CHN")
    )
    flow = _one(result.flows, period=date(2022, 1, 1), partner="CHN", flow="M")
    assert (flow["reporter"], flow["freq"], flow["hs_code"], flow["hs_version"]) == (
        "ARM",
        "M",
        "851713",
        None,
    )
    assert flow["value_usd"] == float(source["trade_value_us"]) and flow["net_weight_kg"] == float(
        source["netweight_kg"]
    )
    assert (flow["qty"], flow["qty_unit"], flow["weight_estimated"]) == (float(source["Qty"]), "u", False)
    curacao = next(r["_row"] for r in raw.frame.iter_rows(named=True) if r["partner"] == "CUW")
    assert rows[curacao - 1]["partner"] == "Curaçao"  # the Latin-1 name decoded, row numbers kept


def test_baci_units_codes_and_leading_zeros(shared_data):
    path = shared_data / REAL / "baci_hs92_2021_exporters_AFG_ZAF_sample.csv"
    rows = _rows(path)
    raw, result = _clean(path)
    assert raw.layout == "baci" and raw.hs_version == "H0" and result.n_rows == len(rows) == 71_192
    assert set(result.flows["reporter"]) == {"AFG", "ZAF"} and set(result.flows["freq"]) == {"A"}
    other_asia = sum(r["j"] == "490" for r in rows)  # Comtrade's "Other Asia, nes": quarantined
    assert result.flows.height == len(rows) - other_asia
    first = rows[0]
    flow = _one(result.flows, reporter="AFG", partner="AGO", hs_code=first["k"])
    assert flow["value_usd"] == pytest.approx(float(first["v"]) * 1000)  # thousand USD
    assert flow["net_weight_kg"] == pytest.approx(float(first["q"]) * 1000)  # tonnes
    assert (flow["period"], flow["flow"], flow["flow_code"]) == (date(2021, 1, 1), "X", "X")
    short = next(r for r in rows if len(r["k"]) == 5 and r["j"] != "490")
    partner = {"710": "ZAF", "4": "AFG"}.get(short["j"])
    padded = result.flows.filter(pl.col("hs_code") == "0" + short["k"])
    assert padded.height >= 1 and (partner is None or partner in padded["partner"].to_list())
    missing_q = sum(r["q"].strip() == "NA" for r in rows if r["j"] != "490")
    assert result.flows["net_weight_kg"].null_count() == missing_q


def test_legacy_api_gz_with_float_codes_and_estimation_flags(shared_data):
    path = shared_data / REAL / "comtrade_annual_hs440799_allreporters_2005_2014.csv.gz"
    rows = _rows(path)
    raw, result = _clean(path)
    assert raw.layout == "comtrade-legacy-api" and result.n_rows == len(rows) == 52_169
    assert set(result.flows["hs_code"]) == {"440799"} and set(result.flows["freq"]) == {"A"}
    assert set(result.flows["period"].dt.month()) == {1} and set(result.flows["period"].dt.day()) == {1}
    source = next(
        r
        for r in rows
        if (r["reporteriso"], r["partneriso"], r["year"], r["flow"]) == ("ALB", "WLD", "2009", "Import")
    )
    flow = _one(result.flows, reporter="ALB", partner="WLD", period=date(2009, 1, 1), flow="M")
    assert flow["value_usd"] == float(source["tradevalue"]) and flow["qty"] == float(source["quantity"])
    assert (flow["qty_unit"], flow["hs_version"]) == ("m³", source["classification"])
    flag = int(float(source["flag"]))
    assert (flow["qty_estimated"], flow["weight_estimated"]) == (bool(flag & 2), bool(flag & 4))
    quarantined = set(result.quarantine["row"])
    kept = [r for i, r in enumerate(rows, start=1) if i not in quarantined]
    assert result.flows["weight_estimated"].sum() == sum(int(float(r["flag"])) & 4 > 0 for r in kept)
    eu = sum(r["reporteriso"] == "EU2" for r in rows)
    reasons = result.quarantine.filter(pl.col("field") == "reporter")["reason"]
    assert reasons.str.contains("EU-28").sum() == eu  # a group, quarantined with what it is


def test_legacy_bulk_csv_with_m49_codes_and_mixed_levels(shared_data):
    path = shared_data / REAL / "comtrade_legacy_annual_2010_india_china_H3.csv"
    rows = [r for r in _rows(path) if r["Year"]]
    raw, result = _clean(path)
    assert raw.layout == "comtrade-legacy-bulk" and result.n_rows == len(rows) == 8_739
    totals = sum(r["Commodity Code"] == "TOTAL" for r in rows)
    assert result.flows.height == len(rows) - totals
    assert set(result.flows["reporter"]) == {"IND"} and set(result.flows["partner"]) == {"CHN"}
    assert set(result.flows["hs_code"].str.len_chars()) == {2, 4, 6} and set(result.flows["hs_version"]) == {
        "H3"
    }
    source = rows[0]
    flow = _one(result.flows, hs_code=source["Commodity Code"], flow="X")
    assert source["Commodity Code"].startswith("0") and flow["value_usd"] == float(source["Value"])
    assert (
        flow["net_weight_kg"] == float(source["Netweight (kg)"]) and flow["weight_estimated"] is True
    )  # code 4


def test_census_monthly_imports_groups_left_out_codes_mapped(shared_data):
    path = shared_data / REAL / "uscensus_hs6_imports_seafood_by_country_monthly_2018_2020.csv.gz"
    rows = _rows(path)
    detail = [r for r in rows if r["SUMMARY_LVL"] == "DET"]
    raw, result = _clean(path)
    assert raw.layout == "census" and len(rows) == 190_303
    traded = [r for r in detail if float(r["GEN_VAL_MO"]) != 0]
    assert result.flows.height == len(traded) and result.quarantine.height == 0
    assert any("96,012 country-group row(s)" in n for n in raw.notes)
    assert set(result.flows["freq"]) == {"M"} and set(result.flows["reporter"]) == {"USA"}
    assert {"CHN", "KOR", "MMR", "COD", "WLD"} <= set(result.flows["partner"])
    source = next(r for r in traded if r["CTY_NAME"] == "KOREA SOUTH")
    flow = _one(
        result.flows,
        partner="KOR",
        hs_code=source["I_COMMODITY"],
        period=date(int(source["YEAR"]), int(source["MONTH"]), 1),
    )
    assert flow["value_usd"] == float(source["GEN_VAL_MO"]) and flow["hs_code"].startswith("0")
    assert flow["hs_version"] == "H5"
    covered = float(source["AIR_VAL_MO"]) + float(source["VES_VAL_MO"]) >= float(source["GEN_VAL_MO"])
    weight = float(source["AIR_WGT_MO"]) + float(source["VES_WGT_MO"])
    if covered and weight > 0:
        assert flow["net_weight_kg"] == weight and flow["weight_estimated"] is True
    else:
        assert flow["net_weight_kg"] is None


def _plus_sample(shared_data: Path) -> pl.DataFrame:
    """The real Comtrade Plus sample with an HS code instead of its all-commodity total."""
    frame = pl.read_csv(
        shared_data / "comtrade" / "comtrade_usa_imports_2018_2023_sample.csv", infer_schema=False
    )
    return frame.with_columns(pl.lit("870323").alias("cmdCode"))


def test_comtrade_plus_camel_and_snake_case_give_the_same_flows(shared_data, tmp_path):
    camel = _plus_sample(shared_data)
    snake = camel.rename(
        {c: "".join(f"_{ch.lower()}" if ch.isupper() else ch for ch in c) for c in camel.columns}
    )
    assert "reporter_i_s_o" in snake.columns or "reporter_iso" in snake.columns
    snake = snake.rename({c: c.replace("i_s_o", "iso") for c in snake.columns})
    camel.write_csv(tmp_path / "camel.csv")
    snake.write_csv(tmp_path / "snake.csv")
    raw_camel, from_camel = _clean(tmp_path / "camel.csv")
    raw_snake, from_snake = _clean(tmp_path / "snake.csv")
    assert (raw_camel.layout, raw_snake.layout) == ("comtrade-plus", "comtrade-plus-snake")
    assert from_camel.flows.height == 20 and from_snake.flows.equals(from_camel.flows)


def test_comtrade_export_keyed_by_iso_codes_and_flow_words(tmp_path):
    path = tmp_path / "export.csv"
    path.write_text(
        "reporterISO,partnerISO,flowDesc,cmdCode,primaryValue,refYear,netWgt\n"
        "DEU,RUS,Export,854231,1000,2022,2\n"
        "DEU,W00,Import,854231,500,2022,\n"
        "DEU,S19,Domestic Export,854231,7,2022,\n"
    )
    raw, result = _clean(path)
    assert raw.layout == "comtrade-iso-words"
    assert result.flows.select("partner", "flow", "freq", "period").rows() == [
        ("RUS", "X", "A", date(2022, 1, 1)),
        ("WLD", "M", "A", date(2022, 1, 1)),
    ]
    assert "Other Asia, nes" in result.quarantine["reason"][0]


def test_a_monthly_comtrade_file_with_components_and_areas(tmp_path):
    """The issue's case: DX and FM rows fill in where the reporter publishes no total; totals win."""
    header = (
        "typeCode,freqCode,refYear,refMonth,period,reporterCode,reporterISO,flowCode,partnerCode,partnerISO,"
    )
    header += (
        "classificationCode,cmdCode,aggrLevel,netWgt,isNetWgtEstimated,qty,isQtyEstimated,primaryValue\n"
    )
    lines = [
        "C,M,2021,3,202103,36,AUS,DX,156,CHN,H6,10121,6,5,true,,false,100",  # 1: no X for AUS: DX stands
        "C,M,2021,3,202103,36,AUS,FM,156,CHN,H6,10121,6,,,,,80",  # 2: no M: FM stands
        "C,M,2021,3,202103,124,CAN,X,156,CHN,H6,10121,6,,,,,90",  # 3: total
        "C,M,2021,3,202103,124,CAN,DX,156,CHN,H6,10121,6,,,,,85",  # 4: superseded by row 3
        "C,M,2021,3,202103,124,CAN,X,490,S19,H6,10121,6,,,,,3",  # 5: Other Asia, nes
        "C,M,2021,3,202103,124,CAN,X,899,_X,H6,10121,6,,,,,4",  # 6: Areas, nes
    ]
    path = tmp_path / "monthly.csv"
    path.write_text(header + "\n".join(lines) + "\n")
    _, result = _clean(path)
    flows = result.flows.sort("reporter", "flow")
    assert flows.select("reporter", "flow", "flow_code", "hs_code", "freq").rows() == [
        ("AUS", "M", "FM", "010121", "M"),
        ("AUS", "X", "DX", "010121", "M"),
        ("CAN", "X", "X", "010121", "M"),
    ]
    assert flows["weight_estimated"].to_list() == [None, True, None]
    assert sorted(result.quarantine["row"]) == [4, 5, 6] and result.n_superseded == 1


def test_census_api_json_answer(tmp_path):
    answer = [
        ["CTY_CODE", "CTY_NAME", "GEN_VAL_MO", "MONTH", "YEAR", "I_COMMODITY", "SUMMARY_LVL"],
        ["5700", "CHINA", "1200", "03", "2023", "851713", "DET"],
        ["0003", "EUROPEAN UNION", "900", "03", "2023", "851713", "CGP"],
        ["9999", "NOWHERE LAND", "5", "03", "2023", "851713", "DET"],
    ]
    path = tmp_path / "census.json"
    path.write_text(json.dumps(answer))
    raw, result = _clean(path, family="census")
    assert raw.layout == "census" and result.flows.select("partner", "flow", "hs_version").rows() == [
        ("CHN", "M", "H6")
    ]
    assert result.quarantine["reason"].to_list() == [
        "Census country 'NOWHERE LAND' (code 9999) has no ISO 3166 code"
    ]


def test_compressed_files_and_repeated_headers(tmp_path):
    body = "period,reporter,partner,flow,hs_code,value_usd,net_weight_kg\n2021-01,USA,CHN,M,010121,5,1\n"
    joined = body + body.replace("2021-01", "2021-02")  # two files joined, header and all
    gz = tmp_path / "flows.csv.gz"
    gz.write_bytes(gzip.compress(joined.encode()))
    raw, result = _clean(gz)
    assert raw.layout == "import-csv" and result.flows.height == 2
    assert result.quarantine.select("row", "field").rows() == [(2, "row")]
    assert "the header row again" in result.quarantine["reason"][0]
    import zipfile

    zipped = tmp_path / "flows.zip"
    with zipfile.ZipFile(zipped, "w") as archive:
        archive.writestr("inside/flows.csv", body)
    assert _clean(zipped)[1].flows["hs_code"].to_list() == ["010121"]
    with zipfile.ZipFile(zipped, "w") as archive:
        archive.writestr("a.csv", body)
        archive.writestr("b.csv", body)
    with pytest.raises(InputError, match=r"the zip holds 2 files \(a.csv, b.csv\)"):
        read_flows(zipped)


def test_unknown_layouts_and_bad_files_name_what_was_seen(tmp_path):
    path = tmp_path / "mystery.csv"
    path.write_text("when,who,what\n2021,USA,1\n")
    with pytest.raises(InputError) as err:
        read_flows(path)
    message = str(err.value)
    assert "columns seen: when, who, what" in message and "comtrade-plus" in message and "baci" in message
    with pytest.raises(InputError, match="not a comtrade layout"):
        read_flows(tmp_path / "mystery.csv", family="comtrade")
    cut = tmp_path / "cut.csv.gz"
    whole = gzip.compress(b"t,i,j,k,v,q\n" + b"2021,4,24,382390,52.051,13.235\n" * 2000)
    cut.write_bytes(whole[: len(whole) // 2])
    with pytest.raises(InputError, match="truncated"):
        read_flows(cut)
    ragged = tmp_path / "ragged.csv"
    ragged.write_text("t,i,j,k,v,q\n2021,4,24,382390,52.051,13.235\n2021,4,24,3823")
    with pytest.raises(InputError, match="row 2: malformed or truncated: the row has 4 field"):
        read_flows(ragged)


def test_parquet_saved_by_a_client_and_a_trailing_separator(shared_data, tmp_path):
    frame = _plus_sample(shared_data)
    snake = frame.rename(
        {c: "".join(f"_{ch.lower()}" if ch.isupper() else ch for ch in c) for c in frame.columns}
    )
    snake.rename({c: c.replace("i_s_o", "iso") for c in snake.columns}).write_parquet(
        tmp_path / "saved.parquet"
    )
    raw, result = _clean(tmp_path / "saved.parquet")
    assert raw.layout == "comtrade-plus-snake" and result.flows.height == 20
    trailing = tmp_path / "trailing.csv"  # every data row ends in one more, empty, field than the header
    trailing.write_text("t,i,j,k,v,q\r\n2021,4,24,382390,52.051,13.235,\r\n2021,4,24,481890,0.041,NA,\r\n")
    raw, result = _clean(trailing)
    assert raw.layout == "baci" and result.flows["net_weight_kg"].to_list() == [13235.0, None]
