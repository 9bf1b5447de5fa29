"""Map tab: anomalies per country as a choropleth and the strongest corridors as arcs, drawn offline.

The anomalies are aggregated in polars (one row per country, the top corridors) before plotting,
so the figure stays small however many anomalies match; plotly loads its world outline from the
app (`/static/topojson/`), never from a CDN.
"""

from __future__ import annotations

import json
from datetime import date
from functools import lru_cache
from pathlib import Path

import gradio as gr
import plotly.graph_objects as go
import polars as pl
from gradio.components.plot import PlotData

from tradesentinel.errors import InvalidArgumentError, TradeSentinelError
from tradesentinel.investigate.query import AnomalyQuery
from tradesentinel.investigate.tables import TableStore

ASSETS = Path(__file__).resolve().parent / "assets"
TOPOJSON_URL = "/static/topojson/"
PLOT_CONFIG = {"topojsonURL": TOPOJSON_URL, "displaylogo": False}
TOP_ARCS = 25


@lru_cache(maxsize=1)
def centroids() -> dict[str, tuple[float, float]]:
    """ISO3 -> (lon, lat) of each country's centroid, read once from the bundled world map."""
    topology = json.loads((ASSETS / "world_110m.json").read_text())
    return {
        g["id"]: tuple(g["properties"]["ct"])
        for g in topology["objects"]["countries"]["geometries"]
        if g.get("id") and g.get("properties", {}).get("ct")
    }


def country_table(anomalies: pl.DataFrame) -> pl.DataFrame:
    """Per country (as reporter or partner): anomalies, their highest score and total value."""
    sides = pl.concat(
        [
            anomalies.select(pl.col("reporter").alias("iso3"), "score", "value_usd"),
            anomalies.select(pl.col("partner").alias("iso3"), "score", "value_usd"),
        ]
    )
    return (
        sides.group_by("iso3")
        .agg(
            pl.len().alias("anomalies"),
            pl.col("score").max().alias("max_score"),
            pl.col("value_usd").sum().alias("value_usd"),
        )
        .sort("anomalies", descending=True)
    )


def arc_table(anomalies: pl.DataFrame, top: int = TOP_ARCS) -> pl.DataFrame:
    """The `top` reporter-partner corridors with the most anomalies (ties: highest score)."""
    return (
        anomalies.group_by("reporter", "partner")
        .agg(pl.len().alias("anomalies"), pl.col("score").max().alias("max_score"))
        .sort(["anomalies", "max_score"], descending=True)
        .head(top)
    )


def map_filters(period: str | None, hs_prefix: str | None, min_score: float) -> AnomalyQuery:
    """UI inputs as filters: period 'YYYY' or 'YYYY-MM' (or 'all'), HS prefix, score threshold."""
    start = end = None
    if period and period != "all":
        year, _, month = period.partition("-")
        if month:
            start = end = date(int(year), int(month), 1)
        else:
            start, end = date(int(year), 1, 1), date(int(year), 12, 1)
    hs = (hs_prefix or "").strip() or None
    if hs and not hs.isdigit():
        raise InvalidArgumentError("HS prefix", f"{hs!r} must be digits")
    return AnomalyQuery.of(hs=hs, period_from=start, period_to=end, min_score=min_score)


def map_figure(countries: pl.DataFrame, arcs: pl.DataFrame, title: str) -> go.Figure:
    """Choropleth of anomaly counts with the top corridors drawn as great-circle arcs."""
    fig = go.Figure(
        go.Choropleth(
            locations=countries["iso3"].to_list(),
            z=countries["anomalies"].to_list(),
            locationmode="ISO-3",
            colorscale="YlOrRd",
            marker_line_color="#777",
            marker_line_width=0.4,
            colorbar={"title": {"text": "anomalies"}},
            customdata=countries.select("max_score", "value_usd").to_numpy(),
            hovertemplate="%{location}: %{z} anomalies<br>max score %{customdata[0]:.3f}"
            "<br>value %{customdata[1]:$,.0f}<extra></extra>",
        )
    )
    where = centroids()
    lons: list[float | None] = []
    lats: list[float | None] = []
    for reporter, partner in arcs.select("reporter", "partner").iter_rows():
        if reporter in where and partner in where:
            lons += [where[reporter][0], where[partner][0], None]
            lats += [where[reporter][1], where[partner][1], None]
    if lons:
        fig.add_trace(
            go.Scattergeo(
                lon=lons,
                lat=lats,
                mode="lines",
                name="top corridors",
                line={"width": 1.5, "color": "#3050c0"},
                opacity=0.7,
                hoverinfo="skip",
            )
        )
    fig.update_geos(projection_type="natural earth", showcountries=True, showcoastlines=False, resolution=110)
    fig.update_layout(
        title={"text": title}, margin={"l": 0, "r": 0, "t": 40, "b": 0}, height=520, showlegend=False
    )
    return fig


def offline_plot(fig: go.Figure) -> PlotData:
    """The figure as gradio plot data with a plotly config that loads maps from this app."""
    spec = json.loads(fig.to_json())
    spec["config"] = PLOT_CONFIG
    return PlotData(type="plotly", plot=json.dumps(spec))


def build_map(anomalies: pl.DataFrame, query: AnomalyQuery, *, demo: bool) -> tuple[PlotData, pl.DataFrame]:
    """The map for the anomalies matching `query` and the per-country table shown beside it."""
    matched = anomalies.filter(query.predicate())
    filters = query
    countries = country_table(matched)
    title = f"{matched.height:,} anomalies (score >= {filters.min_score:.2f})" + (
        " - DEMO data" if demo else ""
    )
    shown = countries.with_columns(pl.col("max_score").round(4), pl.col("value_usd").round(0))
    return offline_plot(map_figure(countries, arc_table(matched), title)), shown


def tab(store: TableStore) -> gr.Dropdown:
    """The Map tab's components and events; returns the period dropdown (filled when the page loads)."""
    with gr.Row():
        period = gr.Dropdown(choices=["all"], value="all", label="period", elem_id="map-period")
        hs = gr.Textbox(label="HS prefix", placeholder="e.g. 85", elem_id="map-hs")
        threshold = gr.Slider(0.5, 1.0, value=0.99, step=0.0001, label="min score", elem_id="map-min")
        draw = gr.Button("Draw map", variant="primary", elem_id="map-draw")
    world = gr.Plot(label="anomalies by country", elem_id="map-plot")
    countries = gr.Dataframe(label="per country", max_height=300, elem_id="map-table")

    def draw_map(p: str, prefix: str, minimum: float):
        try:
            snapshot = store.snapshot()
            figure, table = build_map(snapshot.anomalies, map_filters(p, prefix, minimum), demo=snapshot.demo)
        except TradeSentinelError as exc:
            raise gr.Error(str(exc)) from None
        return figure, table.head(50)

    draw.click(draw_map, [period, hs, threshold], [world, countries])
    return period
