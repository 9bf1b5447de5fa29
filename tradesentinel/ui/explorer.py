"""Explorer tab: every matching anomaly, a page at a time, sorted over the whole filtered set; rows read
as an analyst reads them (country names, HS descriptions, formatted USD). A row shows its explanation;
the filtered set downloads as CSV; the URL follows the filters so a view can be shared."""

from __future__ import annotations

import math
import tempfile
from dataclasses import dataclass

import gradio as gr
import polars as pl

from tradesentinel.errors import InvalidArgumentError, TradeSentinelError
from tradesentinel.investigate.anomalies import page
from tradesentinel.investigate.export import csv_chunks, named, usd
from tradesentinel.investigate.kinds import FILTER_KINDS
from tradesentinel.investigate.query import TIER_CHOICES, AnomalyQuery
from tradesentinel.investigate.tables import TableStore
from tradesentinel.ui.explanation import explain_flow, explanation_html
from tradesentinel.ui.links import Link, link_query

__all__ = ["anomaly_table", "explain_flow", "explanation_html", "explorer_filters", "export_csv", "tab"]

PAGE_SIZE = 50
SORTS = {
    "score (rank)": "rank",
    "value at stake": "value_at_stake",
    "value": "value_usd",
    "period": "period",
    "corridor": "corridor",
}
"""The sort menu: label -> AnomalyQuery.sort."""


def explorer_filters(
    country: str = "",
    hs: str = "",
    period_from: str = "",
    period_to: str = "",
    min_score: float = 0.0,
    kind: str = "all",
    *,
    tier: str = "flagged",
    reporter: str = "",
    partner: str = "",
    sort: str = "score (rank)",
    order: str = "desc",
    page_number: float = 1,
) -> AnomalyQuery:
    """The form as a query (one page of PAGE_SIZE); blanks do not filter, a bad field is an
    InvalidArgumentError naming it. Countries in any case; periods YYYY or YYYY-MM. The default
    view is the flagged flows (review tier and above, materiality floor applied)."""
    hs = (hs or "").strip()
    if hs and not hs.isdigit():
        raise InvalidArgumentError("HS prefix", f"{hs!r} must be digits")
    for name, value in (("country", country), ("reporter", reporter), ("partner", partner)):
        code = (value or "").strip()
        if code and (len(code) != 3 or not code.isalpha()):
            raise InvalidArgumentError(name, f"{code!r} must be an ISO3 code such as RUS")
    sort_key = SORTS.get(sort, "rank")
    descending = order != "asc"
    number = max(1, int(page_number or 1))
    return AnomalyQuery.of(
        country=country,
        reporter=reporter,
        partner=partner,
        hs=hs,
        period_from=(period_from or "").strip(),
        period_to=(period_to or "").strip(),
        min_score=min_score,
        kind=None if kind in (None, "", "all") else kind,
        tier=tier if tier in TIER_CHOICES else "flagged",
        sort=sort_key,
        order=("desc" if descending else "asc") if sort_key != "rank" else ("asc" if descending else "desc"),
        offset=(number - 1) * PAGE_SIZE,
        limit=PAGE_SIZE,
    )


def display(store: TableStore, frame: pl.DataFrame) -> pl.DataFrame:
    """A page of anomalies as the table shows it: names beside codes, goods described, USD formatted."""
    rows = named(store, frame)
    columns = [
        pl.col("flow_id"),
        pl.col("rank"),
        pl.col("score").round(4),
        pl.col("period").dt.strftime("%Y-%m"),
        pl.format("{} ({})", pl.col("reporter_name"), pl.col("reporter")).alias("reporter"),
        pl.format("{} ({})", pl.col("partner_name"), pl.col("partner")).alias("partner"),
        pl.col("flow"),
        pl.col("hs_code").alias("HS"),
        pl.col("value_usd").map_elements(usd, return_dtype=pl.String).alias("value"),
    ]
    if "value_at_stake_usd" in rows.columns:
        columns.append(
            pl.col("value_at_stake_usd").map_elements(usd, return_dtype=pl.String).alias("at stake")
        )
    if "tier" in rows.columns:
        columns.append(pl.col("tier"))
    columns += [pl.col("kind"), pl.col("label"), pl.col("hs_description").str.slice(0, 60).alias("goods")]
    return rows.select(columns)


