"""The feature table: hand-checked cases a user would verify, and agreement with a pandas reference."""

from __future__ import annotations

import math

import numpy as np
import polars as pl
import pytest

from tests.pipeline.feature_tables import RATIO, assert_matches_reference, features_of, flows_table, row_of
from tradesentinel.pipeline.features import CANONICAL_ORDER
from tradesentinel.schema import FEATURE_COLUMNS, FEATURES, conform


def _row(
    features: pl.DataFrame, month: int, reporter: str, partner: str, flow: str = "M", hs: str = ""
) -> dict:
    """The one monthly feature row of that flow (`month`: index from 2020-01)."""
    return row_of(features, month, reporter, partner, flow, freq="M", hs=hs)


def test_output_has_every_feature_column_with_its_type_and_keeps_rows():
    flows = flows_table([(m, "USA", "CHN", "M", "851712", 100 + m, 10) for m in range(30)])
    out = features_of(flows)
    assert out.schema == pl.Schema(FEATURES)
    assert out["flow_id"].to_list() == flows["flow_id"].to_list()


def test_unit_value_and_logs_with_missing_weight():
    out = features_of(
        flows_table([(0, "USA", "CHN", "M", "851712", 500, 20), (1, "USA", "CHN", "M", "851712", 500, None)])
    )
    assert out["unit_value"].to_list() == [25.0, None]
    assert out["log_value"][0] == pytest.approx(math.log(500))
    assert out["log_unit_value"][1] is None


def test_yoy_growth_needs_the_same_month_a_year_earlier():
    rows = [(m, "DEU", "FRA", "X", "870323", 1000 * (2 if m >= 12 else 1), 10) for m in range(24) if m != 3]
    out = features_of(flows_table(rows))
    assert _row(out, 14, "DEU", "FRA", "X")["growth_yoy"] == pytest.approx(math.log(2))
    assert _row(out, 15, "DEU", "FRA", "X")["growth_yoy"] is None  # month 3 is missing
    assert _row(out, 5, "DEU", "FRA", "X")["growth_yoy"] is None


def test_growth_vs_trailing_median_uses_previous_twelve_months_only():
    values = [10, 20, 30, 40, 50, 60, 70, 80, 90, 100, 110, 120, 130, 1000]
    out = features_of(flows_table([(m, "JPN", "USA", "X", "847130", v, 1) for m, v in enumerate(values)]))
    # month 13: the previous 12 months are months 1..12 (values 20..130); the median of their logs
    # is the mean of log 70 and log 80
    expected = math.log(1000) - (math.log(70) + math.log(80)) / 2
    assert _row(out, 13, "JPN", "USA", "X")["growth_vs_median12"] == pytest.approx(expected)
    assert _row(out, 2, "JPN", "USA", "X")["growth_vs_median12"] is None  # fewer than 3 months before


def test_robust_z_flags_a_spike_within_its_series_and_hs_month():
    rng = np.random.default_rng(0)
    rows = [(m, "USA", "MEX", "M", "870323", 1e6 * math.exp(rng.normal(0, 0.1)), 1e3) for m in range(36)]
    rows[20] = (20, "USA", "MEX", "M", "870323", 8e6, 1e3)
    rows += [(m, r, "MEX", "M", "870323", 1e6, 1e3) for m in (20,) for r in ("CAN", "DEU", "JPN", "KOR")]
    out = features_of(flows_table(rows))
    spike = _row(out, 20, "USA", "MEX")
    normal = _row(out, 21, "USA", "MEX")
    assert spike["z_series"] > 10 and abs(normal["z_series"]) < 3
    assert spike["z_uv_series"] > 10  # same weight, 8x value: unit value jumps too
    assert spike["z_hs_month"] > 10


def test_mirror_value_is_the_partners_report_adjusted_for_cif_fob():
    out = features_of(
        flows_table([(0, "CHN", "USA", "X", "851712", 1000, 5), (0, "USA", "CHN", "M", "851712", 700, 5)])
    )
    exp, imp = _row(out, 0, "CHN", "USA", "X"), _row(out, 0, "USA", "CHN", "M")
    assert imp["mirror_value_usd"] == pytest.approx(1000 * RATIO)
    assert imp["mirror_gap"] == pytest.approx(math.log(700 / (1000 * RATIO)))
    assert exp["mirror_value_usd"] == pytest.approx(700 / RATIO)


def test_partner_share_excludes_world_rows_and_tracks_change():
    rows = [
        (0, "IND", "USA", "X", "100630", 300, 1),
        (0, "IND", "ARE", "X", "100630", 100, 1),
        (0, "IND", "WLD", "X", "100630", 400, 2),
        (12, "IND", "USA", "X", "100630", 100, 1),
        (12, "IND", "ARE", "X", "100630", 100, 1),
    ]
    out = features_of(flows_table(rows))
    assert _row(out, 0, "IND", "USA", "X")["partner_share"] == pytest.approx(0.75)
    assert _row(out, 0, "IND", "WLD", "X")["partner_share"] is None
    assert _row(out, 12, "IND", "USA", "X")["partner_share_change"] == pytest.approx(-0.25)


def test_new_corridor_needs_an_established_market():
    rows = [(m, "KAZ", "CHN", "M", "854231", 100, 1) for m in range(36)]
    rows += [(m, "KAZ", "DEU", "M", "854231", 100, 1) for m in range(24, 36)]
    out = features_of(flows_table(rows))
    assert _row(out, 24, "KAZ", "DEU")["is_new_corridor"] and _row(out, 35, "KAZ", "DEU")["is_new_corridor"]
    assert not _row(out, 0, "KAZ", "CHN")["is_new_corridor"]  # the market itself starts there


