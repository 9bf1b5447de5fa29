"""Timeline tab: a corridor's monthly series with its anomalies marked, and the sanctions designations
and news events of its countries on the same time axis."""

from __future__ import annotations

import gradio as gr
import plotly.graph_objects as go
import polars as pl
from plotly.subplots import make_subplots

from tradesentinel.errors import InvalidArgumentError, NotFoundError, TradeSentinelError
from tradesentinel.investigate.corridor import Corridor, corridor_of, events, series
from tradesentinel.investigate.tables import TableStore
from tradesentinel.ui.map import offline_plot


def corridor_from_form(
    tables: TableStore, flow_id: str, reporter: str, partner: str, flow: str, hs_code: str
) -> Corridor:
    """The corridor the Timeline form names: a flow_id, else reporter, partner, flow and HS code."""
    if (flow_id or "").strip():
        return corridor_of(tables, flow_id)
    if not ((reporter or "").strip() and (partner or "").strip() and (hs_code or "").strip()):
        raise InvalidArgumentError("flow_id", "give a flow_id, or reporter, partner and HS code")
    return Corridor(reporter.strip().upper(), partner.strip().upper(), flow, hs_code.strip())


def timeline_figure(points: pl.DataFrame, marks: pl.DataFrame, threshold: float, title: str) -> go.Figure:
    """Value line with anomalies (score >= threshold) as red markers; events on a lane below."""
    fig = make_subplots(rows=2, cols=1, shared_xaxes=True, row_heights=[0.75, 0.25], vertical_spacing=0.05)
    fig.add_trace(
        go.Scatter(
            x=points["period"].to_list(),
            y=points["value_usd"].to_list(),
            mode="lines+markers",
            name="value (USD)",
            line={"color": "#3050c0"},
            marker={"size": 4},
        ),
        row=1,
        col=1,
    )
    hot = points.filter(pl.col("score") >= threshold)
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
            row=2,
            col=1,
        )
    fig.update_yaxes(title_text="USD", row=1, col=1)
    fig.update_yaxes(categoryorder="array", categoryarray=["news", "sanctions"], row=2, col=1)
    fig.update_layout(
        title={"text": title},
        height=520,
        margin={"l": 60, "r": 20, "t": 50, "b": 30},
        legend={"orientation": "h", "y": -0.08},
    )
    return fig


def build_timeline(store: TableStore, corridor: Corridor, threshold: float) -> tuple[go.Figure, pl.DataFrame]:
    """The timeline figure and the table of the corridor's anomalies and events."""
    points = series(store, corridor)
    if points.is_empty():
        raise NotFoundError(
            f"no scored flows for {corridor.reporter}-{corridor.partner} {corridor.flow} HS {corridor.hs_code}"
        )
    start, end = points["period"].min(), points["period"].max()
    marks = events(store, (corridor.reporter, corridor.partner), start, end)
    hot = points.filter(pl.col("score") >= threshold).height
    demo = " - DEMO data" if store.snapshot().demo else ""
    title = (
        f"{corridor.reporter} {corridor.flow} {corridor.partner}, HS {corridor.hs_code}: "
        f"{hot} {'anomaly' if hot == 1 else 'anomalies'}, {marks.height} "
        f"{'event' if marks.height == 1 else 'events'}{demo}"
    )
    listing = pl.concat(
        [
            points.filter(pl.col("score") >= threshold).select(
                pl.col("period").alias("date"),
                pl.lit("anomaly").alias("kind"),
                pl.format("score {} ({})", pl.col("score").round(3), pl.col("kind")).alias("text"),
            ),
            marks,
        ]
    ).sort("date")
    return timeline_figure(points, marks, threshold, title), listing


def tab(store: TableStore) -> gr.Textbox:
    """The Timeline tab's components and events; returns its flow_id box (the Explorer fills it)."""
    with gr.Row():
        flow_id = gr.Textbox(label="flow_id", placeholder="pick one in the Explorer", elem_id="tl-flow")
        reporter = gr.Textbox(label="or reporter", max_length=3, elem_id="tl-reporter")
        partner = gr.Textbox(label="partner", max_length=3, elem_id="tl-partner")
        direction = gr.Dropdown(["X", "M", "RX", "RM"], value="M", label="flow", elem_id="tl-dir")
        hs_code = gr.Textbox(label="HS code", max_length=6, elem_id="tl-hs")
        show = gr.Button("Show timeline", variant="primary", elem_id="tl-show")
    line = gr.Plot(label="monthly series", elem_id="tl-plot")
    marks = gr.Dataframe(label="anomalies and events", max_height=300, elem_id="tl-table")

    def draw_timeline(fid: str, rep: str, par: str, flw: str, code: str):
        try:
            corridor = corridor_from_form(store, fid, rep, par, flw, code)
            figure, table = build_timeline(store, corridor, 0.99)
        except TradeSentinelError as exc:
            raise gr.Error(str(exc)) from None
        return offline_plot(figure), table.with_columns(pl.col("date").cast(pl.String))

    show.click(draw_timeline, [flow_id, reporter, partner, direction, hs_code], [line, marks])
    return flow_id