def anomaly_table(store: TableStore, query: AnomalyQuery) -> tuple[pl.DataFrame, int]:
    """The query's page ready for display, and how many anomalies matched in all."""
    shown, total = page(store, query)
    return display(store, shown), total


def summary(total: int, query: AnomalyQuery, sort_label: str) -> str:
    """'672 anomalies match; page 2 of 14 (rows 51-100), sorted by value at stake.'"""
    if not total:
        return "No anomaly matches these filters."
    pages = math.ceil(total / PAGE_SIZE)
    first = query.offset + 1
    last = min(query.offset + PAGE_SIZE, total)
    number = query.offset // PAGE_SIZE + 1
    return (
        f"**{total:,}** anomalies match; page **{number:,} of {pages:,}** (rows {first:,}-{last:,}), "
        f"sorted by {sort_label}. Click a row for its explanation."
    )


def export_csv(store: TableStore, query: AnomalyQuery) -> str:
    """The whole filtered set as a CSV file on disk (the UI offers it for download); its path."""
    with tempfile.NamedTemporaryFile("wb", prefix="anomalies-", suffix=".csv", delete=False) as out:
        for chunk in csv_chunks(store, query):
            out.write(chunk)
    return out.name


@dataclass(frozen=True)
class ExplorerTab:
    """The Explorer's form (deep links fill it), its outputs and the link box the URL hook reads."""

    fields: list  # country, hs, from, to, min, kind, tier, reporter, partner, sort, order, page
    table: gr.Dataframe
    count: gr.Markdown
    explanation: gr.HTML
    link: gr.Textbox
    picked: gr.Textbox


def form_values(link: Link) -> list:
    """The form's values for a deep link (defaults where the link says nothing)."""
    sort = next((label for label, key in SORTS.items() if key == link.get("sort")), "score (rank)")
    try:
        minimum = min(1.0, max(0.0, float(link.get("min", "0") or 0)))
    except ValueError:
        minimum = 0.0
    page_text = link.get("p", "1")
    return [
        link.get("country").upper(),
        link.get("hs"),
        link.get("from"),
        link.get("to"),
        minimum,
        link.get("kind") if link.get("kind") in FILTER_KINDS else "all",
        link.get("tier") if link.get("tier") in TIER_CHOICES else "flagged",
        link.get("reporter").upper(),
        link.get("partner").upper(),
        sort,
        "asc" if link.get("order") == "asc" else "desc",
        int(page_text) if page_text.isdigit() else 1,
    ]


def listing(store: TableStore, values: list) -> tuple[pl.DataFrame | None, str, str, int]:
    """Table, summary, link query string and page number for the form's values (raises gr.Error)."""
    country, hs, start, end, minimum, kind, tier, reporter, partner, sort, order, number = values
    try:
        query = explorer_filters(
            country,
            hs,
            start,
            end,
            minimum,
            kind,
            tier=tier,
            reporter=reporter,
            partner=partner,
            sort=sort,
            order=order,
            page_number=number,
        )
        shown, total = anomaly_table(store, query)
    except TradeSentinelError as exc:
        raise gr.Error(str(exc)) from None
    pages = max(1, math.ceil(total / PAGE_SIZE))
    if total and query.offset >= total:  # past the last page: show the last one
        return listing(store, [*values[:-1], pages])
    params = {
        "country": country,
        "reporter": reporter,
        "partner": partner,
        "hs": hs,
        "from": start,
        "to": end,
        "min": f"{minimum:g}" if minimum else "",
        "kind": kind,
        "tier": tier if tier != "flagged" else "",
        "sort": SORTS.get(sort, "rank"),
        "order": order,
        "p": number if number > 1 else "",  # not "page": gradio reads that one itself
    }
    return shown, summary(total, query, sort), link_query("explorer", params), int(number)


