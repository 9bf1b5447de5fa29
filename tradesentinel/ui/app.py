"""The analyst UI (Gradio Blocks): Chat, Map, Timeline, Explorer and Cases tabs over the stored tables.

Deep links: on load, the page's URL (search and hash) is read by a small JS hook and applied (tab,
Explorer filters and page, a flow's explanation, a Timeline corridor, a case); as the analyst filters,
the URL is rewritten (history.replaceState) so the address bar can be shared."""

from __future__ import annotations

import gradio as gr

from tradesentinel.assistant.service import Assistant
from tradesentinel.cases.db import Database
from tradesentinel.errors import TableNotFoundError, TradeSentinelError
from tradesentinel.investigate.corridor import Corridor, series
from tradesentinel.investigate.tables import TableStore
from tradesentinel.ui import cases, chat, explorer, map, timeline
from tradesentinel.ui.links import Link, parse_link

HEAD = """<style>
.demo-banner{background:#fff3cd;border:1px solid #e0c060;padding:.4rem .6rem;border-radius:4px;color:#5a4500}
details.evidence.open-highlight{outline:2px solid #d62728}
a.cite{font-weight:600;cursor:pointer}
</style>
<script>
window.tsFirstLocation = window.location.search + window.location.hash;  // before any tab rewrites it
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
// Map: a click on a country or on an arc's middle opens the Explorer filtered on it (a deep link).
setInterval(function () {
  const gd = document.querySelector('#map-plot .js-plotly-plot');
  if (!gd || !gd.on || gd._tsBound) return;
  gd._tsBound = true;
  gd.on('plotly_click', function (ev) {
    const p = ev.points && ev.points[0];
    if (!p) return;
    const base = (gd.layout && gd.layout.meta && gd.layout.meta.explore) || '';
    let pick = null;
    if (p.data.type === 'choropleth') pick = 'country=' + encodeURIComponent(p.location);
    else if (p.data.name === 'corridors' && p.customdata)
      pick = 'reporter=' + p.customdata[0] + '&partner=' + p.customdata[1];
    if (pick) window.location.assign('?tab=explorer&' + (base ? base + '&' : '') + pick);
  });
}, 500);
</script>"""
"""CSS, the script that makes a clicked [n] open evidence item n, and the map's click-through."""

DEMO_NOTE = (
    "DEMO data: a synthetic world with injected, labelled anomalies; sanctions and news are fictitious."
)
READ_LOCATION = "(x, s) => [window.tsFirstLocation ?? (window.location.search + window.location.hash), s]"
TAB_LINK = "() => {{ history.replaceState(null, '', '?tab={tab}'); return []; }}"
EXPLORER_LINK = "(q) => { history.replaceState(null, '', '?' + (q || 'tab=explorer')); return []; }"
TIMELINE_LINK = """(f, r, p, d, h) => {
  const q = new URLSearchParams({tab: 'timeline'});
  if (f) q.set('flow_id', f); else { if (r) q.set('reporter', r); if (p) q.set('partner', p);
    if (d) q.set('flow', d); if (h) q.set('hs', h); }
  history.replaceState(null, '', '?' + q.toString()); return [];
}"""


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


def timeline_direction(store: TableStore, link: Link) -> str:
    """The link's flow direction, else the first direction that has scored flows on that corridor."""
    if link.get("flow") in ("X", "M", "RX", "RM"):
        return link.get("flow")
    for flow in ("X", "M", "RX", "RM"):
        where = Corridor(link.get("reporter").upper(), link.get("partner").upper(), flow, link.get("hs"))
        try:
            if series(store, where).height:
                return flow
        except TradeSentinelError:
            break
    return "X"


def _timeline(store: TableStore, link: Link) -> list:
    """Timeline form values (reporter, partner, flow, HS), plot and table for a link naming a corridor or
    a flow on the Timeline tab (blank updates otherwise)."""
    keep = [gr.update()] * 6
    if link.tab != "timeline":
        return keep
    if link.flow_id:
        values = list(timeline.follow_flow(store, link.flow_id))
    elif link.get("reporter") and link.get("partner") and link.get("hs"):
        values = [link.get("reporter").upper(), link.get("partner").upper(), timeline_direction(store, link)]
        values.append(link.get("hs"))
    else:
        return keep
    try:
        plot, table = timeline.draw(store, link.flow_id or "", *values)
    except gr.Error:
        return [*values, gr.update(), gr.update()]
    return [*values, plot, table]


def build_ui(store: TableStore, assistant: Assistant | None, db: Database | None = None) -> gr.Blocks:
    """The Blocks app; every callback reads the store at call time, so new scores show without a restart."""
    db = db or Database(store.settings)
    with gr.Blocks(title="tradesentinel") as ui:
        gr.Markdown("# tradesentinel: trade anomaly investigation")
        banner = gr.HTML()
        location = gr.Textbox(visible="hidden", elem_id="location")
        with gr.Tabs(selected="chat", elem_id="tabs") as tabs:
            with gr.Tab("Chat", id="chat") as chat_tab:
                chat.tab(assistant, ui)
            with gr.Tab("Map", id="map") as map_tab:
                period = map.tab(store)
            with gr.Tab("Timeline", id="timeline") as timeline_tab:
                tl = timeline.tab(store)
            with gr.Tab("Explorer", id="explorer") as explorer_tab:
                ex = explorer.tab(store, tl.flow_id)
            with gr.Tab("Cases", id="cases") as cases_tab:
                cs = cases.tab(store, db)
        ex.picked.change(lambda f: f, [ex.picked], [cs.flow_id])
        for name, item in (("chat", chat_tab), ("map", map_tab), ("cases", cases_tab)):
            item.select(None, None, None, js=TAB_LINK.format(tab=name))
        explorer_tab.select(None, [ex.link], None, js=EXPLORER_LINK)
        timeline_tab.select(None, tl.inputs, None, js=TIMELINE_LINK)
        tl.show.click(None, tl.inputs, None, js=TIMELINE_LINK)
        load_side, side_inputs, side_outputs = cs.loader

        def on_load(where: str, status: str, request: gr.Request):
            link = parse_link(where)
            fields = explorer.form_values(link)
            try:
                table, count, query, number = explorer.listing(store, fields)
            except gr.Error as exc:
                table, count, query, number = None, f"**{exc.message}**", "", 1
            fields[-1] = number
            explained = explorer.explain_flow(store, link.flow_id) if link.flow_id else ""
            return (
                _banner(store),
                gr.Dropdown(choices=_periods(store), value="all"),
                gr.Tabs(selected=link.tab),
                *fields,
                table,
                count,
                query,
                explained,
                link.flow_id or gr.update(),
                *_timeline(store, link),
                link.case or gr.update(),
                *load_side(status, request),
            )

        ui.load(
            on_load,
            [location, *side_inputs],
            [
                banner,
                period,
                tabs,
                *ex.fields,
                ex.table,
                ex.count,
                ex.link,
                ex.explanation,
                tl.flow_id,
                *tl.inputs[1:],
                tl.plot,
                tl.table,
                cs.case_id,
                *side_outputs,
            ],
            js=READ_LOCATION,
        )
    return ui
