"""Map tab: per-country aggregation, top corridors, and a figure that loads its map from the app."""

from __future__ import annotations

import json
from datetime import date

import polars as pl
import pytest

from tradesentinel.errors import InvalidArgumentError
from tradesentinel.ui.map import build_map, centroids, map_filters


def _anomalies() -> pl.DataFrame:
    rows = [("RUS", "TUR", 0.999), ("RUS", "TUR", 0.995), ("DEU", "RUS", 0.991), ("USA", "CAN", 0.5)]
    return pl.DataFrame(
        {
            "reporter": [r[0] for r in rows],
            "partner": [r[1] for r in rows],
            "score": [r[2] for r in rows],
            "value_usd": [1e6, 2e6, 3e6, 4e6],
            "hs_code": ["854231", "854231", "270900", "854231"],
            "period": [date(2023, 5, 1)] * 4,
            "kind": ["surge"] * 4,
            "label": [None] * 4,
        }
    )


def test_countries_count_both_sides_and_skip_weak_scores():
    plot, countries = build_map(_anomalies(), map_filters("all", "", 0.99), demo=True)
    counts = dict(countries.select("iso3", "anomalies").iter_rows())
    assert counts == {"RUS": 3, "TUR": 2, "DEU": 1}
    spec = json.loads(plot.plot)
    assert spec["data"][0]["type"] == "choropleth" and spec["data"][0]["locationmode"] == "ISO-3"
    assert "DEMO data" in spec["layout"]["title"]["text"]


def test_arcs_join_country_centroids_and_the_map_is_offline():
    plot, _ = build_map(_anomalies(), map_filters("2023", "8542", 0.99), demo=False)
    spec = json.loads(plot.plot)
    arcs = spec["data"][1]
    assert arcs["type"] == "scattergeo" and arcs["lon"][:2] == [centroids()["RUS"][0], centroids()["TUR"][0]]
    assert spec["config"]["topojsonURL"] == "/static/topojson/"


def test_period_and_hs_inputs():
    assert map_filters("2023-05", " 85 ", 0.9).period_from == date(2023, 5, 1)
    year = map_filters("2022", "", 0.9)
    assert (year.period_from, year.period_to) == (date(2022, 1, 1), date(2022, 12, 1))
    with pytest.raises(InvalidArgumentError, match="HS prefix"):
        map_filters("all", "85a", 0.9)
