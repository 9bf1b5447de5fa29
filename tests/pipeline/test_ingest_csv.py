"""Reading the import CSV: good rows become canonical flows, bad rows land in quarantine with a reason."""

from __future__ import annotations

import json
import time
from datetime import UTC, date, datetime

import polars as pl
import pytest

from tradesentinel.errors import InputError
from tradesentinel.pipeline.clean import clean_flows
from tradesentinel.pipeline.ids import flow_id
from tradesentinel.pipeline.sources.csv import read_import_csv
from tradesentinel.schema import FLOWS, QUARANTINE

HEADER = "period,reporter,partner,flow,hs_code,value_usd,net_weight_kg\n"
GOOD = "2021-01,USA,CHN,X,851712,100,1\n"


def _clean(tmp_path, body: str, header: str = HEADER, name: str = "in.csv"):
    path = tmp_path / name
    path.write_text(header + body)
    return clean_flows(read_import_csv(path), file=str(path))


def _reasons(result) -> dict[tuple[int, str], str]:
    return {(r["row"], r["field"]): r["reason"] for r in result.quarantine.iter_rows(named=True)}


def _input_error(tmp_path, content: str | bytes, name: str = "in.csv") -> str:
    path = tmp_path / name
    path.write_bytes(content.encode() if isinstance(content, str) else content)
    with pytest.raises(InputError) as err:
        read_import_csv(path)
    assert name in str(err.value)
    return str(err.value)


def test_good_rows_become_canonical_flows(tmp_path):
    result = _clean(tmp_path, "2021-03,USA,CHN,M,085423,1500.5,12\n2021,deu,fra,Export,8703,1e6,\n")
    assert result.flows.schema == pl.Schema(FLOWS) and result.quarantine.height == 0 and result.n_rows == 2
    first, second = result.flows.row(0, named=True), result.flows.row(1, named=True)
    assert (first["period"], first["freq"], first["hs_code"], first["value_usd"], first["net_weight_kg"]) == (
        date(2021, 3, 1),
        "M",
        "085423",
        1500.5,
        12.0,
    )
    assert (first["source"], first["hs_version"]) == ("csv", "H6")
    assert first["flow_id"] == flow_id("2021-03", "USA", "CHN", "M", "085423")
    assert (second["period"], second["freq"], second["reporter"], second["flow"]) == (
        date(2021, 1, 1),
        "A",
        "DEU",
        "X",
    )
    assert second["net_weight_kg"] is None


def test_comtrade_periods_word_flows_and_quantities(tmp_path):
    header = HEADER.strip() + ",qty,qty_unit\n"
    body = "202105,USA,MEX,re-export,8703.23,10,2,5, u \n202106,USA,MEX,Re-Import,870323,10,0,0,u\n"
    rows = _clean(tmp_path, body, header).flows.rows(named=True)
    assert [(r["period"], r["flow"], r["hs_code"]) for r in rows] == [
        (date(2021, 5, 1), "RX", "870323"),
        (date(2021, 6, 1), "RM", "870323"),
    ]
    assert [(r["qty"], r["qty_unit"], r["net_weight_kg"]) for r in rows] == [
        (5.0, "u", 2.0),
        (None, None, None),
    ]


def test_bom_crlf_mixed_case_headers_and_extra_columns(tmp_path):
    path = tmp_path / "excel.csv"
    path.write_bytes(
        "\ufeffPeriod , REPORTER,Partner,FLOW,HS_Code,Value_USD,Net_Weight_KG,Note\r\n"
        "2021-05,USA,MEX,M,8703.23,10,2,x\r\n2021-05,USA,XYZ,M,870323,10,2,see me\r\n".encode()
    )
    result = clean_flows(read_import_csv(path), file=str(path))
    assert result.flows["hs_code"].to_list() == ["870323"] and "note" not in result.flows.columns
    assert json.loads(result.quarantine["raw"][0]) == {
        "period": "2021-05",
        "reporter": "USA",
        "partner": "XYZ",
        "flow": "M",
        "hs_code": "870323",
        "value_usd": "10",
        "net_weight_kg": "2",
        "note": "see me",
    }


