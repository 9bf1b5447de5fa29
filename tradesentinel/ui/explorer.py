"""Explorer tab: a filterable table of anomalies; picking a row shows its explanation."""

from __future__ import annotations

import html

import polars as pl

from tradesentinel.api.anomalies import AnomalyFilters, filtered, month_start
from tradesentinel.api.explain import FLOW_WORDS, explain
from tradesentinel.api.schemas import Evidence, Explanation
from tradesentinel.api.store import TableStore
from tradesentinel.errors import InvalidArgumentError

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
) -> AnomalyFilters:
    """UI inputs as filters; blank inputs do not filter, bad ones raise ValueError naming the field."""
    country = (country or "").strip().upper() or None
    if country and (len(country) != 3 or not country.isalpha()):
        raise InvalidArgumentError("country", f"{country!r} must be an ISO3 code such as RUS")
    hs = (hs_prefix or "").strip() or None
    if hs and not hs.isdigit():
        raise InvalidArgumentError("HS prefix", f"{hs!r} must be digits")
    start = month_start(period_from.strip()) if (period_from or "").strip() else None
    end = month_start(period_to.strip()) if (period_to or "").strip() else None
    return AnomalyFilters(
        country=country,
        hs_prefix=hs,
        period_from=start,
        period_to=end,
        min_score=min_score,
        kind=None if kind in (None, "", "all") else kind,
    )


def anomaly_table(store: TableStore, filters: AnomalyFilters) -> tuple[pl.DataFrame, int]:
    """The first MAX_ROWS matching anomalies, ready for display, and how many matched in all."""
    matched = filtered(store.snapshot(), filters)
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
            f"<tr><td>{esc(r.detector)}</td><td>{esc(r.feature)}</td><td>{_num(r.observed)}</td>"
            f"<td>{_num(r.expected)}</td><td>{r.magnitude:.1f}</td></tr>"
            for r in a.reasons
        )
        or "<tr><td colspan=5>no reasons recorded for this flow</td></tr>"
    )
    return f"""<div class="explanation" data-flow-id="{esc(a.flow_id)}">{banner}
<h3>{a.period:%Y-%m} {esc(a.reporter)} {FLOW_WORDS.get(a.flow, esc(a.flow))} {esc(a.partner)} ({esc(a.flow)}), HS {esc(a.hs_code)}</h3>
<p>{esc(result.hs_description or "")}</p>
<p><b>score {a.score:.4f}</b>, rank {a.rank:,}, kind {esc(a.kind)}{f", labelled {esc(a.label)}" if a.label else ""}</p>
<h4>Narrative ({esc(result.narrative.mode)})</h4><p class="narrative">{esc(result.narrative.text)}</p>
<h4>Detectors</h4><table><tr><th>detector</th><th>score</th></tr>{detectors}</table>
<h4>Reasons: observed vs expected</h4>
<table><tr><th>detector</th><th>feature</th><th>observed</th><th>expected</th><th>magnitude</th></tr>{reasons}</table>
<h4>Evidence</h4>{_evidence_html(result.evidence)}</div>"""


def _num(value: float | None) -> str:
    return "" if value is None else f"{value:,.4g}"


def explain_flow(store: TableStore, flow_id: str) -> str:
    """HTML explanation of `flow_id` (evidence narrative), or a line saying it is unknown."""
    snapshot = store.snapshot()
    row = snapshot.index.get(flow_id)
    if row is None:
        return f"<p>No scored flow with id {html.escape(flow_id)}.</p>"
    return explanation_html(explain(store, snapshot, snapshot.anomalies.row(row, named=True)))
