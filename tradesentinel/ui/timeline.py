"""Timeline tab: a corridor's monthly series with its anomalies marked, and the sanctions designations
and news events of its countries on the same time axis."""

from __future__ import annotations

from dataclasses import dataclass

import plotly.graph_objects as go
import polars as pl
from plotly.subplots import make_subplots

from tradesentinel.api.store import TableStore
from tradesentinel.errors import InvalidArgumentError, NotFoundError


@dataclass(frozen=True)
class Corridor:
    """One series: reporter, partner, flow direction and HS code."""

    reporter: str
    partner: str
    flow: str
    hs_code: str


def corridor_of(store: TableStore, flow_id: str) -> Corridor | None:
    """The corridor a scored flow belongs to, or None for an unknown flow_id."""
    snapshot = store.snapshot()
    row = snapshot.index.get(flow_id.strip())
    if row is None:
        return None
    r = snapshot.anomalies.row(row, named=True)
    return Corridor(r["reporter"], r["partner"], r["flow"], r["hs_code"])


def corridor_from_form(
    store: TableStore, flow_id: str, reporter: str, partner: str, flow: str, hs_code: str
) -> Corridor:
    """The corridor the Timeline form names: a flow_id, else reporter, partner, flow and HS code."""
    if (flow_id or "").strip():
        corridor = corridor_of(store, flow_id)
        if corridor is None:
            raise NotFoundError(f"no scored flow with id {flow_id.strip()!r}")
        return corridor
    if not ((reporter or "").strip() and (partner or "").strip() and (hs_code or "").strip()):
        raise InvalidArgumentError("flow_id", "give a flow_id, or reporter, partner and HS code")
    return Corridor(reporter.strip().upper(), partner.strip().upper(), flow, hs_code.strip())


def series(store: TableStore, corridor: Corridor) -> pl.DataFrame:
    """The corridor's monthly rows: period, value, score and whether it counts as an anomaly."""
    frame = store.snapshot().anomalies
    return (
        frame.filter(
            (pl.col("reporter") == corridor.reporter)
            & (pl.col("partner") == corridor.partner)
            & (pl.col("flow") == corridor.flow)
            & (pl.col("hs_code") == corridor.hs_code)
        )
        .select("period", "value_usd", "score", "rank", "kind", "flow_id")
        .sort("period")
    )


def events(store: TableStore, countries: tuple[str, ...], start, end) -> pl.DataFrame:
    """Sanctions designations and news naming the countries between start and end: date, kind, text."""
    frames = []
    sanctions = store.table("sanctions")
    if sanctions is not None and sanctions.height:
        frames.append(
            sanctions.filter(
                pl.any_horizontal(pl.col("countries").list.contains(c) for c in countries)
                & pl.col("listed_on").is_between(start, end)
            ).select(
                pl.col("listed_on").alias("date"),
                pl.lit("sanctions").alias("kind"),
                (pl.col("list") + ": " + pl.col("name")).alias("text"),
            )
        )
    news = store.table("news")
    if news is not None and news.height:
        frames.append(
            news.filter(
                pl.any_horizontal(pl.col("countries").list.contains(c) for c in countries)
                & pl.col("date").is_between(start, end)
            ).select("date", pl.lit("news").alias("kind"), pl.col("title").alias("text"))
        )
    if not frames:
        return pl.DataFrame(schema={"date": pl.Date, "kind": pl.String, "text": pl.String})
    return pl.concat(frames).sort("date")


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
