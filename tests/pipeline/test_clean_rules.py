"""The documented cleaning rules for real Comtrade data: totals win over their components (which fill
in only where the total is absent), special partners are quarantined with what they are, estimation
flags and HS editions are kept row by row."""

from __future__ import annotations

import polars as pl

from tradesentinel.pipeline.clean import clean_flows
from tradesentinel.reference import hs_version_note

COLUMNS = ("period", "reporter", "partner", "flow", "hs_code", "value_usd", "net_weight_kg")


def _raw(rows: list[tuple], **extra: list) -> pl.DataFrame:
    frame = pl.DataFrame([dict(zip(COLUMNS, map(str, r), strict=True)) for r in rows])
    return frame.with_columns(pl.Series(k, v, dtype=pl.String) for k, v in extra.items())


def _reasons(result) -> dict[int, str]:
    return {r["row"]: r["reason"] for r in result.quarantine.iter_rows(named=True)}


def test_totals_win_components_fill_in_and_keep_their_code():
    rows = [
        ("2021-01", "DEU", "FRA", "DX", "851712", 90, 1),  # 1: component listed before its total
        ("2021-01", "DEU", "FRA", "X", "851712", 100, 1),  # 2: total: wins
        ("2021-01", "DEU", "ITA", "XIP", "851712", 20, 1),  # 3: processing flow: loses to DX
        ("2021-01", "DEU", "ITA", "DX", "851712", 50, 1),  # 4: no total: DX stands for X
        ("2021-01", "DEU", "ESP", "FM", "851712", 30, 1),  # 5: no total: FM stands for M
        ("2021-01", "DEU", "ESP", "MOP", "851712", 3, 1),  # 6: loses to FM
        ("2021-01", "DEU", "ESP", "RX", "851712", 5, 1),  # 7: a re-export is its own flow
        ("2021-01", "DEU", "POL", "Domestic Export", "851712", 7, 1),  # 8: the word for DX
        ("2021-01", "DEU", "POL", "M", "851712", 8, 1),  # 9
        ("2021-01", "DEU", "POL", "Import of goods for inward processing", "851712", 1, 1),  # 10: loses to M
        ("2021-01", "DEU", "FRA", "X", "851712", 100, 1),  # 11: a plain repeat of row 2
    ]
    result = clean_flows(_raw(rows), file="gen", source="comtrade")
    flows = result.flows.sort("partner", "flow")
    assert flows.select("partner", "flow", "flow_code", "value_usd").rows() == [
        ("ESP", "M", "FM", 30.0),
        ("ESP", "RX", "RX", 5.0),
        ("FRA", "X", "X", 100.0),
        ("ITA", "X", "DX", 50.0),
        ("POL", "M", "M", 8.0),
        ("POL", "X", "DX", 7.0),
    ]
    assert flows["flow_id"].n_unique() == flows.height  # no flow counted twice
    reasons = _reasons(result)
    assert sorted(reasons) == [1, 3, 6, 10, 11]
    assert reasons[1].startswith("flow DX not used: row 2 has X for the same period/reporter/partner/hs_code")
    assert reasons[3].startswith("flow XIP not used: row 4 has DX")
    assert reasons[6].startswith("flow MOP not used: row 5 has FM")
    assert reasons[10].startswith("flow MIP not used: row 9 has M")
    assert reasons[11] == "duplicate key: same period/reporter/partner/flow/hs_code as row 2"
    assert result.quarantine.filter(pl.col("row") == 1)["field"].to_list() == ["flow"]
    assert result.n_superseded == 4


def test_special_partners_are_quarantined_with_what_they_are_and_world_is_kept():
    rows = [
        ("2021", "DEU", "WLD", "X", "851712", 100, 1),  # 1: the world total: kept as context
        ("2021", "DEU", "S19", "X", "851712", 10, 1),  # 2: Other Asia, nes
        ("2021", "DEU", "_X", "X", "851712", 10, 1),  # 3: Areas, nes
        ("2021", "DEU", "X1", "X", "851712", 10, 1),  # 4: bunkers
        ("2021", "DEU", "X2", "M", "851712", 10, 1),  # 5: free zones
        ("2021", "DEU", "XX", "M", "851712", 10, 1),  # 6: special categories
        ("2021", "DEU", "DEU", "M", "851712", 10, 1),  # 7: re-import from itself
        ("2021", "DEU", "899", "M", "851712", 10, 1),  # 8: Areas, nes by its numeric code
        ("2021", "DEU", "E19", "M", "851712", 10, 1),  # 9: Other Europe, nes
    ]
    result = clean_flows(_raw(rows), file="gen", source="comtrade")
    assert result.flows.select("partner", "freq").rows() == [("WLD", "A")]
    reasons = _reasons(result)
    assert sorted(reasons) == list(range(2, 10))  # nothing dropped silently
    assert "Comtrade area S19 (490) 'Other Asia, nes'" in reasons[2]
    assert "'Areas, nes'" in reasons[3] and "'Areas, nes'" in reasons[8]
    assert "'Bunkers': fuel and stores supplied to ships" in reasons[4]
    assert "'Free Zones'" in reasons[5] and "'Special Categories'" in reasons[6]
    assert reasons[7].startswith("reporter equals partner 'DEU': trade of a country with itself")
    assert "'Other Europe, nes'" in reasons[9]


def test_estimation_flags_and_hs_editions_are_kept_per_row():
    rows = [("2010", "IND", "CHN", "M", f"85171{i}", 100, 5) for i in range(5)]
    raw = _raw(
        rows,
        weight_estimated=["true", "False", "1", "", None],
        qty_estimated=["0", "TRUE", "maybe", "", None],
        hs_version=["H3", "HS92", "", "HS 2022", "S4"],
    )
    result = clean_flows(raw, file="gen", source="comtrade", hs_version="H5")
    flows = result.flows.sort("hs_code")
    assert flows["weight_estimated"].to_list() == [True, False, True, None]
    assert flows["qty_estimated"].to_list() == [False, True, None, None]
    assert flows["hs_version"].to_list() == ["H3", "H0", "H5", "H6"]
    assert _reasons(result) == {5: "classification 'S4' is not HS: the flows table holds HS codes"}


def test_import_csv_rows_say_nothing_about_estimates():
    result = clean_flows(_raw([("2021-01", "USA", "CHN", "export", "851712", 100, "")]), file="gen")
    row = result.flows.row(0, named=True)
    assert (row["flow"], row["flow_code"], row["weight_estimated"], row["hs_version"]) == (
        "X",
        "X",
        None,
        "H6",
    )


def test_hs_version_note_states_the_limit_of_older_editions():
    assert hs_version_note("H3") == (
        "HS 2007 code, described with the HS 2022 code of the same digits "
        "(no concordance applied: the goods it covers may differ)"
    )
    assert hs_version_note("HS92").startswith("HS 1992 code")
    assert (
        hs_version_note("H6") is None and hs_version_note("HS2022") is None and hs_version_note(None) is None
    )
