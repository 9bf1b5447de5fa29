"""Explorer tab: a filterable table of anomalies; picking a row shows its explanation."""

from __future__ import annotations

import html

import gradio as gr
import polars as pl

from tradesentinel.detectors.base import amount_words
from tradesentinel.detectors.signals import describe
from tradesentinel.errors import InvalidArgumentError, NotFoundError, TableNotFoundError
from tradesentinel.investigate.anomalies import matching
from tradesentinel.investigate.explain import explain
from tradesentinel.investigate.kinds import FILTER_KINDS
from tradesentinel.investigate.query import AnomalyQuery
from tradesentinel.investigate.tables import TableStore
from tradesentinel.investigate.types import Evidence, Explanation
from tradesentinel.reference import FLOW_WORDS

TABLE_COLUMNS = (
    "flow_id",
    "rank",
    "score",
    "period",
    "reporter",
    "partner",
    "flow",
    "hs_code",
    "kind",
    "label",
    "value_usd",
)
MAX_ROWS = 200


def explorer_filters(
    country: str, hs_prefix: str, period_from: str, period_to: str, min_score: float, kind: str
) -> AnomalyQuery:
    """UI inputs as a query; blank inputs do not filter, bad ones raise InvalidArgumentError naming the field."""
    country = (country or "").strip().upper() or None
    if country and (len(country) != 3 or not country.isalpha()):
        raise InvalidArgumentError("country", f"{country!r} must be an ISO3 code such as RUS")
    hs = (hs_prefix or "").strip() or None
    if hs and not hs.isdigit():
        raise InvalidArgumentError("HS prefix", f"{hs!r} must be digits")
    return AnomalyQuery.of(
        country=country,
        hs=hs,
        period_from=(period_from or "").strip(),
        period_to=(period_to or "").strip(),
        min_score=min_score,
        kind=None if kind in (None, "", "all") else kind,
    )


def anomaly_table(store: TableStore, query: AnomalyQuery) -> tuple[pl.DataFrame, int]:
    """The first MAX_ROWS matching anomalies, ready for display, and how many matched in all."""
    matched = matching(store, query)
    shown = (
        matched.head(MAX_ROWS)
        .select(TABLE_COLUMNS)
        .with_columns(
            pl.col("score").round(4), pl.col("period").dt.strftime("%Y-%m"), pl.col("value_usd").round(0)
        )
    )
    return shown, matched.height


def _evidence_html(items: list[Evidence]) -> str:
    rows = []
    for e in items:
        link = f' <a href="{html.escape(e.url)}" target="_blank" rel="noopener">source</a>' if e.url else ""
        rows.append(
            f'<li id="explain-ev-{e.n}"><b>[{e.n}]</b> <i>{html.escape(e.collection)}</i> '
            f"{html.escape(e.text)}{link}</li>"
        )
    return "<ol class='evidence'>" + "".join(rows) + "</ol>" if rows else "<p>No linked evidence.</p>"


def explanation_html(result: Explanation) -> str:
    """The explanation as HTML: narrative, detector scores, reasons and the numbered evidence."""
    a = result.anomaly
    esc = html.escape
    banner = (
        "<p class='demo-banner'>DEMO data: synthetic flows, fictitious sanctions and news.</p>"
        if a.demo
        else ""
    )
    detectors = "".join(
        f"<tr><td>{esc(d.detector)}</td><td>{'' if d.score is None else f'{d.score:.2f}'}</td></tr>"
        for d in a.detectors
    )
    reasons = (
        "".join(
            f"<tr><td>{esc(r.detector)}</td><td>{esc(describe(r.signal))}</td>"
            f"<td>{esc(r.label)} {esc(r.comparison)}</td><td>{esc(amount_words(r.observed, r.unit))}</td>"
            f"<td>{esc(amount_words(r.expected, r.unit))}</td><td>{r.magnitude:.1f}</td></tr>"
            for r in a.reasons
        )
        or "<tr><td colspan=6>no reasons recorded for this flow</td></tr>"
    )
    return f"""<div class="explanation" data-flow-id="{esc(a.flow_id)}">{banner}
<h3>{a.period:%Y-%m} {esc(a.reporter)} {FLOW_WORDS.get(a.flow, esc(a.flow))} {esc(a.partner)} ({esc(a.flow)}), HS {esc(a.hs_code)}</h3>
<p>{esc(result.hs_description or "")}</p>
<p><b>score {a.score:.4f}</b>, rank {a.rank:,}, kind {esc(a.kind)}{f", labelled {esc(a.label)}" if a.label else ""}</p>
<h4>Narrative ({esc(result.narrative.mode)})</h4><p class="narrative">{esc(result.narrative.text)}</p>
<h4>Detectors</h4><table><tr><th>detector</th><th>score</th></tr>{detectors}</table>
<h4>Reasons: observed vs expected</h4>
<table><tr><th>detector</th><th>signal</th><th>what was compared</th><th>observed</th><th>expected</th>
<th>strength</th></tr>{reasons}</table>
<h4>Evidence</h4>{_evidence_html(result.evidence)}</div>"""


def explain_flow(store: TableStore, flow_id: str) -> str:
    """HTML explanation of `flow_id` (evidence narrative), or a line saying it is unknown."""
    try:
        return explanation_html(explain(store, flow_id))
    except NotFoundError:
        return f"<p>No scored flow with id {html.escape(flow_id)}.</p>"


def tab(store: TableStore, flow_id: gr.Textbox, page: gr.Blocks) -> None:
    """The Explorer tab's components and events; a picked row also fills the Timeline's `flow_id`."""
    with gr.Row():
        country = gr.Textbox(label="country (ISO3)", max_length=3, elem_id="ex-country")
        prefix = gr.Textbox(label="HS prefix", max_length=6, elem_id="ex-hs")
        start = gr.Textbox(label="from (YYYY-MM)", max_length=7, elem_id="ex-from")
        end = gr.Textbox(label="to (YYYY-MM)", max_length=7, elem_id="ex-to")
        minimum = gr.Slider(0.0, 1.0, value=0.9, step=0.001, label="min score", elem_id="ex-min")
        kind = gr.Dropdown(["all", *FILTER_KINDS], value="all", label="kind", elem_id="ex-kind")
        search = gr.Button("Filter", variant="primary", elem_id="ex-filter")
    found = gr.Markdown(elem_id="ex-count")
    table = gr.Dataframe(interactive=False, max_height=420, elem_id="ex-table")
    explanation = gr.HTML(elem_id="ex-explanation")

    def list_anomalies(c: str, h: str, f: str, t: str, m: float, k: str):
        try:
            query = explorer_filters(c, h, f, t, m, k)
        except InvalidArgumentError as exc:
            raise gr.Error(str(exc)) from None
        try:
            shown, total = anomaly_table(store, query)
        except TableNotFoundError as exc:  # nothing scored yet: say what to run
            return None, str(exc)
        return shown, f"{total:,} anomalies match; showing the top {shown.height}. Click a row."

    def pick(evt: gr.SelectData):
        row = evt.row_value
        fid = str(row[0]) if row else ""
        return explain_flow(store, fid), fid

    inputs = [country, prefix, start, end, minimum, kind]
    search.click(list_anomalies, inputs, [table, found])
    table.select(pick, None, [explanation, flow_id])
    page.load(list_anomalies, inputs, [table, found])