@pytest.mark.parametrize(
    ("line", "field", "needle"),
    [
        ("2021-01,USA,XYZ,M,851712,100,1", "partner", "unknown country code 'XYZ'"),
        ("2021-01,EUR,CHN,M,851712,100,1", "reporter", "'European Union': a group of countries"),
        ("2021-01,WLD,CHN,M,851712,100,1", "reporter", "WLD (world) can be a partner, not a reporter"),
        ("2021-01,USA,CHN,M,851712,-5,1", "value_usd", "negative value_usd -5"),
        ("2021-13,USA,CHN,M,851712,100,1", "period", "unparsable period '2021-13'"),
        ("Jan 2021,USA,CHN,M,851712,100,1", "period", "unparsable period 'Jan 2021'"),
        ("1949-01,USA,CHN,M,851712,100,1", "period", "period '1949-01' is before 1950"),
        ("2999-01,USA,CHN,M,851712,100,1", "period", "period '2999-01' is in the future"),
        ("2021-01,USA,CHN,M,85171,100,1", "hs_code", "HS code '85171' has 5 digits: a leading zero may have"),
        ("2021-01,USA,CHN,M,85171200,100,1", "hs_code", "national tariff lines are not supported"),
        ("2021-01,USA,CHN,M,abc,100,1", "hs_code", "HS code 'abc' is not numeric"),
        ("2021-01,USA,CHN,Q,851712,100,1", "flow", "unknown flow code 'Q'"),
        ('2021-01,USA,CHN,M,851712,"1,234",1', "value_usd", "value_usd '1,234' contains a comma"),
        ("2021-01,USA,CHN,M,851712,inf,1", "value_usd", "value_usd 'inf' is not a finite number"),
        ("2021-01,USA,CHN,M,851712,100,-2", "net_weight_kg", "negative net_weight_kg -2"),
        ("2021-01,USA,CHN,M,851712,100,n/a", "net_weight_kg", "net_weight_kg 'n/a' is not a number"),
        ("2021-01,USA,USA,M,851712,100,1", "partner", "reporter equals partner 'USA'"),
        ("2021-01,USA,CHN,M,851712,,1", "value_usd", "missing value_usd"),
        ("2021-01,USA,CHN,M,851712,0,1", "value_usd", "zero value_usd"),
    ],
)
def test_a_bad_row_is_quarantined_with_row_field_and_reason(tmp_path, line, field, needle):
    result = _clean(tmp_path, f"{GOOD}{line}\n2021-02,USA,CHN,X,851712,100,1\n")
    assert result.flows.height == 2  # the good rows still come through
    reasons = _reasons(result)
    assert list(reasons) == [(2, field)]
    assert needle in reasons[(2, field)]
    quarantined = result.quarantine.row(0, named=True)
    assert (
        quarantined["file"].endswith("in.csv")
        and json.loads(quarantined["raw"])["period"] == line.split(",")[0]
    )
    assert quarantined["ingested_at"] <= datetime.now(UTC)
    assert result.quarantine.schema == pl.Schema(QUARANTINE)


def test_former_countries_and_world_partner_are_accepted(tmp_path):
    result = _clean(
        tmp_path, "1989-01,SUN,DDR,X,2709,100,1\n2021-01,USA,WLD,M,2709,100,1\n2021-01,XKX,ALB,X,2709,1,\n"
    )
    assert result.quarantine.height == 0 and result.flows["partner"].to_list() == ["DDR", "WLD", "ALB"]


def test_a_row_with_several_problems_lists_each(tmp_path):
    result = _clean(tmp_path, "2021-13,USA,XYZ,M,851712,-1,1\n")
    assert list(_reasons(result)) == [(1, "period"), (1, "partner"), (1, "value_usd")]
    assert result.flows.height == 0 and result.n_rows == 1


def test_duplicate_keys_keep_the_first_valid_row(tmp_path):
    body = "2021-01,USA,CHN,M,851712,100,1\n2021-01,usa,CHN,Import,8517.12,200,1\n"
    body += "2021-02,USA,CHN,M,851712,-1,1\n2021-02,USA,CHN,M,851712,300,1\n"  # the first is invalid
    result = _clean(tmp_path, body)
    assert result.flows["value_usd"].to_list() == [100.0, 300.0]
    reasons = _reasons(result)
    assert list(reasons) == [(2, "key"), (3, "value_usd")]
    assert reasons[(2, "key")] == "duplicate key: same period/reporter/partner/flow/hs_code as row 1"


def test_zero_weight_means_not_reported(tmp_path):
    result = _clean(tmp_path, "2021-01,USA,CHN,M,851712,100,0\n")
    assert result.flows["net_weight_kg"].to_list() == [None] and result.quarantine.height == 0


def test_blank_lines_are_skipped_and_row_numbers_still_match_the_file(tmp_path):
    result = _clean(tmp_path, f"{GOOD}\n\n2021-01,USA,XYZ,M,851712,100,1\n\n")
    assert list(_reasons(result)) == [(4, "partner")] and result.n_rows == 2


