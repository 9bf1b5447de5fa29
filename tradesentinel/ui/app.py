"""The analyst UI (Gradio Blocks): Chat, Map, Timeline and Explorer tabs over the stored tables."""

from __future__ import annotations

import gradio as gr
import polars as pl

from tradesentinel.api.assistant_link import AssistantLink
from tradesentinel.api.store import SIGNALS, TableStore
from tradesentinel.errors import TableNotFoundError, TradeSentinelError
from tradesentinel.ui import chat, explorer, map, timeline

HEAD = """<style>
.demo-banner{background:#fff3cd;border:1px solid #e0c060;padding:.4rem .6rem;border-radius:4px;color:#5a4500}
details.evidence.open-highlight{outline:2px solid #d62728}
a.cite{font-weight:600;cursor:pointer}
</style>
<script>
document.addEventListener('click', function (event) {
  const link = event.target.closest && event.target.closest('a.cite');
  if (!link) return;
  event.preventDefault();
  const item = document.getElementById((link.getAttribute('href') || '').slice(1));
  if (!item) return;
  item.open = true;
  item.classList.add('open-highlight');
  item.scrollIntoView({block: 'center'});
}, true);
</script>"""
"""CSS and the script that makes a clicked [n] open evidence item n (the page's <head>)."""

DEMO_NOTE = (
    "DEMO data: a synthetic world with injected, labelled anomalies; sanctions and news are fictitious."
)


def _banner(store: TableStore) -> str:
    try:
        demo = store.snapshot().demo
    except TableNotFoundError as exc:
        return f"<p class='demo-banner'>No scores yet: {exc}</p>"
    return f"<p class='demo-banner' id='demo-banner'>{DEMO_NOTE}</p>" if demo else ""


def _periods(store: TableStore) -> list[str]:
    try:
        periods = store.snapshot().anomalies["period"].unique().sort()
    except TableNotFoundError:
        return ["all"]
    years = sorted({f"{p:%Y}" for p in periods.to_list()})
    return ["all", *years, *[f"{p:%Y-%m}" for p in periods.to_list()]]


