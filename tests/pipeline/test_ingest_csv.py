"""Reading the import CSV: good rows become canonical flows, bad rows land in quarantine with a reason."""

from __future__ import annotations

from datetime import date

import polars as pl
import pytest

from tradesentinel.errors import InputError
from tradesentinel.pipeline.clean import clean_flows
from tradesentinel.pipeline.ids import flow_id
from tradesentinel.pipeline.sources.csv import read_import_csv
from tradesentinel.schema import FLOWS, QUARANTINE

HEADER = "period,reporter,partner,flow,hs_code,value_usd,net_weight_kg\n"


def _clean(tmp_path, body: str, header: str = HEADER, name: str = "in.csv"):
    path = tmp_path / name
    path.write_text(header + body)
    return clean_flows(read_import_csv(path), file=str(path))


def _reasons(result) -> dict[tuple[int, str], str]:
    return {(r["row"], r["field"]): r["reason"] for r in result.quarantine.iter_rows(named=True)}


def test_good_rows_become_canonical_flows(tmp_path):
    result = _clean(tmp_path, "2021-03,USA,CHN,M,085423,1500.5,12\n2021,deu,fra,Export,8703,1e6,\n")
    assert result.flows.schema == pl.Schema(FLOWS) and result.quarantine.height == 0 and result.n_rows == 2
    first, second = result.flows.row(0, named=True), result.flows.row(1, named=True)
    assert (first["period"], first["freq"], first["hs_code"], first["value_usd"]) == (
        date(2021, 3, 1),
        "M",
        "085423",
        1500.5,
    )
    assert first["flow_id"] == flow_id("2021-03", "USA", "CHN", "M", "085423")
    assert (second["period"], second["freq"], second["reporter"], second["flow"]) == (
        date(2021, 1, 1),
        "A",
        "DEU",
        "X",
    )
    assert second["net_weight_kg"] is None


def test_bom_crlf_mixed_case_headers_and_dotted_hs_codes(tmp_path):
    path = tmp_path / "excel.csv"
    path.write_bytes("\ufeffPeriod , REPORTER,Partner,FLOW,HS_Code,Value_USD,Net_Weight_KG,extra\r\n"
                     "202105,USA,MEX,M,8703.23,10,2,x\r\n".encode())  # fmt: skip
    result = clean_flows(read_import_csv(path), file=str(path))
    assert result.flows["hs_code"].to_list() == ["870323"]
    assert result.flows["period"].to_list() == [date(2021, 5, 1)]


@pytest.mark.parametrize(
    ("line", "field", "needle"),
    [
        ("2021-01,USA,XYZ,M,851712,100,1", "partner", "unknown country code 'XYZ'"),
        ("2021-01,USA,CHN,M,851712,-5,1", "value_usd", "negative value_usd -5"),
        ("2021-13,USA,CHN,M,851712,100,1", "period", "unparsable period '2021-13'"),
        ("Jan 2021,USA,CHN,M,851712,100,1", "period", "unparsable period 'Jan 2021'"),
        ("2021-01,USA,CHN,M,85171,100,1", "hs_code", "has 5 digits: a leading zero may have been dropped"),
        ("2021-01,USA,CHN,M,abc,100,1", "hs_code", "HS code 'abc' is not numeric"),
        ("2021-01,USA,CHN,Q,851712,100,1", "flow", "unknown flow code 'Q'"),
        ('2021-01,USA,CHN,M,851712,"1,234",1', "value_usd", "contains a comma"),
        ("2021-01,USA,CHN,M,851712,100,-2", "net_weight_kg", "negative net_weight_kg -2"),
        ("2021-01,USA,USA,M,851712,100,1", "partner", "reporter equals partner 'USA'"),
        ("2021-01,USA,CHN,M,851712,,1", "value_usd", "missing value_usd"),
        ("2021-01,USA,CHN,M,851712,0,1", "value_usd", "zero value_usd"),
    ],
)
def test_a_bad_row_is_quarantined_with_row_field_and_reason(tmp_path, line, field, needle):
    result = _clean(tmp_path, f"2021-01,USA,CHN,X,851712,100,1\n{line}\n2021-02,USA,CHN,X,851712,100,1\n")
    assert result.flows.height == 2  # the good rows still come through
    reasons = _reasons(result)
    assert list(reasons) == [(2, field)]
    assert needle in reasons[(2, field)]
    quarantined = result.quarantine.row(0, named=True)
    assert quarantined["file"].endswith("in.csv") and quarantined["raw"].startswith("{")
    assert result.quarantine.schema == pl.Schema(QUARANTINE)


def test_a_row_with_several_problems_lists_each(tmp_path):
    result = _clean(tmp_path, "2021-13,USA,XYZ,M,851712,-1,1\n")
    assert set(_reasons(result)) == {(1, "period"), (1, "partner"), (1, "value_usd")}
    assert result.flows.height == 0


def test_duplicate_keys_keep_the_first_row(tmp_path):
    result = _clean(tmp_path, "2021-01,USA,CHN,M,851712,100,1\n2021-01,usa,CHN,Import,851712,200,1\n")
    assert result.flows["value_usd"].to_list() == [100.0]
    assert "same period/reporter/partner/flow/hs_code as row 1" in _reasons(result)[(2, "key")]


def test_zero_weight_means_not_reported(tmp_path):
    result = _clean(tmp_path, "2021-01,USA,CHN,M,851712,100,0\n")
    assert result.flows["net_weight_kg"].to_list() == [None] and result.quarantine.height == 0


def test_missing_columns_are_all_named(tmp_path):
    path = tmp_path / "short.csv"
    path.write_text("period,reporter,flow,hs_code\n2021-01,USA,M,8517\n")
    with pytest.raises(InputError) as err:
        read_import_csv(path)
    message = str(err.value)
    assert "short.csv" in message and all(c in message for c in ("partner", "value_usd", "net_weight_kg"))


def test_ragged_file_names_the_row(tmp_path):
    path = tmp_path / "ragged.csv"
    path.write_text(HEADER + "2021-01,USA,CHN,M,851712,100,1\n2021-02,USA,CHN,M,851712,100,1,oops\n")
    with pytest.raises(InputError, match=r"ragged.csv, row 2: malformed CSV"):
        read_import_csv(path)


def test_empty_and_missing_files(tmp_path):
    empty = tmp_path / "empty.csv"
    empty.write_text("")
    with pytest.raises(InputError, match="empty.csv: the file is empty"):
        read_import_csv(empty)
    header_only = tmp_path / "header.csv"
    header_only.write_text(HEADER)
    with pytest.raises(InputError, match="no data rows"):
        read_import_csv(header_only)
    with pytest.raises(InputError, match="file not found"):
        read_import_csv(tmp_path / "nope.csv")