def test_clean_flows_accepts_a_frame_without_row_numbers():
    raw = pl.DataFrame(
        {
            "period": ["2021-01", "2021-02"],
            "reporter": ["USA", "USA"],
            "partner": ["CHN", "XX"],
            "flow": ["M", "M"],
            "hs_code": ["01", "01"],
            "value_usd": ["5", "5"],
            "net_weight_kg": [None, None],
        }
    )
    result = clean_flows(raw, file="frame")
    assert result.flows.height == 1 and result.quarantine["row"].to_list() == [2]


def test_missing_columns_are_all_named(tmp_path):
    message = _input_error(tmp_path, "period,reporter,flow,hs_code\n2021-01,USA,M,8517\n", "short.csv")
    assert all(c in message for c in ("partner", "value_usd", "net_weight_kg"))
    assert "reporter" not in message.split(":", 1)[1]


@pytest.mark.parametrize(
    ("content", "needle"),
    [
        (
            HEADER + GOOD + "2021-02,USA,CHN,M,851712,100,1,oops\n",
            "row 2: malformed CSV: the row has 8 field(s)",
        ),
        (HEADER + GOOD + "2021-02,USA,CHN,M,851712\n", "row 2: malformed CSV: the row has 5 field(s)"),
        (HEADER + GOOD + '2021-02,USA,CHN,M,"851712,100,1\n' + GOOD, "row 2: malformed CSV"),
        ("period;reporter;partner;flow;hs_code;value_usd;net_weight_kg\n", "separated by semicolons"),
        (
            "period,reporter,Period,partner,flow,hs_code,value_usd,net_weight_kg\n",
            "duplicate column(s): period",
        ),
    ],
)
def test_malformed_files_name_the_file_and_row(tmp_path, content, needle):
    assert needle in _input_error(tmp_path, content, "ragged.csv")


def test_quoted_newlines_and_windows_1252_files_are_read(tmp_path):
    path = tmp_path / "excel.csv"
    path.write_bytes(
        (HEADER.strip() + ",note\n" + GOOD.strip() + ',"two\nlines"\n' + GOOD.strip() + ",caf\xe9\n").encode(
            "cp1252"
        )
    )
    raw = read_import_csv(path)
    assert raw["note"].to_list() == ["two\nlines", "café"] and raw["_row"].to_list() == [1, 2]


def test_empty_header_only_and_missing_files(tmp_path):
    assert "the file is empty" in _input_error(tmp_path, "", "empty.csv")
    assert "the file is empty" in _input_error(tmp_path, b"\xef\xbb\xbf\r\n", "bom.csv")
    assert "no data rows" in _input_error(tmp_path, HEADER, "header.csv")
    assert "no data rows" in _input_error(tmp_path, HEADER + "\n\n", "blank.csv")
    with pytest.raises(InputError, match="nope.csv: file not found"):
        read_import_csv(tmp_path / "nope.csv")
    with pytest.raises(InputError, match="not a regular file"):
        read_import_csv(tmp_path)


def test_a_million_rows_read_and_clean_in_seconds(tmp_path):
    n = 1_000_000
    frame = pl.DataFrame({"i": range(n)}).select(
        period=pl.format(
            "{}-{}", 2000 + pl.col("i") % 20, (pl.col("i") // 20 % 12 + 1).cast(pl.String).str.zfill(2)
        ),
        reporter=pl.lit("USA"),
        partner=pl.lit("CHN"),
        flow=pl.lit("M"),
        hs_code=(pl.col("i") // 240 + 100000).cast(pl.String),
        value_usd=pl.lit("12.5"),
        net_weight_kg=pl.lit(""),
    )
    path = tmp_path / "big.csv"
    frame.write_csv(path)
    start = time.perf_counter()
    result = clean_flows(read_import_csv(path), file=str(path))
    assert result.flows.height == n and time.perf_counter() - start < 15


def test_an_annual_total_and_its_january_are_different_flows(tmp_path):
    result = _clean(tmp_path, "2021,USA,CHN,M,851712,1200,10\n2021-01,USA,CHN,M,851712,100,1\n")
    assert result.flows.height == 2 and result.quarantine.height == 0
    ids = dict(zip(result.flows["freq"], result.flows["flow_id"], strict=True))
    assert ids["A"] != ids["M"]
    assert ids["A"] == flow_id("2021", "USA", "CHN", "M", "851712")
    assert ids["M"] == flow_id("2021-01", "USA", "CHN", "M", "851712")
