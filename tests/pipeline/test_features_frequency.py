"""Features per frequency: annual rows compared year on year, mixed tables featurised per
frequency, short series left null, and agreement with the pandas reference on mixed tables."""

from __future__ import annotations

import math

import numpy as np
import polars as pl
import pytest

from tests.pipeline.feature_tables import (
    RATIO,
    assert_matches_reference,
    bad_floats,
    features_of,
    flows_table,
    log_median,
    row_of,
)
from tradesentinel.errors import SchemaError
from tradesentinel.pipeline.features import ANNUAL, HORIZONS, MONTHLY


def _annual(rows: list[tuple]) -> pl.DataFrame:
    return flows_table(rows, "A")


def test_horizons_are_a_year_in_each_frequency():
    assert (MONTHLY.lag, MONTHLY.median_window, MONTHLY.median_min, MONTHLY.new_corridor) == (12, 12, 3, 12)
    assert (ANNUAL.lag, ANNUAL.median_window, ANNUAL.median_min, ANNUAL.new_corridor) == (1, 3, 2, 1)
    assert set(HORIZONS) == {"M", "A"}


def test_annual_growth_compares_with_the_previous_year():
    rows = [(y, "BRA", "CHN", "X", "440799", v, 10) for y, v in ((2005, 100), (2006, 200), (2008, 400))]
    out = features_of(_annual(rows))
    assert row_of(out, 2006, "BRA", "CHN", "X", freq="A")["growth_yoy"] == pytest.approx(math.log(2))
    assert row_of(out, 2008, "BRA", "CHN", "X", freq="A")["growth_yoy"] is None  # 2007 is missing
    assert row_of(out, 2005, "BRA", "CHN", "X", freq="A")["growth_yoy"] is None


def test_annual_trailing_median_covers_the_three_previous_years_and_needs_two():
    values = {2005: 100, 2006: 200, 2007: 400, 2008: 800, 2009: 1600, 2010: 10}
    out = features_of(_annual([(y, "CAN", "USA", "X", "440799", v, 1) for y, v in values.items()]))

    def vs_median(year: int) -> float | None:
        return row_of(out, year, "CAN", "USA", "X", freq="A")["growth_vs_median12"]

    assert vs_median(2006) is None  # one year before it
    assert vs_median(2007) == pytest.approx(math.log(400) - log_median(100, 200))
    assert vs_median(2008) == pytest.approx(math.log(800) - log_median(100, 200, 400))
    assert vs_median(2010) == pytest.approx(math.log(10) - log_median(400, 800, 1600))  # 2005-06 left
    gappy = features_of(_annual([(y, "CAN", "USA", "X", "440799", values[y], 1) for y in (2005, 2008, 2009)]))
    assert row_of(gappy, 2008, "CAN", "USA", "X", freq="A")["growth_vs_median12"] is None  # only 2005
    assert row_of(gappy, 2009, "CAN", "USA", "X", freq="A")["growth_vs_median12"] is None  # only 2008


def test_annual_z_scores_are_within_the_series_and_within_hs_year_peers():
    rng = np.random.default_rng(0)
    rows = [
        (y, "USA", "MEX", "M", "870323", 1e6 * math.exp(rng.normal(0, 0.1)), 1e3) for y in range(2005, 2015)
    ]
    rows[5] = (2010, "USA", "MEX", "M", "870323", 8e6, 1e3)
    peers = [(2010, r, "MEX", "M", "870323", 1e6, 1e3) for r in ("CAN", "DEU", "JPN", "KOR")]
    other_year = [(2011, r, "MEX", "M", "870323", 1e9, 1e3) for r in ("CAN", "DEU", "JPN", "KOR")]
    out = features_of(_annual(rows + peers + other_year))
    spike = row_of(out, 2010, "USA", "MEX", "M", freq="A")
    assert spike["z_series"] > 10 and spike["z_uv_series"] > 10
    assert spike["z_hs_month"] > 10  # vs the 2010 peers; the huge 2011 peers are another group
    assert row_of(out, 2011, "USA", "MEX", "M", freq="A")["z_hs_month"] < -3


