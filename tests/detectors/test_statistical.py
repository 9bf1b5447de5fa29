"""The statistical detector: per-series signals, calibrated; spikes and unit errors rank at the top,
falls that sanctions intend are not anomalies, and every reason says what it compared."""

from __future__ import annotations

import datetime as dt

import numpy as np
import polars as pl

from tradesentinel.detectors.series_signals import mirror_rows
from tradesentinel.detectors.statistical import StatisticalDetector


def _labelled(features: pl.DataFrame, labels: pl.DataFrame, kind: str) -> np.ndarray:
    ids = set(labels.filter(pl.col("kind") == kind)["flow_id"])
    return features["flow_id"].is_in(ids).to_numpy()


def test_spikes_and_unit_errors_rank_in_the_top_percent(small_world):
    features, labels = small_world
    score = StatisticalDetector().fit(features).score(features)
    assert len(score) == features.height and np.isfinite(score).all()
    cutoff = np.quantile(score, 0.99)
    for kind in ("spike", "unit_error", "mirror_under", "unit_price"):
        mine = _labelled(features, labels, kind)
        assert (score[mine] >= cutoff).mean() >= 0.9, kind


def test_explain_gives_observed_and_expected_in_usd(small_world):
    features, labels = small_world
    detector = StatisticalDetector().fit(features)
    row = int(np.flatnonzero(_labelled(features, labels, "spike"))[0])
    reasons = detector.explain(features, np.array([row]))[0]
    assert reasons and reasons[0].detector == "statistical"
    top = reasons[0]
    assert top.observed is not None and top.expected is not None and top.magnitude >= 2
    assert abs(np.log(top.observed / top.expected)) > 0.5  # a spike: far from what was expected


def _table(
    values,
    periods: list[dt.date],
    freq: str,
    *,
    reporter: str = "DEU",
    partner: str = "RUS",
    flow: str = "X",
    unit_values=None,
    gaps=None,
) -> pl.DataFrame:
    """One series of feature rows: its values, unit values and mirror gaps (None: not reported)."""
    n = len(values)
    return pl.DataFrame(
        {
            "period": periods,
            "freq": freq,
            "reporter": reporter,
            "partner": partner,
            "flow": flow,
            "hs_code": "854231",
            "value_usd": values,
            "log_value": np.log(values),
            "unit_value": unit_values if unit_values is not None else [None] * n,
            "z_uv_hs_month": [None] * n,
            "mirror_gap": gaps if gaps is not None else [None] * n,
            "mirror_value_usd": [None] * n,
        },
        schema_overrides={
            c: pl.Float64 for c in ("unit_value", "z_uv_hs_month", "mirror_gap", "mirror_value_usd")
        },
    ).with_columns(pl.col("unit_value").log().alias("log_unit_value"))


