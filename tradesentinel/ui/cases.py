"""Cases tab: what is new on my watchlists, the case list, and one case to work: status, disposition,
assignee, tags, notes, attached flows, its audit log, and export as Markdown or HTML. Every change is
made as the logged-in user (the UI login name), so the audit log says who did what."""

from __future__ import annotations

import functools
import html
import tempfile
from dataclasses import dataclass

import gradio as gr
import polars as pl

from tradesentinel.cases.db import Database
from tradesentinel.cases.report import case_html, case_markdown
from tradesentinel.cases.store import CaseStore
from tradesentinel.cases.types import DISPOSITIONS, STATUSES, Case, CaseChange, CaseOpen
from tradesentinel.cases.watch import WatchIn, Watchlists
from tradesentinel.errors import TradeSentinelError
from tradesentinel.investigate.tables import TableStore

LIST_COLUMNS = ("id", "title", "status", "disposition", "assignee", "tags", "corridor", "updated (UTC)")


def user_of(request: gr.Request | None) -> str:
    """The logged-in user's name (`local` on a server without keys)."""
    return (getattr(request, "username", None) or "local") if request is not None else "local"


def case_rows(cases: CaseStore, status: str) -> pl.DataFrame:
    """The case list as a table."""
    found = cases.list(status=None if status in ("", "all") else status)
    return pl.DataFrame(
        [
            (
                c.id,
                c.title,
                c.status,
                c.disposition or "",
                c.assignee or "",
                ", ".join(c.tags),
                f"{c.reporter}>{c.partner}" + (f" HS {c.hs_code}" if c.hs_code else "") if c.reporter else "",
                f"{c.updated_at:%Y-%m-%d %H:%M}",
            )
            for c in found
        ],
        schema=list(LIST_COLUMNS),
        orient="row",
    )


def case_view(case: Case) -> str:
    """One case as HTML: pins, flows (linked to their explanation), notes and the audit log."""
    esc = html.escape
    flows = "".join(
        f"<li><a href='?flow_id={esc(f.flow_id)}' target='_blank'>{esc(f.flow_id)}</a> "
        f"(added by {esc(f.added_by)})</li>"
        for f in case.flows
    )
    notes = "".join(
        f"<li><b>{esc(n.author)}</b> {n.created_at:%Y-%m-%d %H:%M}: {esc(n.text)}</li>" for n in case.notes
    )
    audit = "".join(
        f"<tr><td>{e.at:%Y-%m-%d %H:%M:%S}</td><td>{esc(e.actor)}</td><td>{esc(e.action)}</td>"
        f"<td>{esc(', '.join(f'{k}: {v}' for k, v in e.detail.items()))}</td></tr>"
        for e in case.audit
    )
    corridor = f"{case.reporter} &rarr; {case.partner}" if case.reporter else "none"
    return f"""<div class="case" data-case-id="{case.id}"><h3>Case {case.id}: {esc(case.title)}</h3>
<p>status <b>{esc(case.status.replace("_", " "))}</b>, disposition <b>{esc((case.disposition or "none").replace("_", " "))}</b>,
assignee {esc(case.assignee or "none")}, tags {esc(", ".join(case.tags) or "none")}; corridor {corridor}
{esc(case.flow or "")} {("HS " + esc(case.hs_code)) if case.hs_code else ""}</p>
<p><small>opened by {esc(case.created_by)} on {case.created_at:%Y-%m-%d %H:%M} UTC on scores version
{esc(case.scores_version or "unknown")}</small></p>
<h4>Flows</h4><ul>{flows or "<li>none attached</li>"}</ul><h4>Notes</h4><ul class="notes">{notes or "<li>none</li>"}</ul>
<h4>Audit log</h4><table class="audit"><tr><th>when (UTC)</th><th>who</th><th>what</th><th>detail</th></tr>{audit}</table></div>"""


