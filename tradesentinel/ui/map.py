"""Map tab: anomalies per country as a choropleth and every corridor in the filters as a directed arc
(width by value at stake), drawn offline. A toggle divides by trade volume, so large traders do not
lead by size alone; clicking a country or an arc opens the Explorer filtered on it.

The anomalies are aggregated in polars (one row per country, one per corridor) before plotting, so the
figure stays small however many anomalies match; plotly loads its world outline from the app."""

from __future__ import annotations

import json
from datetime import date
from urllib.parse import urlencode

import gradio as gr
import plotly.graph_objects as go
import polars as pl
from gradio.components.plot import PlotData

from tradesentinel.errors import InvalidArgumentError, TradeSentinelError
from tradesentinel.investigate.query import DEFAULT_FLOOR_USD, TIER_CHOICES, AnomalyQuery
from tradesentinel.investigate.tables import TableStore
from tradesentinel.reference import country_name
from tradesentinel.ui.geo import centroids, great_circle, split_at_antimeridian
from tradesentinel.ui.map_data import arc_table, country_table, readable, volumes

__all__ = ["build_map", "centroids", "great_circle", "map_filters", "split_at_antimeridian", "tab", "volumes"]

TOPOJSON_URL = "/static/topojson/"
PLOT_CONFIG = {"topojsonURL": TOPOJSON_URL, "displaylogo": False}
MAX_ARCS = 300
"""Most arcs drawn (the corridors with the most value at stake, or the largest share when normalised)."""
WIDTHS = (1.0, 2.0, 3.5, 6.0)
"""Line widths of the four value-at-stake quartiles of the drawn arcs."""