def _series(values: list[float], partner: str = "RUS") -> pl.DataFrame:
    periods = [dt.date(2019 + i // 12, i % 12 + 1, 1) for i in range(len(values))]
    frame = _table(values, periods, "M", partner=partner)
    return frame.with_columns(pl.Series("flow_id", [f"{partner}{i}" for i in range(len(values))]))


def test_a_fall_sanctions_intend_is_not_an_anomaly_but_the_same_fall_elsewhere_is():
    rng = np.random.default_rng(1)
    steady = list(1e6 * np.exp(rng.normal(0, 0.05, 60)))
    collapsed = steady[:38] + [v / 50 for v in steady[38:]]  # March 2022 on: a fiftieth
    partners = [f"P{i:02d}" for i in range(60)]  # sixty steady corridors: the collapse is rare
    noise = [_series(list(1e6 * np.exp(rng.normal(0, 0.05, 60))), partner=p) for p in partners]
    features = pl.concat([_series(collapsed, "RUS"), _series(collapsed, "CHE"), *noise])
    score = StatisticalDetector().fit(features).score(features)
    russia, swiss = score[38:60], score[98:120]
    assert swiss.max() > 5 and russia.max() < swiss.max() / 3  # to Russia after 2022-02-24: intended


def test_comparisons_say_annual_periods_as_years():
    rng = np.random.default_rng(2)
    values = list(1e7 * np.exp(rng.normal(0, 0.05, 15)))
    values[8] *= 8
    frame = _series(values, "USA").with_columns(
        pl.Series("period", [dt.date(2005 + i, 1, 1) for i in range(15)]), pl.lit("A").alias("freq")
    )
    features = pl.concat([frame, *[frame.with_columns(pl.lit(p).alias("partner")) for p in ("FRA", "JPN")]])
    features = features.with_columns(
        pl.concat_str("partner", pl.int_range(pl.len()).cast(pl.String)).alias("flow_id")
    )
    detector = StatisticalDetector().fit(features)
    (reasons,) = detector.explain(features, np.array([8]))
    assert reasons and reasons[0].comparison == "vs 2011..2015 without 2013"


def _annual(reporter: str, partner: str, flow: str, values, unit_values=None, gaps=None) -> pl.DataFrame:
    periods = [dt.date(2005 + i, 1, 1) for i in range(len(values))]
    frame = _table(
        values,
        periods,
        "A",
        reporter=reporter,
        partner=partner,
        flow=flow,
        unit_values=unit_values,
        gaps=gaps,
    )
    year = pl.col("period").dt.year().cast(pl.String)
    return frame.with_columns(pl.concat_str("reporter", "partner", "flow", year).alias("flow_id"))


def _pair(importer: str, imports: np.ndarray, exports: np.ndarray) -> list[pl.DataFrame]:
    """One flow reported by both sides: the importer's imports from DEU and DEU's exports to it."""
    gap = np.log(imports / exports)
    return [
        _annual(importer, "DEU", "M", list(imports), gaps=list(gap)),
        _annual("DEU", importer, "X", list(exports), gaps=list(-gap)),
    ]


def test_an_annual_unit_error_among_years_without_weights_is_judged_against_the_years_before():
    rng = np.random.default_rng(3)
    values = list(1e7 * np.exp(rng.normal(0, 0.05, 15)))

    def sparse_weights() -> list[float | None]:  # weights stop in 2013, but for 2015
        usual = 5 * np.exp(rng.normal(0, 0.05, 15))
        return [float(u) if i < 8 or i == 10 else None for i, u in enumerate(usual)]

    odd = sparse_weights()
    odd[10] /= 1000  # 2015: the weight in grams for kilograms
    peers = [_annual("DEU", f"P{i:03d}", "X", values, sparse_weights()) for i in range(300)]
    features = pl.concat([_annual("DEU", "USA", "X", values, odd), *peers])
    detector = StatisticalDetector().fit(features)
    score = detector.score(features)
    assert score[10] == score.max() and score[10] > 4
    (reasons,) = detector.explain(features, np.array([10]))
    top = reasons[0]
    assert top.signal == "unit_error" and top.comparison == "vs its level in 2010..2013"
    assert 500 < top.expected / top.observed < 2000


def test_an_annual_mirror_gap_is_blamed_on_the_side_that_left_its_years_not_on_a_trending_partner():
    rng = np.random.default_rng(4)
    trend = 1e7 * np.exp(0.15 * np.arange(15))  # both sides grow 15% a year
    exports = trend * np.exp(rng.normal(0, 0.03, 15))
    imports = trend * np.exp(rng.normal(0, 0.03, 15))
    imports[10] *= 0.5  # 2015: the importer declares half
    gap = np.log(imports / exports)
    pairs = [
        _annual("USA", "DEU", "M", list(imports), gaps=list(gap)),
        _annual("DEU", "USA", "X", list(exports), gaps=list(-gap)),
    ]
    for i in range(30):  # steady pairs of the same code: the usual noise of a gap
        a, b = trend * np.exp(rng.normal(0, 0.03, 15)), trend * np.exp(rng.normal(0, 0.03, 15))
        pairs += [
            _annual(f"R{i:02d}", "DEU", "M", list(a), gaps=list(np.log(a / b))),
            _annual("DEU", f"R{i:02d}", "X", list(b), gaps=list(np.log(b / a))),
        ]
    features = pl.concat(pairs)
    mirror = StatisticalDetector().fit(features).surprisals(features)["mirror"]
    importer, exporter = mirror[10], mirror[15 + 10]
    assert importer >= 4 and exporter < importer / 4


def test_a_mirror_gap_both_series_share_alike_is_laid_on_the_side_that_declared_less():
    """In 2015 the importer's report fell as far below its years as the exporter's rose above its
    own: the two series cannot tell whose books are wrong. A report misses trade far more often
    than it invents some, so the odds (UNDER_ODDS) lay the gap on the importer, the lower report;
    a gap one side's own series explains still goes to that side whichever way it points."""
    rng = np.random.default_rng(7)
    trend = 1e7 * np.exp(0.05 * np.arange(15))
    shared = trend * np.exp(rng.normal(0, 0.05, 15))  # both sides' books agree, year to year

    frames = []
    for i in range(30):  # steady pairs: the usual noise of a gap
        a = trend * np.exp(rng.normal(0, 0.05, 15))
        frames += _pair(f"R{i:02d}", a, a * np.exp(rng.normal(0, 0.03, 15)))
    imports, exports = shared.copy(), shared.copy()
    around = np.exp(np.median(np.log(shared[[8, 9, 11, 12]])))  # 2015's two years either side
    imports[10], exports[10] = around * np.exp(-0.3), around * np.exp(0.3)
    inflated = shared.copy()
    inflated[10] *= np.exp(0.6)  # the exporter's report alone leaves its years, upward
    features = pl.concat([*_pair("TIE", imports, exports), *_pair("INF", shared, inflated), *frames])
    mirror = StatisticalDetector().fit(features).surprisals(features)["mirror"]
    importer, exporter = mirror[10], mirror[15 + 10]
    assert importer >= 3 and importer > exporter + 1
    honest, inflating = mirror[30 + 10], mirror[45 + 10]
    assert inflating >= 3 and inflating > honest + 1


def test_a_month_never_meets_an_annual_total_as_its_mirror():
    """A table holding both a year's total and its months: the annual row and January share the
    period date 2020-01-01, so each row's mirror is matched within its own frequency."""
    months = [dt.date(2020, m, 1) for m in range(1, 13)]
    year = [dt.date(2020, 1, 1)]
    features = pl.concat(
        [
            _table([1.2e8], year, "A", reporter="USA", partner="DEU", flow="M"),  # first: wins a tie
            _table([1.1e8], year, "A", reporter="DEU", partner="USA", flow="X"),
            _table([1e7] * 12, months, "M", reporter="USA", partner="DEU", flow="M"),
            _table([9e6] * 12, months, "M", reporter="DEU", partner="USA", flow="X"),
        ]
    )
    mirror = mirror_rows(features)
    assert mirror[:2].tolist() == [1, 0]
    assert mirror[2:14].tolist() == list(range(14, 26)) and mirror[14:].tolist() == list(range(2, 14))


def test_an_inner_year_is_not_judged_against_the_edge_years_of_trending_series():
    """A series' first and last years are compared with the years on one side only, which a long
    trend moves together: they are calibrated apart (`local@0`), so their wide departures do not
    set the bar an inner year's bump must clear."""
    rng = np.random.default_rng(5)
    years = np.arange(20)
    frames = []
    for i in range(300):  # curving series: their edge years run far from the years next to them
        curve = rng.normal(0, 0.02) * (years - 10) ** 2 + rng.normal(0, 0.05, 20)
        frames.append(_annual("DEU", f"P{i:03d}", "X", list(1e7 * np.exp(curve))))
    bumped = 1e7 * np.exp(rng.normal(0, 0.05, 20))
    bumped[9] *= 1.6  # 2014 alone: 60% above the years around it
    features = pl.concat([_annual("DEU", "USA", "X", list(bumped)), *frames])
    detector = StatisticalDetector().fit(features)
    score = detector.score(features)
    assert score[9] == score.max()
    edges = features["period"].dt.year().is_in([2005, 2024]).to_numpy()
    assert score[edges].max() > 2  # edge years still score, against the edge years' own null
    assert set(detector.tails_) >= {"local", "local@0", "local@1"}


def test_a_mirror_gap_the_next_year_offsets_is_timing_but_an_unreconciled_one_stays():
    """An importer that books part of 2015's shipments in 2016 shows opposite gaps in the two years
    whose pooled totals agree: timing, not under-declaration. The same shortfall never made up
    stays a mirror gap."""
    rng = np.random.default_rng(6)
    trend = 1e7 * np.exp(0.05 * np.arange(15))

    frames = []
    for i in range(30):  # steady pairs: the usual noise of a gap
        frames += _pair(
            f"R{i:02d}", trend * np.exp(rng.normal(0, 0.03, 15)), trend * np.exp(rng.normal(0, 0.03, 15))
        )
    shipped = trend * np.exp(rng.normal(0, 0.01, 15))
    late = shipped.copy()
    late[10], late[11] = shipped[10] - 0.4 * shipped[10], shipped[11] + 0.4 * shipped[10]  # booked in 2016
    short = shipped.copy()
    short[10] *= 0.6  # 40% of 2015 never declared
    features = pl.concat([*_pair("LAT", late, shipped), *_pair("SHO", short, shipped), *frames])
    mirror = StatisticalDetector().fit(features).surprisals(features)["mirror"]
    timing, under = mirror[10], mirror[30 + 10]
    assert under >= 4 and timing < 2


def test_a_price_moved_on_a_row_without_weight_shows_at_the_partners_declared_weight():
    """Both sides declare the same inflated invoice for 2015; the importer published no weight for
    2014-2016, the exporter did, and in the other years the two sides' weights agreed. The
    importer's 2015 row has no unit value of its own, so only its partner's weight shows the price
    tripled while the goods stayed: it is read there, and its reason says so; so is an importer
    that never declares a weight. Where the two sides' weights disagreed, the partner's weight
    does not stand in."""
    rng = np.random.default_rng(7)
    trend = 1e7 * np.exp(0.05 * np.arange(15))
    gap = {9, 10, 11}

    def pair(importer: str, factor: float, disagree: float = 0.0, gap=gap) -> list[pl.DataFrame]:
        goods = trend * np.exp(rng.normal(0, 0.15, 15))  # value lumpy year to year, the price steady
        weights = goods / 4.0 * np.exp(rng.normal(0, 0.02, 15))
        exports = goods * np.exp(rng.normal(0, 0.01, 15))
        exports[10] *= factor
        imports = exports * 1.05
        declared = weights * np.exp(rng.normal(0, 0.02, 15) + rng.normal(0, disagree, 15))
        import_uv = [None if i in gap else float(v) for i, v in enumerate(imports / declared)]
        return [
            _annual(importer, "DEU", "M", list(imports), unit_values=import_uv),
            _annual("DEU", importer, "X", list(exports), unit_values=list(exports / weights)),
        ]

    frames = [frame for i in range(40) for frame in pair(f"R{i:02d}", 1.0)]
    never = set(range(15))  # an importer that never declares a weight: read wholly at DEU's
    features = pl.concat(
        [*pair("INV", 3.0), *pair("OFF", 3.0, disagree=0.6), *pair("NIL", 3.0, gap=never), *frames]
    )
    detector = StatisticalDetector().fit(features)
    surprisals = detector.surprisals(features)
    importer, elsewhere, weightless = 10, 30 + 10, 60 + 10
    assert surprisals["unit_local"][importer] >= 4 and surprisals["unit_local"][weightless] >= 4
    assert detector.score(features)[importer] >= 4
    (reasons,) = detector.explain(features, np.array([importer]))
    unit = [r for r in reasons if r.signal == "unit_price"]
    assert unit and unit[0].label.startswith("unit value (at DEU's declared weight)")
    assert 2.5 < unit[0].observed / unit[0].expected < 3.6
    assert np.isnan(surprisals["unit_local"][elsewhere]) or surprisals["unit_local"][elsewhere] == 0