def build_ui(store: TableStore, link: AssistantLink) -> gr.Blocks:
    """The Blocks app; every callback reads the store at call time, so new scores show without a restart."""
    with gr.Blocks(title="tradesentinel") as ui:
        gr.Markdown("# tradesentinel: trade anomaly investigation")
        banner = gr.HTML()
        with gr.Tabs():
            with gr.Tab("Chat", id="chat"):
                chatbot = gr.Chatbot(label="Assistant", height=420, elem_id="chatbot")
                with gr.Row():
                    question = gr.Textbox(
                        placeholder="Ask about anomalies, sanctions, news...",
                        show_label=False,
                        max_length=500,
                        scale=5,
                        elem_id="question",
                    )
                    send = gr.Button("Ask", variant="primary", scale=1, elem_id="ask")
                gr.Markdown("Evidence (click a [n] in an answer to open it):")
                evidence = gr.HTML(elem_id="evidence")
                for event in (send.click, question.submit):
                    event(
                        lambda q, h: (yield from chat.respond(link, q, h)),
                        [question, chatbot],
                        [chatbot, evidence, question],
                    )
            with gr.Tab("Map", id="map"):
                with gr.Row():
                    period = gr.Dropdown(choices=["all"], value="all", label="period", elem_id="map-period")
                    hs = gr.Textbox(label="HS prefix", placeholder="e.g. 85", elem_id="map-hs")
                    threshold = gr.Slider(
                        0.5, 1.0, value=0.99, step=0.0001, label="min score", elem_id="map-min"
                    )
                    draw = gr.Button("Draw map", variant="primary", elem_id="map-draw")
                world = gr.Plot(label="anomalies by country", elem_id="map-plot")
                countries = gr.Dataframe(label="per country", max_height=300, elem_id="map-table")

                def draw_map(p: str, prefix: str, minimum: float):
                    try:
                        snapshot = store.snapshot()
                        figure, table = map.build_map(
                            snapshot.anomalies, map.map_filters(p, prefix, minimum), demo=snapshot.demo
                        )
                    except TradeSentinelError as exc:
                        raise gr.Error(str(exc)) from None
                    return figure, table.head(50)

                draw.click(draw_map, [period, hs, threshold], [world, countries])
            with gr.Tab("Timeline", id="timeline"):
                with gr.Row():
                    flow_id = gr.Textbox(
                        label="flow_id", placeholder="pick one in the Explorer", elem_id="tl-flow"
                    )
                    reporter = gr.Textbox(label="or reporter", max_length=3, elem_id="tl-reporter")
                    partner = gr.Textbox(label="partner", max_length=3, elem_id="tl-partner")
                    direction = gr.Dropdown(["X", "M", "RX", "RM"], value="M", label="flow", elem_id="tl-dir")
                    hs_code = gr.Textbox(label="HS code", max_length=6, elem_id="tl-hs")
                    show = gr.Button("Show timeline", variant="primary", elem_id="tl-show")
                line = gr.Plot(label="monthly series", elem_id="tl-plot")
                marks = gr.Dataframe(label="anomalies and events", max_height=300, elem_id="tl-table")

                def draw_timeline(fid: str, rep: str, par: str, flw: str, code: str):
                    try:
                        corridor = timeline.corridor_from_form(store, fid, rep, par, flw, code)
                        figure, table = timeline.build_timeline(store, corridor, 0.99)
                    except TradeSentinelError as exc:
                        raise gr.Error(str(exc)) from None
                    return map.offline_plot(figure), table.with_columns(pl.col("date").cast(pl.String))

                show.click(draw_timeline, [flow_id, reporter, partner, direction, hs_code], [line, marks])
            with gr.Tab("Explorer", id="explorer"):
                with gr.Row():
                    country = gr.Textbox(label="country (ISO3)", max_length=3, elem_id="ex-country")
                    prefix = gr.Textbox(label="HS prefix", max_length=6, elem_id="ex-hs")
                    start = gr.Textbox(label="from (YYYY-MM)", max_length=7, elem_id="ex-from")
                    end = gr.Textbox(label="to (YYYY-MM)", max_length=7, elem_id="ex-to")
                    minimum = gr.Slider(0.0, 1.0, value=0.9, step=0.001, label="min score", elem_id="ex-min")
                    kind = gr.Dropdown(["all", *SIGNALS], value="all", label="kind", elem_id="ex-kind")
                    search = gr.Button("Filter", variant="primary", elem_id="ex-filter")
                found = gr.Markdown(elem_id="ex-count")
                table = gr.Dataframe(interactive=False, max_height=420, elem_id="ex-table")
                explanation = gr.HTML(elem_id="ex-explanation")

                def list_anomalies(c: str, h: str, f: str, t: str, m: float, k: str):
                    try:
                        filters = explorer.explorer_filters(c, h, f, t, m, k)
                    except TradeSentinelError as exc:
                        raise gr.Error(str(exc)) from None
                    try:
                        shown, total = explorer.anomaly_table(store, filters)
                    except TableNotFoundError as exc:  # nothing scored yet: say what to run
                        return None, str(exc)
                    return shown, f"{total:,} anomalies match; showing the top {shown.height}. Click a row."

                def pick(evt: gr.SelectData):
                    row = evt.row_value
                    fid = str(row[0]) if row else ""
                    return explorer.explain_flow(store, fid), fid

                search.click(list_anomalies, [country, prefix, start, end, minimum, kind], [table, found])
                table.select(pick, None, [explanation, flow_id])
        ui.load(
            lambda: (_banner(store), gr.Dropdown(choices=_periods(store), value="all")),
            None,
            [banner, period],
        )
        ui.load(list_anomalies, [country, prefix, start, end, minimum, kind], [table, found])
    return ui
