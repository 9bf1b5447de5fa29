"""Timeline tab: a corridor's monthly value with its expected band, the mirror series and the unit value,
anomalies marked, and below on the same time axis the events about that corridor or its goods."""

from __future__ import annotations

from dataclasses import dataclass

import gradio as gr
import plotly.graph_objects as go
import polars as pl
from plotly.subplots import make_subplots

from tradesentinel.errors import InvalidArgumentError, NotFoundError, TradeSentinelError
from tradesentinel.investigate import ranking
from tradesentinel.investigate.corridor import Corridor, corridor, corridor_of, events, series
from tradesentinel.investigate.explain import hs_description
from tradesentinel.investigate.tables import TableStore
from tradesentinel.reference import FLOW_WORDS, country_name
from tradesentinel.ui.map import offline_plot


def corridor_from_form(
    tables: TableStore, flow_id: str, reporter: str, partner: str, flow: str, hs_code: str
) -> Corridor:
    """The corridor the Timeline form names: a flow_id, else reporter, partner, flow and HS code (2/4/6)."""
    if (flow_id or "").strip():
        return corridor_of(tables, flow_id)
    if not ((reporter or "").strip() and (partner or "").strip() and (hs_code or "").strip()):
        raise InvalidArgumentError("flow_id", "give a flow_id, or reporter, partner and HS code")
    return corridor(reporter, partner, flow, hs_code)


def _band(points: pl.DataFrame) -> list[go.Scatter]:
    x = points["period"].to_list()
    return [
        go.Scatter(
            x=x,
            y=points["band_high"].to_list(),
            mode="lines",
            line={"width": 0},
            showlegend=False,
            hoverinfo="skip",
            name="band_high",
        ),
        go.Scatter(
            x=x,
            y=points["band_low"].to_list(),
            mode="lines",
            line={"width": 0},
            fill="tonexty",
            fillcolor="rgba(48,80,192,0.15)",
            name="expected band",
            hoverinfo="skip",
        ),
        go.Scatter(
            x=x,
            y=points["expected"].to_list(),
            mode="lines",
            name="expected",
            line={"color": "#3050c0", "dash": "dash", "width": 1},
        ),
    ]


def timeline_figure(points: pl.DataFrame, hot: pl.DataFrame, marks: pl.DataFrame, title: str) -> go.Figure:
    """Value with its expected band, mirror and anomalies (row 1), unit value (row 2), events (row 3).

    `hot` is the points flagged as anomalies (build_timeline picks them once, for the figure, title and table).
    """
    fig = make_subplots(
        rows=3, cols=1, shared_xaxes=True, row_heights=[0.55, 0.22, 0.23], vertical_spacing=0.04
    )
    x = points["period"].to_list()
    for trace in _band(points):
        fig.add_trace(trace, row=1, col=1)
    fig.add_trace(
        go.Scatter(
            x=x,
            y=points["value_usd"].to_list(),
            mode="lines+markers",
            name="value (USD)",
            line={"color": "#1a237e"},
            marker={"size": 4},
        ),
        row=1,
        col=1,
    )
    fig.add_trace(
        go.Scatter(
            x=x,
            y=points["mirror_value_usd"].to_list(),
            mode="lines",
            name="mirror (partner's report)",
            line={"color": "#2e7d32", "dash": "dot"},
        ),
        row=1,
        col=1,
    )
    fig.add_trace(
        go.Scatter(
            x=hot["period"].to_list(),
            y=hot["value_usd"].to_list(),
            mode="markers",
            name="anomaly",
            marker={"color": "#d62728", "size": 13, "symbol": "circle-open", "line": {"width": 3}},
            customdata=hot.select("score", "kind").to_numpy(),
            hovertemplate="%{x|%Y-%m}: score %{customdata[0]:.3f} (%{customdata[1]})<extra>anomaly</extra>",
        ),
        row=1,
        col=1,
    )
    fig.add_trace(
        go.Scatter(
            x=x,
            y=points["unit_value"].to_list(),
            mode="lines+markers",
            name="unit value (USD/kg)",
            line={"color": "#6d4c41"},
            marker={"size": 3},
        ),
        row=2,
        col=1,
    )
    for kind, colour, symbol in (("sanctions", "#7b1fa2", "diamond"), ("news", "#ef6c00", "triangle-up")):
        sub = marks.filter(pl.col("kind") == kind)
        fig.add_trace(
            go.Scatter(
                x=sub["date"].to_list(),
                y=[kind] * sub.height,
                mode="markers",
                name=kind,
                text=sub["text"].to_list(),
                hovertemplate="%{x}: %{text}<extra></extra>",
                marker={"color": colour, "size": 11, "symbol": symbol},
            ),
            row=3,
            col=1,
        )
    fig.update_yaxes(title_text="USD", row=1, col=1)
    fig.update_yaxes(title_text="USD/kg", row=2, col=1)
    fig.update_yaxes(categoryorder="array", categoryarray=["news", "sanctions"], row=3, col=1)
    fig.update_layout(
        title={"text": title, "font": {"size": 14}},
        height=640,
        margin={"l": 70, "r": 20, "t": 60, "b": 30},
        legend={"orientation": "h", "y": -0.06},
    )
    return fig


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s" if not word.endswith("y") else f"{n} {word[:-1]}ies"


