"""Map tab: per-country aggregation, one directed arc per corridor, antimeridian-safe paths, normalising."""

from __future__ import annotations

import itertools
import json
from datetime import date

import polars as pl
import pytest

from tradesentinel.errors import InvalidArgumentError
from tradesentinel.ui.map import build_map, centroids, great_circle, map_filters, split_at_antimeridian


def _anomalies() -> pl.DataFrame:
    rows = [("RUS", "TUR", 0.999), ("RUS", "TUR", 0.995), ("DEU", "RUS", 0.991), ("USA", "CAN", 0.5)]
    return pl.DataFrame(
        {
            "reporter": [r[0] for r in rows],
            "partner": [r[1] for r in rows],
            "score": [r[2] for r in rows],
            "value_usd": [1e6, 2e6, 5e6, 4e6],
            "hs_code": ["854231", "854231", "270900", "854231"],
            "period": [date(2023, 5, 1)] * 4,
            "kind": ["surge"] * 4,
            "tier": ["high", "medium", "review", None],  # the 0.5 flow is below the tiers
            "label": [None] * 4,
        }
    )


def _trade() -> tuple[pl.DataFrame, pl.DataFrame]:
    countries = pl.DataFrame(
        {"iso3": ["RUS", "TUR", "DEU", "USA", "CAN"], "trade_usd": [1e9, 1e8, 1e10, 1e11, 1e9]}
    )
    corridors = pl.DataFrame({"reporter": ["RUS", "DEU"], "partner": ["TUR", "RUS"], "trade_usd": [1e7, 1e9]})
    return countries, corridors


def test_countries_count_both_sides_and_the_title_states_the_filters():
    plot, countries = build_map(_anomalies(), map_filters("2023", "85"), demo=True)
    counts = dict(countries.select("iso3", "anomalies").iter_rows())
    assert counts == {"RUS": 2, "TUR": 2}
    spec = json.loads(plot.plot)
    title = spec["layout"]["title"]["text"]
    assert spec["data"][0]["type"] == "choropleth" and "DEMO data" in title
    assert "flagged flows" in title and "2023-01 to 2023-12" in title and "HS 85" in title
    assert spec["config"]["topojsonURL"] == "/static/topojson/"
    assert "hs=85" in spec["layout"]["meta"]["explore"]  # a click opens the Explorer on the same filters


def test_one_directed_arc_per_corridor_with_hover_and_width_by_value():
    plot, _ = build_map(_anomalies(), map_filters("all", ""), demo=False)
    traces = {t.get("name"): t for t in json.loads(plot.plot)["data"]}
    hover = traces["corridors"]
    assert sorted((c[0], c[1]) for c in hover["customdata"]) == [("DEU", "RUS"), ("RUS", "TUR")]
    rus_tur = next(c for c in hover["customdata"] if c[:2] == ["RUS", "TUR"])
    assert rus_tur[2] == 2 and rus_tur[3] == 3e6  # two anomalies, USD 3 million at stake
    assert traces["direction"]["marker"]["angleref"] == "previous"
    widths = {t["line"]["width"] for name, t in traces.items() if name and name.startswith("arcs-")}
    assert len(widths) == 2  # the bigger corridor draws thicker


def test_normalising_ranks_by_share_of_trade():
    plot, countries = build_map(
        _anomalies(), map_filters("all", ""), demo=False, normalise=True, trade=_trade()
    )
    assert countries["iso3"][0] == "TUR" and "% at stake" in countries.columns  # small trader, large share
    assert "normalised by trade volume" in json.loads(plot.plot)["layout"]["title"]["text"]


def test_paths_across_the_antimeridian_break_instead_of_wrapping():
    path = great_circle(centroids()["JPN"], centroids()["USA"])
    lons, _ = split_at_antimeridian(path)
    assert None in lons  # Japan to the US crosses the Pacific, not Europe
    steps = [abs(b - a) for a, b in itertools.pairwise(lons) if a is not None and b is not None]
    assert max(steps) < 30


def test_period_and_hs_inputs():
    assert map_filters("2023-05", " 85 ").period_from == date(2023, 5, 1)
    year = map_filters("2022", "")
    assert (year.period_from, year.period_to) == (date(2022, 1, 1), date(2022, 12, 1))
    with pytest.raises(InvalidArgumentError, match="HS prefix"):
        map_filters("all", "85a")