def _arc_traces(arcs: pl.DataFrame, metric: str) -> list[go.Scattergeo]:
    """Lines (one trace per width class), arrowheads near each destination, and hover/click points mid-arc."""
    where = centroids()
    drawn = arcs.filter(pl.col("reporter").is_in(list(where)) & pl.col("partner").is_in(list(where)))
    if drawn.is_empty():
        return []
    values = drawn[metric].fill_null(0.0)
    cuts = [values.quantile(q) or 0.0 for q in (0.25, 0.5, 0.75)]
    lines: dict[int, tuple[list, list]] = {i: ([], []) for i in range(len(WIDTHS))}
    heads_lon, heads_lat, heads_size, mid_lon, mid_lat, custom = [], [], [], [], [], []
    for row, value in zip(drawn.iter_rows(named=True), values.to_list(), strict=True):
        path = great_circle(where[row["reporter"]], where[row["partner"]])
        width = sum(value > c for c in cuts)
        lons, lats = split_at_antimeridian(path)
        lines[width][0].extend([*lons, None])
        lines[width][1].extend([*lats, None])
        for point, size in (
            (path[-4], 0),
            (path[-3], 7 + 2 * width),
        ):  # arrow: direction from the point before
            heads_lon.append(point[0])
            heads_lat.append(point[1])
            heads_size.append(size)
        middle = path[len(path) // 2]
        mid_lon.append(middle[0])
        mid_lat.append(middle[1])
        custom.append(
            [
                row["reporter"],
                row["partner"],
                row["anomalies"],
                row["at_stake"],
                row.get("share") or 0.0,
                country_name(row["reporter"]),
                country_name(row["partner"]),
            ]
        )
    traces = [
        go.Scattergeo(
            lon=lons,
            lat=lats,
            mode="lines",
            name=f"arcs-{i}",
            hoverinfo="skip",
            line={"width": WIDTHS[i], "color": "#3050c0"},
            opacity=0.55,
        )
        for i, (lons, lats) in lines.items()
        if lons
    ]
    traces.append(
        go.Scattergeo(
            lon=heads_lon,
            lat=heads_lat,
            mode="markers",
            name="direction",
            hoverinfo="skip",
            marker={
                "symbol": "triangle-up",
                "angleref": "previous",
                "size": heads_size,
                "color": "#1a237e",
                "line": {"width": 0},
            },
        )
    )
    traces.append(
        go.Scattergeo(
            lon=mid_lon,
            lat=mid_lat,
            mode="markers",
            name="corridors",
            customdata=custom,
            marker={"size": 9, "color": "#3050c0", "opacity": 0.35},
            hovertemplate="%{customdata[5]} -> %{customdata[6]} (%{customdata[0]}->%{customdata[1]})<br>"
            "%{customdata[2]} anomalies, %{customdata[3]:$,.0f} at stake<br>"
            "%{customdata[4]:.2%} of the corridor's trade<extra>click: open in the Explorer</extra>",
        )
    )
    return traces


def map_figure(
    countries: pl.DataFrame, arcs: pl.DataFrame, title: str, *, normalise: bool, explore: str
) -> go.Figure:
    """Choropleth (anomalies, or share of trade at stake) with the corridors as directed arcs."""
    z = countries["share"] if normalise else countries["anomalies"]
    names = [country_name(c) for c in countries["iso3"].to_list()]
    fig = go.Figure(
        go.Choropleth(
            locations=countries["iso3"].to_list(),
            z=z.to_list(),
            locationmode="ISO-3",
            colorscale="YlOrRd",
            marker_line_color="#777",
            marker_line_width=0.4,
            text=names,
            colorbar={
                "title": {"text": "share at stake" if normalise else "anomalies"},
                "tickformat": ".1%" if normalise else ",d",
            },
            customdata=countries.select("anomalies", "max_score", "at_stake").to_numpy(),
            hovertemplate="%{text} (%{location}): %{customdata[0]} anomalies, max score %{customdata[1]:.3f}"
            "<br>%{customdata[2]:$,.0f} at stake<extra>click: open in the Explorer</extra>",
        )
    )
    for trace in _arc_traces(arcs, "share" if normalise else "at_stake"):
        fig.add_trace(trace)
    fig.update_geos(projection_type="natural earth", showcountries=True, showcoastlines=False, resolution=110)
    fig.update_layout(
        title={"text": title, "font": {"size": 14}},
        margin={"l": 0, "r": 0, "t": 50, "b": 0},
        height=560,
        showlegend=False,
        meta={"explore": explore},
    )
    return fig


def offline_plot(fig: go.Figure) -> PlotData:
    """The figure as gradio plot data with a plotly config that loads maps from this app."""
    spec = json.loads(fig.to_json())
    spec["config"] = PLOT_CONFIG
    return PlotData(type="plotly", plot=json.dumps(spec))


TIER_WORDS = {
    "flagged": "flagged flows",
    "high": "high tier",
    "medium": "medium tier and above",
    "review": "review tier and above",
    "all": "every scored flow",
}
"""The tier filter in the map's title."""


def map_filters(
    period: str | None, hs_prefix: str | None, tier: str = "flagged", min_score: float = 0.0
) -> AnomalyQuery:
    """UI inputs as filters: period 'YYYY' or 'YYYY-MM' (or 'all'), HS prefix, risk tier (flagged:
    the review tier and above, materiality floor applied), lowest score."""
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
    return AnomalyQuery.of(
        hs=hs, period_from=start, period_to=end, tier=tier or "flagged", min_score=min_score or 0.0
    )


def describe_filters(query: AnomalyQuery) -> str:
    """The filters in words, for the title: 'flagged flows, 2023-01 to 2023-12, HS 85'."""
    parts = [TIER_WORDS.get(query.tier or "all", "every scored flow")]
    if query.min_score:
        parts.append(f"score >= {query.min_score:g}")
    if query.period_from:
        same = query.period_from == query.period_to
        parts.append(f"{query.period_from:%Y-%m}" + ("" if same else f" to {query.period_to:%Y-%m}"))
    else:
        parts.append("all periods")
    parts.append(f"HS {query.hs}" if query.hs else "all goods")
    return ", ".join(parts)


def explore_link(query: AnomalyQuery) -> str:
    """The Explorer query string for the map's filters (a click adds the country or corridor)."""
    params = {
        "tier": query.tier if query.tier != "flagged" else "",
        "min": f"{query.min_score:g}" if query.min_score else "",
        "hs": query.hs or "",
    }
    if query.period_from:
        params |= {"from": f"{query.period_from:%Y-%m}", "to": f"{query.period_to:%Y-%m}"}
    return urlencode({k: v for k, v in params.items() if v})


def build_map(
    anomalies: pl.DataFrame,
    query: AnomalyQuery,
    *,
    demo: bool,
    normalise: bool = False,
    trade: tuple[pl.DataFrame, pl.DataFrame] | None = None,
    floor_usd: float = DEFAULT_FLOOR_USD,
) -> tuple[PlotData, pl.DataFrame]:
    """The map for the anomalies matching `query` and the per-country table shown beside it; `trade`
    (volumes per country and per corridor) is needed to normalise."""
    matched = anomalies.filter(query.predicate(anomalies.columns, floor_usd))
    countries = country_table(matched, trade[0] if trade else None)
    arcs = arc_table(matched, trade[1] if trade else None)
    if normalise and trade:
        countries = countries.sort("share", descending=True, nulls_last=True)
        arcs = arcs.sort("share", descending=True, nulls_last=True)
    shown = arcs.head(MAX_ARCS)
    measure = "share of trade at stake" if normalise else "value at stake"
    cap = f" (the {MAX_ARCS} with the most {measure})" if arcs.height > MAX_ARCS else ""
    title = (
        f"{matched.height:,} anomalies on {arcs.height:,} corridors{cap}; {describe_filters(query)}"
        + ("; normalised by trade volume" if normalise else "")
        + (" - DEMO data" if demo else "")
    )
    table = readable(countries)
    figure = map_figure(
        countries, shown, title, normalise=normalise and trade is not None, explore=explore_link(query)
    )
    return offline_plot(figure), table


def tab(store: TableStore) -> gr.Dropdown:
    """The Map tab's components and events; returns the period dropdown (filled when the page loads)."""
    with gr.Row():
        period = gr.Dropdown(choices=["all"], value="all", label="period", elem_id="map-period")
        hs = gr.Textbox(label="HS prefix", placeholder="e.g. 85", elem_id="map-hs")
        tier = gr.Dropdown(list(TIER_CHOICES), value="flagged", label="tier", elem_id="map-tier")
        threshold = gr.Slider(0.0, 1.0, value=0.0, step=0.0001, label="min score", elem_id="map-min")
        normalise = gr.Checkbox(label="per $ of trade (normalise by volume)", elem_id="map-normalise")
        draw = gr.Button("Draw map", variant="primary", elem_id="map-draw")
    gr.Markdown("Click a country or the dot in the middle of an arc to open its anomalies in the Explorer.")
    world = gr.Plot(label="anomalies by country and corridor", elem_id="map-plot")
    countries = gr.Dataframe(label="per country", max_height=300, elem_id="map-table")

    def draw_map(p: str, prefix: str, level: str, minimum: float, per_trade: bool):
        try:
            snapshot = store.snapshot()
            query = map_filters(p, prefix, level, minimum)
            figure, table = build_map(
                snapshot.anomalies,
                query,
                demo=snapshot.demo,
                normalise=per_trade,
                trade=volumes(store),
                floor_usd=store.settings.materiality_floor_usd,
            )
        except TradeSentinelError as exc:
            raise gr.Error(str(exc)) from None
        return figure, table.head(50)

    inputs = [period, hs, tier, threshold, normalise]
    draw.click(draw_map, inputs, [world, countries], queue=False, show_progress="minimal")
    normalise.change(draw_map, inputs, [world, countries])
    return period