def test_annual_partner_share_and_its_change_vs_the_previous_year():
    rows = [
        (2010, "IND", "USA", "X", "100630", 300, 1),
        (2010, "IND", "ARE", "X", "100630", 100, 1),
        (2010, "IND", "WLD", "X", "100630", 400, 2),
        (2011, "IND", "USA", "X", "100630", 100, 1),
        (2011, "IND", "ARE", "X", "100630", 100, 1),
    ]
    out = features_of(_annual(rows))
    assert row_of(out, 2010, "IND", "USA", "X", freq="A")["partner_share"] == pytest.approx(0.75)
    assert row_of(out, 2010, "IND", "WLD", "X", freq="A")["partner_share"] is None
    assert row_of(out, 2011, "IND", "USA", "X", freq="A")["partner_share_change"] == pytest.approx(-0.25)


def test_annual_new_corridor_is_a_series_first_year_in_an_established_market():
    rows = [(y, "KAZ", "CHN", "M", "854231", 100, 1) for y in range(2010, 2016)]
    rows += [(y, "KAZ", "DEU", "M", "854231", 100, 1) for y in range(2013, 2016)]
    out = features_of(_annual(rows))
    assert row_of(out, 2013, "KAZ", "DEU", "M", freq="A")["is_new_corridor"]
    assert not row_of(out, 2014, "KAZ", "DEU", "M", freq="A")["is_new_corridor"]
    assert not row_of(out, 2010, "KAZ", "CHN", "M", freq="A")["is_new_corridor"]  # the market starts


def test_annual_totals_count_as_sanctioned_from_the_year_the_programme_starts():
    rows = [
        (2022, "DEU", "KAZ", "X", "854231", 100, 1),
        (2022, "KAZ", "RUS", "X", "854231", 90, 1),  # RUS: from 24 February 2022
        (2021, "KAZ", "RUS", "X", "854231", 90, 1),
    ]
    out = features_of(_annual(rows))
    assert row_of(out, 2022, "KAZ", "RUS", "X", freq="A")["partner_sanctioned"]
    assert not row_of(out, 2021, "KAZ", "RUS", "X", freq="A")["partner_sanctioned"]
    assert row_of(out, 2022, "DEU", "KAZ", "X", freq="A")["onward_to_sanctioned"]
    monthly_onward = flows_table([(26, "KAZ", "RUS", "X", "854231", 9, 1)])  # 2022-03
    mixed = features_of(pl.concat([_annual(rows[:1]), monthly_onward]))
    assert not row_of(mixed, 2022, "DEU", "KAZ", "X", freq="A")["onward_to_sanctioned"]  # not the same kind


def test_annual_mirror_is_the_partners_annual_report_never_a_month():
    annual = _annual(
        [(2020, "CHN", "USA", "X", "851712", 1000, 5), (2020, "USA", "CHN", "M", "851712", 700, 5)]
    )
    january = flows_table([(0, "USA", "CHN", "M", "851712", 60, 1)])  # 2020-01, same key
    out = features_of(pl.concat([annual, january]))
    imp = row_of(out, 2020, "USA", "CHN", "M", freq="A")
    assert imp["mirror_value_usd"] == pytest.approx(1000 * RATIO)
    assert imp["mirror_gap"] == pytest.approx(math.log(700 / (1000 * RATIO)))
    assert row_of(out, 2020, "CHN", "USA", "X", freq="A")["mirror_value_usd"] == pytest.approx(700 / RATIO)
    month = row_of(out, 0, "USA", "CHN", "M", freq="M")
    assert month["mirror_value_usd"] is None and month["partner_share"] == pytest.approx(1.0)


def test_an_annual_total_and_its_january_never_share_a_series():
    monthly = flows_table([(m, "JPN", "USA", "X", "847130", 100 + m, 1) for m in range(24)])
    annual = _annual(
        [(2020, "JPN", "USA", "X", "847130", 1500, 12), (2021, "JPN", "USA", "X", "847130", 3000, 12)]
    )
    out = features_of(pl.concat([monthly, annual]))
    assert row_of(out, 2021, "JPN", "USA", "X", freq="A")["growth_yoy"] == pytest.approx(math.log(2))
    assert row_of(out, 12, "JPN", "USA", "X", freq="M")["growth_yoy"] == pytest.approx(math.log(112 / 100))
    alone = features_of(monthly)
    assert out.filter(pl.col("freq") == "M").equals(alone)


