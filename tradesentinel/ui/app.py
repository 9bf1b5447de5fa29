"""The analyst UI (Gradio Blocks): Chat, Map, Timeline and Explorer tabs over the stored tables."""

from __future__ import annotations

import gradio as gr

from tradesentinel.assistant.service import Assistant
from tradesentinel.errors import TableNotFoundError
from tradesentinel.investigate.tables import TableStore
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


def build_ui(store: TableStore, assistant: Assistant | None) -> gr.Blocks:
    """The Blocks app; every callback reads the store at call time, so new scores show without a restart."""
    with gr.Blocks(title="tradesentinel") as ui:
        gr.Markdown("# tradesentinel: trade anomaly investigation")
        banner = gr.HTML()
        with gr.Tabs():
            with gr.Tab("Chat", id="chat"):
                chat.tab(assistant, ui)
            with gr.Tab("Map", id="map"):
                period = map.tab(store)
            with gr.Tab("Timeline", id="timeline"):
                flow_id = timeline.tab(store)
            with gr.Tab("Explorer", id="explorer"):
                explorer.tab(store, flow_id, ui)
        ui.load(
            lambda: (_banner(store), gr.Dropdown(choices=_periods(store), value="all")),
            None,
            [banner, period],
        )
    return ui