def timeline_title(store: TableStore, where: Corridor, hot: int, shown: int, left_out: int) -> str:
    """'Kyrgyzstan (KGZ) exports to Russia (RUS), HS 8482 (...): 2 anomalies, 3 events (46 about other goods left out)'."""
    goods = hs_description(store, where.hs_code) or ""
    words = FLOW_WORDS.get(where.flow, where.flow)
    demo = " - DEMO data" if store.snapshot().demo else ""
    left = f" ({left_out} about other goods or corridors left out)" if left_out else ""
    return (
        f"{country_name(where.reporter)} ({where.reporter}) {words} {country_name(where.partner)} "
        f"({where.partner}), HS {where.hs_code} ({goods[:50]}): {_plural(hot, 'anomaly')}, "
        f"{_plural(shown, 'event')}{left}{demo}"
    )


def build_timeline(store: TableStore, where: Corridor, threshold: float) -> tuple[go.Figure, pl.DataFrame]:
    """The timeline figure and the table of the corridor's anomalies and kept events."""
    points = series(store, where)
    if points.is_empty():
        raise NotFoundError(
            f"no scored flows for {where.reporter}-{where.partner} {where.flow} HS {where.hs_code}"
        )
    start, end = points["period"].min(), points["period"].max()
    marks, left_out = events(store, where, start, end)
    hot = points.filter(pl.col("score") >= threshold)
    title = timeline_title(store, where, hot.height, marks.height, left_out)
    listing = pl.concat(
        [
            hot.select(
                pl.col("period").alias("date"),
                pl.lit("anomaly").alias("kind"),
                pl.format(
                    "score {} ({}), flow {}", pl.col("score").round(3), pl.col("kind"), pl.col("flow_id")
                ).alias("text"),
            ),
            marks,
        ]
    ).sort("date")
    return timeline_figure(points, hot, marks, title), listing


@dataclass(frozen=True)
class TimelineTab:
    """The Timeline's inputs (the Explorer and deep links fill them) and what drawing it updates."""

    flow_id: gr.Textbox
    reporter: gr.Textbox
    partner: gr.Textbox
    direction: gr.Dropdown
    hs_code: gr.Textbox
    plot: gr.Plot
    table: gr.Dataframe
    show: gr.Button

    @property
    def inputs(self) -> list:
        return [self.flow_id, self.reporter, self.partner, self.direction, self.hs_code]


def draw(store: TableStore, fid: str, rep: str, par: str, flw: str, code: str):
    """The plot and table for the form (a gr.Error naming the bad field)."""
    try:
        where = corridor_from_form(store, fid, rep, par, flw, code)
        figure, table = build_timeline(store, where, ranking.flag_score(store))
    except TradeSentinelError as exc:
        raise gr.Error(str(exc)) from None
    return offline_plot(figure), table.with_columns(pl.col("date").cast(pl.String))


def follow_flow(store: TableStore, fid: str):
    """When a flow is picked, the form shows its corridor: reporter, partner, its real direction, HS code."""
    try:
        where = corridor_of(store, fid) if (fid or "").strip() else None
    except TradeSentinelError:
        where = None
    if where is None:
        return gr.update(), gr.update(), gr.update(), gr.update()
    return where.reporter, where.partner, where.flow, where.hs_code


def tab(store: TableStore) -> TimelineTab:
    """The Timeline tab's components and events."""
    with gr.Row():
        flow_id = gr.Textbox(label="flow_id", placeholder="pick one in the Explorer", elem_id="tl-flow")
        reporter = gr.Textbox(label="or reporter", max_length=3, elem_id="tl-reporter")
        partner = gr.Textbox(label="partner", max_length=3, elem_id="tl-partner")
        direction = gr.Dropdown(["X", "M", "RX", "RM"], value="X", label="flow", elem_id="tl-dir")
        hs_code = gr.Textbox(label="HS code (2, 4 or 6 digits)", max_length=6, elem_id="tl-hs")
        show = gr.Button("Show timeline", variant="primary", elem_id="tl-show")
    plot = gr.Plot(label="monthly series", elem_id="tl-plot")
    table = gr.Dataframe(label="anomalies and events", max_height=300, elem_id="tl-table")
    parts = TimelineTab(flow_id, reporter, partner, direction, hs_code, plot, table, show)
    show.click(lambda *a: draw(store, *a), parts.inputs, [plot, table])
    flow_id.change(lambda f: follow_flow(store, f), [flow_id], [reporter, partner, direction, hs_code])
    for box in (reporter, partner, hs_code):  # typing a corridor means the flow_id no longer names it
        box.input(lambda: "", None, [flow_id])
    direction.input(lambda: "", None, [flow_id])
    return parts