def hits_html(watch: Watchlists, user: str) -> str:
    """The user's "new for you" list as HTML."""
    hits = watch.new(user)
    if not hits:
        return "<p id='new-for-you'>Nothing new on your watchlist.</p>"
    items = "".join(
        f"<li>{'<a href=' + repr('?flow_id=' + html.escape(h.ref)) + ' target=_blank>' if h.source == 'anomaly' else ''}"
        f"{html.escape(h.text)}{'</a>' if h.source == 'anomaly' else ''} <small>({html.escape(h.watch_kind)} "
        f"{html.escape(h.watch_value)})</small></li>"
        for h in hits
    )
    return f"<div id='new-for-you'><b>{len(hits)} new for you</b><ul>{items}</ul></div>"


def _write(text: str, suffix: str, case_id: int) -> gr.File:
    with tempfile.NamedTemporaryFile("w", prefix=f"case-{case_id}-", suffix=suffix, delete=False) as out:
        out.write(text)
    return gr.File(value=out.name, visible=True)


@dataclass(frozen=True)
class CasesTab:
    """What deep links and the Explorer fill: the case number and the flow to open a case on."""

    case_id: gr.Number
    view: gr.HTML
    flow_id: gr.Textbox
    loader: tuple  # (fn, inputs, outputs): fills "new for you", my watchlist and the case list on page load


def _fields(case: Case) -> tuple:
    return case.status, case.disposition or "none", case.assignee or "", ", ".join(case.tags)