def test_sanctions_exposure_flags_partner_and_onward_shipments():
    rows = [
        (25, "DEU", "KAZ", "X", "854231", 100, 1),  # DEU ships chips to KAZ...
        (25, "KAZ", "RUS", "X", "854231", 90, 1),  # ...which ships them on to RUS (sanctioned from 2022-02)
        (24, "KAZ", "RUS", "X", "854231", 90, 1),  # January 2022: before the programme
        (25, "DEU", "KAZ", "X", "0101", 100, 1),
    ]
    out = features_of(flows_table(rows))
    onward = _row(out, 25, "DEU", "KAZ", "X", hs="854231")
    assert (
        onward["onward_to_sanctioned"] and onward["sanctions_exposure"] and not onward["partner_sanctioned"]
    )
    assert onward["hs_controlled"]
    to_rus = _row(out, 25, "KAZ", "RUS", "X")
    assert to_rus["partner_sanctioned"] and to_rus["sanctions_exposure"]
    assert not _row(out, 24, "KAZ", "RUS", "X")["partner_sanctioned"]
    kaz_import = features_of(flows_table([*rows, (25, "KAZ", "DEU", "M", "854231", 100, 1)]))
    assert _row(kaz_import, 25, "KAZ", "DEU", "M", hs="854231")[
        "onward_to_sanctioned"
    ]  # the importer ships on
    horses = out.filter(pl.col("hs_code") == "0101").row(0, named=True)
    assert not horses["hs_controlled"] and not horses["onward_to_sanctioned"]


def _random_panel(seed: int, n_corridors: int = 300, months: int = 40) -> pl.DataFrame:
    rng = np.random.default_rng(seed)
    countries = ["USA", "CHN", "DEU", "RUS", "KAZ", "ARE", "TUR", "WLD", "IND", "BRA"]
    hs = ["854231", "851762", "100630", "2709", "87", "847130"]
    rows, seen = [], set()
    for _ in range(n_corridors):
        a, b = rng.choice(len(countries) - 3, 2, replace=False)
        exporter, importer = countries[a], countries[b]
        code = hs[rng.integers(len(hs))]
        start = int(rng.integers(0, months // 2))
        level = rng.normal(10, 2)
        for m in range(start, months):
            if rng.random() < 0.1:
                continue
            value = math.exp(level + rng.normal(0, 0.4))
            for rep, par, flow, factor in ((exporter, importer, "X", 1), (importer, exporter, "M", RATIO)):
                if (m, rep, par, flow, code) in seen or rng.random() < 0.1:
                    continue
                seen.add((m, rep, par, flow, code))
                weight = None if rng.random() < 0.05 else value / rng.lognormal(2, 0.3)
                rows.append((m, rep, par, flow, code, value * factor, weight))
        if rng.random() < 0.2:  # world totals and re-exports too
            rows.append((start, exporter, "WLD", "RX", code, 5.0, 1.0))
    return flows_table(rows)


@pytest.mark.parametrize("seed", [1, 2])
def test_matches_the_pandas_reference_on_a_random_panel(seed):
    flows = _random_panel(seed)
    assert_matches_reference(flows)


def test_result_does_not_depend_on_input_order():
    flows = _random_panel(3)
    canonical = features_of(flows.sort(CANONICAL_ORDER)).sort("flow_id")
    shuffled = features_of(flows.sample(fraction=1.0, shuffle=True, seed=4)).sort("flow_id")
    assert canonical.equals(shuffled)


def test_empty_input_gives_an_empty_table():
    empty = conform(flows_table([(0, "USA", "CHN", "M", "851712", 1, 1)]).head(0), "flows").collect()
    assert features_of(empty).height == 0


def test_country_codes_that_are_not_iso3_still_key_series_and_mirrors():
    rows = [(m, "EU28", "CHN", "M", "851712", 100 + m, 1) for m in range(14)]
    rows += [(m, "CHN", "EU28", "X", "851712", 100 + m, 1) for m in range(14)]
    rows += [(m, "_X", "CHN", "M", "851712", 7, 1) for m in range(2)]  # Comtrade's "Areas, nes"
    out = features_of(flows_table(rows))
    assert _row(out, 13, "EU28", "CHN")["mirror_value_usd"] == pytest.approx(113 * RATIO)
    assert _row(out, 12, "EU28", "CHN")["growth_yoy"] == pytest.approx(math.log(112 / 100))
    assert _row(out, 1, "_X", "CHN")["partner_share"] == pytest.approx(1.0) and out.height == 30


def test_extra_flows_columns_pass_through_when_canonical_and_are_left_out_otherwise():
    flows = flows_table([(m, "USA", "CHN", "M", "851712", 100 + m, 10) for m in range(14)])
    extra = flows.with_columns(
        flow_code=pl.lit("M"), weight_estimated=pl.lit(False), analyst_note=pl.lit("x")
    )
    out = features_of(extra)
    assert out.schema == pl.Schema(FEATURES)
    assert out.select(list(FEATURE_COLUMNS)).equals(features_of(flows).select(list(FEATURE_COLUMNS)))
    for column in ("flow_code", "weight_estimated"):  # columns ingest may add to the flows schema
        if column in FEATURES:
            assert out[column].equals(extra[column])
