"""One flow's explanation as the Explorer shows it: narrative, detector scores, reasons observed vs
expected, and the numbered evidence its [n] cite."""

from __future__ import annotations

import html

from tradesentinel.detectors.base import amount_words
from tradesentinel.detectors.signals import describe
from tradesentinel.errors import NotFoundError
from tradesentinel.investigate.explain import explain
from tradesentinel.investigate.export import usd
from tradesentinel.investigate.tables import TableStore
from tradesentinel.investigate.types import Evidence, Explanation
from tradesentinel.reference import FLOW_WORDS


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
<p><b>score {a.score:.4f}</b>, rank {a.rank:,}, kind {esc(a.kind)}{f", labelled {esc(a.label)}" if a.label else ""}; value {esc(usd(a.value_usd))}</p>
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