@pytest.mark.parametrize("freq", ["M", "A"])
@pytest.mark.parametrize("points", [1, 2, 3])
def test_short_series_give_nulls_where_a_feature_is_undefined(freq, points):
    step, first = (12, 0) if freq == "M" else (1, 2010)  # a year apart either way
    periods = [first + step * i for i in range(points)]
    rows = [
        (p, "ARM", "GEO", "M", "851713", 100 * 2**i, None if i == 1 else 10) for i, p in enumerate(periods)
    ]
    out = features_of(flows_table(rows, freq))
    last = row_of(out, periods[-1], "ARM", "GEO", "M", freq=freq)
    assert bad_floats(out) == {}
    assert (last["growth_yoy"] is None) == (points == 1)
    assert (last["partner_share_change"] is None) == (points == 1)
    if freq == "A":  # the previous three years, at least two of them
        assert (last["growth_vs_median12"] is None) == (points < 3)
    else:  # the previous twelve months hold one row at most here: fewer than three
        assert last["growth_vs_median12"] is None
    assert (last["z_series"] is None) == (points < 3)  # a robust z needs three values
    assert last["z_uv_series"] is None  # two weights at most
    assert last["z_hs_month"] is None and last["mirror_value_usd"] is None  # no peers, no mirror
    assert last["partner_share"] == pytest.approx(1.0) and not last["is_new_corridor"]
    if points == 3:
        assert last["growth_vs_median12" if freq == "A" else "growth_yoy"] == pytest.approx(
            math.log(400) - (log_median(100, 200) if freq == "A" else math.log(200))
        )


def test_unknown_frequency_is_refused_and_a_null_one_reads_as_monthly():
    flows = flows_table([(m, "USA", "CHN", "M", "851712", 100 + m, 10) for m in range(14)])
    with pytest.raises(SchemaError, match="freq"):
        features_of(flows.with_columns(freq=pl.lit("Q")))
    unsaid = features_of(flows.with_columns(freq=pl.lit(None, pl.String)))
    assert unsaid.drop("freq").equals(features_of(flows).drop("freq"))


COUNTRIES = ["USA", "CHN", "DEU", "RUS", "KAZ", "IRN", "TUR", "IND", "BRA", "WLD"]
CODES = ["854231", "851762", "440799", "2709", "87"]


def _panel(rng: np.random.Generator, freq: str, corridors: int, periods: range, seen: set) -> list[tuple]:
    """Both sides of random corridors over `periods`, with gaps, missing weights and short series."""
    rows = []
    for c in range(corridors):
        a, b = rng.choice(len(COUNTRIES) - 1, 2, replace=False)
        exporter, importer = COUNTRIES[a], COUNTRIES[b]
        code = CODES[rng.integers(len(CODES))]
        length = [1, 2, 3][c % 3] if c % 4 == 0 else len(periods)  # a quarter are 1-3 periods long
        start = int(rng.integers(periods.start, periods.stop - length + 1))
        level = rng.normal(10, 2)
        for p in range(start, start + length):
            if length > 3 and rng.random() < 0.15:
                continue
            value = math.exp(level + rng.normal(0, 0.4))
            for rep, par, flow, factor in ((exporter, importer, "X", 1), (importer, exporter, "M", RATIO)):
                if (freq, p, rep, par, flow, code) in seen or rng.random() < 0.1:
                    continue
                seen.add((freq, p, rep, par, flow, code))
                weight = None if rng.random() < 0.1 else value / rng.lognormal(2, 0.3)
                rows.append((p, rep, par, flow, code, value * factor, weight))
        if rng.random() < 0.2 and (freq, start, exporter, "WLD", "RX", code) not in seen:  # world, re-exports
            seen.add((freq, start, exporter, "WLD", "RX", code))
            rows.append((start, exporter, "WLD", "RX", code, 5.0, 1.0))
    return rows


def _mixed_panel(seed: int) -> pl.DataFrame:
    """Monthly rows 2020-01..2023-03 and annual rows 2008-2023 (the years overlap the months)."""
    rng = np.random.default_rng(seed)
    seen: set = set()
    monthly = _panel(rng, "M", 150, range(39), seen)
    annual = _panel(rng, "A", 250, range(2008, 2024), seen)
    return pl.concat([flows_table(monthly, "M"), flows_table(annual, "A")]).sample(
        fraction=1.0, shuffle=True, seed=seed
    )


@pytest.mark.parametrize("seed", [1, 2])
def test_matches_the_pandas_reference_on_a_mixed_table(seed):
    flows = _mixed_panel(seed)
    assert flows["freq"].n_unique() == 2
    assert_matches_reference(flows)


def test_a_mixed_table_is_each_frequency_featurised_alone():
    flows = _mixed_panel(3)
    out = features_of(flows)
    assert bad_floats(out) == {}
    for freq in ("M", "A"):
        alone = features_of(flows.filter(pl.col("freq") == freq))
        assert out.filter(pl.col("freq") == freq).equals(alone)
