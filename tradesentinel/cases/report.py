"""A case as a document to file or send: Markdown or HTML with its pins, notes and audit log, and for each
attached flow the explanation (reasons observed vs expected, a narrative whose [n] cite the numbered
evidence listed under it)."""

from __future__ import annotations

import html

from tradesentinel.cases.types import Case
from tradesentinel.detectors.base import amount_words
from tradesentinel.errors import NotFoundError
from tradesentinel.investigate.explain import explain
from tradesentinel.investigate.tables import TableStore
from tradesentinel.investigate.types import Explanation
from tradesentinel.reference import FLOW_WORDS, country_name


def _subject(case: Case) -> str:
    if not case.reporter:
        return "no corridor"
    words = FLOW_WORDS.get(case.flow or "", "->")
    hs = f", HS {case.hs_code}" if case.hs_code else ""
    return f"{country_name(case.reporter)} ({case.reporter}) {words} {country_name(case.partner or '')} ({case.partner}){hs}"


def _explanations(tables: TableStore, case: Case) -> list[tuple[str, Explanation | None]]:
    out: list[tuple[str, Explanation | None]] = []
    for flow in case.flows:
        try:
            out.append((flow.flow_id, explain(tables, flow.flow_id)))
        except NotFoundError:  # scored again since: the flow is no longer in the scores
            out.append((flow.flow_id, None))
    return out


def _header_lines(case: Case) -> list[tuple[str, str]]:
    return [
        ("Status", case.status.replace("_", " ")),
        ("Disposition", (case.disposition or "none yet").replace("_", " ")),
        ("Assignee", case.assignee or "unassigned"),
        ("Tags", ", ".join(case.tags) or "none"),
        ("Subject", _subject(case)),
        ("Opened", f"{case.created_at:%Y-%m-%d %H:%M} UTC by {case.created_by}"),
        ("Scores version", case.scores_version or "unknown"),
        ("Data versions", ", ".join(f"{k} {v}" for k, v in case.data_versions.items() if v) or "none"),
    ]


def case_markdown(tables: TableStore, case: Case) -> str:
    """The case as Markdown."""
    lines = [f"# Case {case.id}: {case.title}", ""]
    lines += [f"- **{k}**: {v}" for k, v in _header_lines(case)]
    lines += ["", "## Notes", ""]
    lines += [f"- {n.created_at:%Y-%m-%d %H:%M} {n.author}: {n.text}" for n in case.notes] or ["No notes."]
    lines += ["", "## Flows", ""]
    explained = _explanations(tables, case)
    if any(r is not None and r.anomaly.demo for _, r in explained):
        lines += ["DEMO data: synthetic flows; sanctions and news in the demo are fictitious.", ""]
    for flow_id, result in explained:
        if result is None:
            lines += [
                f"### {flow_id}",
                "",
                "No longer in the scores (scored again since the case was opened).",
                "",
            ]
            continue
        a = result.anomaly
        words = FLOW_WORDS.get(a.flow, a.flow)
        lines += [
            f"### {a.period:%Y-%m} {a.reporter} {words} {a.partner}, HS {a.hs_code} ({flow_id})",
            "",
            f"{result.hs_description or ''}",
            "",
            f"Score {a.score:.4f}, rank {a.rank:,}, kind {a.kind}; value {amount_words(a.value_usd, 'USD')}.",
            "",
            result.narrative.text,
            "",
            "| detector | what was compared | observed | expected |",
            "|---|---|---|---|",
        ]
        lines += [
            f"| {r.detector} | {r.label} {r.comparison} | {amount_words(r.observed, r.unit)} | "
            f"{amount_words(r.expected, r.unit)} |"
            for r in a.reasons
        ]
        lines += ["", "Evidence:", ""]
        lines += [
            f"{e.n}. [{e.collection}] {e.text}" + (f" <{e.url}>" if e.url else "") for e in result.evidence
        ]
        lines.append("")
    lines += ["## Audit log", ""]
    lines += [f"- {e.at:%Y-%m-%d %H:%M:%S} {e.actor} {e.action} {_detail(e.detail)}" for e in case.audit]
    return "\n".join(lines) + "\n"


def _detail(detail: dict) -> str:
    if "field" in detail:
        return f"{detail['field']}: {detail.get('old')!r} -> {detail.get('new')!r}"
    return ", ".join(f"{k} {v}" for k, v in detail.items())


def case_html(tables: TableStore, case: Case) -> str:
    """The case as a standalone HTML page (every value escaped)."""
    esc = html.escape
    parts = [
        "<!doctype html><html><head><meta charset='utf-8'>",
        f"<title>Case {case.id}: {esc(case.title)}</title>",
        (
            "<style>body{font-family:sans-serif;max-width:60rem;margin:2rem auto}td,th{border:1px solid #ccc;"
            "padding:.2rem .4rem}table{border-collapse:collapse}</style></head><body>"
        ),
        f"<h1>Case {case.id}: {esc(case.title)}</h1><ul>",
        *(f"<li><b>{esc(k)}</b>: {esc(v)}</li>" for k, v in _header_lines(case)),
        "</ul><h2>Notes</h2><ul>",
        *(f"<li>{n.created_at:%Y-%m-%d %H:%M} {esc(n.author)}: {esc(n.text)}</li>" for n in case.notes),
        "</ul><h2>Flows</h2>",
    ]
    for flow_id, result in _explanations(tables, case):
        if result is None:
            parts.append(f"<h3>{esc(flow_id)}</h3><p>No longer in the scores.</p>")
            continue
        a = result.anomaly
        parts += [
            (
                f"<section class='flow' id='flow-{esc(flow_id)}'><h3>{a.period:%Y-%m} {esc(a.reporter)} "
                f"{esc(FLOW_WORDS.get(a.flow, a.flow))} {esc(a.partner)}, HS {esc(a.hs_code)}</h3>"
            ),
            f"<p>{esc(result.hs_description or '')}</p>",
            f"<p>Score {a.score:.4f}, rank {a.rank:,}, kind {esc(a.kind)}</p>",
            f"<p class='narrative'>{esc(result.narrative.text)}</p>",
            "<table><tr><th>detector</th><th>what was compared</th><th>observed</th><th>expected</th></tr>",
            *(
                f"<tr><td>{esc(r.detector)}</td><td>{esc(r.label)} {esc(r.comparison)}</td>"
                f"<td>{esc(amount_words(r.observed, r.unit))}</td><td>{esc(amount_words(r.expected, r.unit))}</td></tr>"
                for r in a.reasons
            ),
            "</table><ol class='evidence'>",
            *(
                f"<li value='{e.n}'>[{esc(e.collection)}] {esc(e.text)}"
                + (f" <a href='{esc(e.url)}'>source</a>" if e.url else "")
                + "</li>"
                for e in result.evidence
            ),
            "</ol></section>",
        ]
    parts += ["<h2>Audit log</h2><ul>"]
    parts += [
        f"<li>{e.at:%Y-%m-%d %H:%M:%S} {esc(e.actor)} {esc(e.action)} {esc(_detail(e.detail))}</li>"
        for e in case.audit
    ]
    parts.append("</ul></body></html>")
    return "".join(parts)