def tab(store: TableStore, flow_id: gr.Textbox) -> ExplorerTab:
    """The Explorer tab's components and events; a picked row also fills the Timeline's `flow_id`."""
    with gr.Row():
        country = gr.Textbox(label="country (ISO3)", max_length=3, elem_id="ex-country")
        reporter = gr.Textbox(label="reporter", max_length=3, elem_id="ex-reporter")
        partner = gr.Textbox(label="partner", max_length=3, elem_id="ex-partner")
        prefix = gr.Textbox(label="HS prefix", max_length=6, elem_id="ex-hs")
        start = gr.Textbox(label="from (YYYY-MM or YYYY)", max_length=7, elem_id="ex-from")
        end = gr.Textbox(label="to", max_length=7, elem_id="ex-to")
        tier = gr.Dropdown(list(TIER_CHOICES), value="flagged", label="tier", elem_id="ex-tier")
        minimum = gr.Slider(0.0, 1.0, value=0.0, step=0.001, label="min score", elem_id="ex-min")
        kind = gr.Dropdown(["all", *FILTER_KINDS], value="all", label="kind", elem_id="ex-kind")
    with gr.Row():
        sort = gr.Dropdown(list(SORTS), value="score (rank)", label="sort by", elem_id="ex-sort")
        order = gr.Radio(["desc", "asc"], value="desc", label="order", elem_id="ex-order")
        search = gr.Button("Filter", variant="primary", elem_id="ex-filter")
        prev = gr.Button("< Previous", elem_id="ex-prev")
        number = gr.Number(value=1, precision=0, minimum=1, label="page", elem_id="ex-page")
        nxt = gr.Button("Next >", elem_id="ex-next")
        download = gr.Button("Export CSV (all matches)", elem_id="ex-export")
    found = gr.Markdown(elem_id="ex-count")
    exported = gr.File(label="CSV of all matches", visible=False, elem_id="ex-file", height=60)
    table = gr.Dataframe(interactive=False, max_height=520, elem_id="ex-table")
    picked = gr.Textbox(visible="hidden", elem_id="ex-picked")
    explanation = gr.HTML(elem_id="ex-explanation")
    link = gr.Textbox(visible="hidden", elem_id="ex-link")
    fields = [country, prefix, start, end, minimum, kind, tier, reporter, partner, sort, order, number]
    parts = ExplorerTab(fields, table, found, explanation, link, picked)
    outputs = [table, found, link, number]

    def run(*values):
        return listing(store, list(values))

    def turn(step: int):
        return lambda *values: listing(store, [*values[:-1], max(1, int(values[-1] or 1) + step)])

    def pick(evt: gr.SelectData):
        row = evt.row_value
        fid = str(row[0]) if row else ""
        return explain_flow(store, fid), fid, fid

    def export(*values):
        country_, hs, s, e, m, k, t, r, p, srt, o, _ = values
        try:
            query = explorer_filters(
                country_, hs, s, e, m, k, tier=t, reporter=r, partner=p, sort=srt, order=o
            )
        except TradeSentinelError as exc:
            raise gr.Error(str(exc)) from None
        return gr.File(value=export_csv(store, query), visible=True)

    for event, fn in (
        (search.click, run),
        (prev.click, turn(-1)),
        (nxt.click, turn(1)),
        (number.submit, run),
    ):
        event(fn, fields, outputs, queue=False, show_progress="hidden").then(None, [link], None, js=PUSH_LINK)
    for box in (sort, order):
        box.input(lambda *v: run(*v[:-1], 1), fields, outputs, queue=False, show_progress="hidden").then(
            None, [link], None, js=PUSH_LINK
        )
    table.select(pick, None, [explanation, flow_id, picked]).then(None, [link, picked], None, js=PUSH_PICK)
    download.click(export, fields, [exported])
    return parts


PUSH_LINK = "(q) => { if (q) { history.replaceState(null, '', '?' + q); } return []; }"
"""The URL hook: after a listing, the address bar shows the link that brings this view back."""

PUSH_PICK = """(q, f) => {
  const params = new URLSearchParams(q || 'tab=explorer');
  if (f) params.set('flow_id', f);
  history.replaceState(null, '', '?' + params.toString()); return [];
}"""
"""After a row is picked, the URL names the flow too (opening it shows the explanation)."""