def guarded(fn):
    """`fn` with domain errors shown to the analyst as a gr.Error (a bug stays a bug)."""

    @functools.wraps(fn)  # gradio reads the signature (gr.Request parameters) through __wrapped__
    def call(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except TradeSentinelError as exc:
            raise gr.Error(str(exc)) from None

    return call


class CaseActions:
    """What the Cases tab's buttons do, as the logged-in user (each returns the outputs it updates)."""

    def __init__(self, store: TableStore, db: Database):
        self.store = store
        self.cases, self.watch = CaseStore(db, store), Watchlists(db, store)

    def show(self, number):
        if not number:
            return "<p>Pick a case number from the list, or open one.</p>", *(gr.update(),) * 4
        case = self.cases.get(int(number))
        return case_view(case), *_fields(case)

    def opened(self, t, f, r, p, state_filter, request: gr.Request):
        new = CaseOpen(
            title=t or "untitled", flow_id=f.strip() or None, reporter=r or None, partner=p or None
        )
        case = self.cases.open(new, user_of(request))
        return case.id, case_view(case), *_fields(case), case_rows(self.cases, state_filter)

    def saved(self, number, st, dis, who, tag_text, state_filter, request: gr.Request):
        change = CaseChange(
            status=st,
            disposition=None if dis == "none" else dis,
            assignee=who.strip() or None,
            tags=[t for t in (tag_text or "").split(",") if t.strip()],
        )
        case = self.cases.change(int(number), change, user_of(request))
        return case_view(case), *_fields(case), case_rows(self.cases, state_filter)

    def noted(self, number, text, request: gr.Request):
        return case_view(self.cases.note(int(number), text.strip(), user_of(request))), ""

    def attached(self, number, fid, request: gr.Request):
        return case_view(self.cases.attach(int(number), fid.strip(), user_of(request))), ""

    def markdown(self, number):
        return _write(case_markdown(self.store, self.cases.get(int(number))), ".md", int(number))

    def html(self, number):
        return _write(case_html(self.store, self.cases.get(int(number))), ".html", int(number))

    def watched(self, k, v, request: gr.Request):
        user = user_of(request)
        self.watch.add(user, WatchIn(kind=k, value=v))
        return self.my_list(user), ""

    def my_list(self, user: str) -> str:
        entries = self.watch.entries(user)
        return "My watchlist: " + (", ".join(f"{e.kind} {e.value}" for e in entries) or "empty")

    def load_side(self, state_filter, request: gr.Request):
        user = user_of(request)
        return hits_html(self.watch, user), self.my_list(user), case_rows(self.cases, state_filter)

    def mark_seen(self, request: gr.Request) -> str:
        self.watch.mark_seen(user_of(request))
        return hits_html(self.watch, user_of(request))


def _pick(evt: gr.SelectData) -> int:
    return int(evt.row_value[0])


def tab(store: TableStore, db: Database) -> CasesTab:
    """The Cases tab's components and events."""
    with gr.Row():
        with gr.Column(scale=1):
            gr.Markdown("### New for you")
            news = gr.HTML(elem_id="ex-new")
            seen = gr.Button("Mark all seen", size="sm", elem_id="watch-seen")
            with gr.Row():
                kind = gr.Dropdown(
                    ["corridor", "hs", "name"], value="corridor", label="watch", elem_id="watch-kind"
                )
                value = gr.Textbox(
                    label="value", placeholder="KGZ>RUS, 8482, a party name", elem_id="watch-value"
                )
            add = gr.Button("Add to my watchlist", size="sm", elem_id="watch-add")
            mine = gr.Markdown(elem_id="watch-list")
        with gr.Column(scale=3):
            with gr.Row():
                status_filter = gr.Dropdown(
                    ["all", *STATUSES], value="all", label="status", elem_id="cases-status"
                )
                refresh = gr.Button("Refresh", size="sm", elem_id="cases-refresh")
            listing = gr.Dataframe(interactive=False, max_height=260, elem_id="cases-table")
            with gr.Row():
                title = gr.Textbox(label="new case: title", elem_id="case-title")
                flow_id = gr.Textbox(label="on flow_id", elem_id="case-flow")
                reporter = gr.Textbox(label="or corridor: reporter", max_length=3, elem_id="case-reporter")
                partner = gr.Textbox(label="partner", max_length=3, elem_id="case-partner")
                open_button = gr.Button("Open case", variant="primary", elem_id="case-open")
    with gr.Row():
        case_id = gr.Number(label="case", precision=0, minimum=1, elem_id="case-id")
        status = gr.Dropdown(list(STATUSES), label="status", elem_id="case-status")
        disposition = gr.Dropdown(["none", *DISPOSITIONS], label="disposition", elem_id="case-disposition")
        assignee = gr.Textbox(label="assignee", elem_id="case-assignee")
        tags = gr.Textbox(label="tags (comma-separated)", elem_id="case-tags")
        save = gr.Button("Save", variant="primary", elem_id="case-save")
    with gr.Row():
        note = gr.Textbox(label="note", lines=2, scale=3, elem_id="case-note")
        add_note = gr.Button("Add note", elem_id="case-add-note")
        attach = gr.Textbox(label="attach flow_id", elem_id="case-attach")
        attach_button = gr.Button("Attach", elem_id="case-attach-button")
        as_md = gr.Button("Export Markdown", elem_id="case-md")
        as_html = gr.Button("Export HTML", elem_id="case-html")
    document = gr.File(label="case document", visible=False, elem_id="case-file", height=60)
    view = gr.HTML(elem_id="case-view")
    shown = [view, status, disposition, assignee, tags]

    act = CaseActions(store, db)
    case_id.change(guarded(act.show), [case_id], shown)
    listing.select(_pick, None, [case_id])
    open_button.click(
        guarded(act.opened), [title, flow_id, reporter, partner, status_filter], [case_id, *shown, listing]
    )
    save.click(
        guarded(act.saved), [case_id, status, disposition, assignee, tags, status_filter], [*shown, listing]
    )
    add_note.click(guarded(act.noted), [case_id, note], [view, note])
    attach_button.click(guarded(act.attached), [case_id, attach], [view, attach])
    as_md.click(guarded(act.markdown), [case_id], [document])
    as_html.click(guarded(act.html), [case_id], [document])
    add.click(guarded(act.watched), [kind, value], [mine, value])
    seen.click(act.mark_seen, None, [news])
    for event in (refresh.click, status_filter.change):
        event(guarded(act.load_side), [status_filter], [news, mine, listing])
    return CasesTab(case_id, view, flow_id, (guarded(act.load_side), [status_filter], [news, mine, listing]))
