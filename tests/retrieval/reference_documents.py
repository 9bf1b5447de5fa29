"""Evidence documents: tables (scores, HS codes, sanctions, news) -> one short factual text per row.

Row-by-row reference copies of the document builders (tests/retrieval/test_documents_reference.py holds
the vectorised builders to them): hs, sanctions and news as they were before their expression rewrite;
`anomaly_documents` (with `_period_words`) as the row loop wrote it before its own rewrite (issue #17).

Every document has a stable id (the same row gives the same id on every run, so re-indexing is
incremental), its text, and metadata: kind, countries (ISO3), hs_code, date, source, url, plus
collection-specific keys in `extra` (JSON). Pure functions of their input tables.
"""

from __future__ import annotations

import json
import math
from datetime import date
from typing import Any

import polars as pl

from tradesentinel.detectors.base import amount_words, significant
from tradesentinel.detectors.signals import Signal, classify, describe
from tradesentinel.reference import country_name

DOCS: dict[str, pl.DataType] = {
    "doc_id": pl.String(),
    "collection": pl.String(),
    "text": pl.String(),
    "kind": pl.String(),
    "countries": pl.List(pl.String()),
    "hs_code": pl.String(),
    "date": pl.Date(),
    "source": pl.String(),
    "url": pl.String(),
    "extra": pl.String(),  # JSON object of collection-specific metadata
}
"""The columns of every document frame, whatever its collection."""
FLOW_WORDS = {"X": "export to", "M": "import from", "RX": "re-export to", "RM": "re-import from"}


def money(value: float | None) -> str:
    """USD amount in words a reader scans: USD 12.3 million."""
    return amount_words(value, "USD")


def _frame(rows: list[dict[str, Any]]) -> pl.DataFrame:
    return pl.DataFrame(rows, schema=DOCS) if rows else pl.DataFrame(schema=DOCS)


def _period_words(day: date, freq: str | None) -> str:
    """ "period 2023-03 (March 2023)" for a month's trade; "year 2010 (annual total)" for a year's."""
    return f"year {day:%Y} (annual total)" if freq == "A" else f"period {day:%Y-%m} ({day:%B %Y})"


def _hs_words(code: str | None, descriptions: dict[str, str]) -> str:
    """'HS 854231 (desc), heading 8542 (desc), chapter 85 (desc)' as far as descriptions are known."""
    if not code:
        return "HS code unknown"
    parts = [f"HS {code}" + (f" ({descriptions[code]})" if code in descriptions else "")]
    for size, word in ((4, "heading"), (2, "chapter")):
        if len(code) > size and code[:size] in descriptions:
            parts.append(f"{word} {code[:size]} ({descriptions[code[:size]]})")
    return ", ".join(parts)


def _upper_first(text: str) -> str:
    return text[:1].upper() + text[1:]


def _reason_words(reason: dict[str, Any]) -> str:
    """One reason as a sentence: what was compared, observed against expected, the reference, who."""
    unit, where = reason["unit"], f"({reason['comparison']}, {reason['detector']})"
    observed = amount_words(reason["observed"], unit)
    if reason["observed"] is None:
        return f"{reason['label']} {where}"
    if reason.get("expected") is None:
        return f"{reason['label']}: {observed} {where}"
    expected = amount_words(reason["expected"], unit)
    return f"{reason['label']}: observed {observed} against {expected} expected {where}"


def anomaly_documents(
    scores: pl.DataFrame,
    features: pl.DataFrame,
    hs_codes: pl.DataFrame,
    links: pl.DataFrame | None = None,
    top: int = 2000,
) -> pl.DataFrame:
    """The `top` ranked flows as documents: who, what, when, observed vs expected, mirror gap, detectors, score.

    `links` (flow_id, n_linked, linked) adds the sanctions entries located in either country.
    """
    detector_cols = [c for c in scores.columns if c.startswith("score_")]
    ranked = scores.filter(pl.col("rank") <= top).sort("rank")
    wanted = ["flow_id", "freq", "value_usd", "mirror_value_usd", "mirror_gap", "is_new_corridor", "source"]
    ranked = ranked.join(
        features.select([c for c in wanted if c in features.columns]), on="flow_id", how="left"
    )
    if links is not None:
        ranked = ranked.join(links, on="flow_id", how="left")
    descriptions = dict(zip(hs_codes["hs_code"], hs_codes["description"], strict=True))
    rows = []
    for r in ranked.iter_rows(named=True):
        reasons = [x for x in (r["reasons"] or []) if x["signal"] != Signal.CONTEXT]
        signal = classify(reasons)
        demo = r.get("source") == "demo"
        who = (
            f"{country_name(r['reporter'])} ({r['reporter']}) {FLOW_WORDS.get(r['flow'], r['flow'])} "
            f"{country_name(r['partner'])} ({r['partner']})"
        )
        parts = [
            ("DEMO data (synthetic). " if demo else "")
            + f"Anomaly rank {r['rank']}, score {r['score']:.3f}, {describe(signal)}: {who}, "
            f"{_hs_words(r['hs_code'], descriptions)}, {_period_words(r['period'], r.get('freq'))}.",
        ]
        parts += [_upper_first(_reason_words(x)) + "." for x in reasons[:3]]
        if r.get("mirror_value_usd") is not None and r.get("mirror_gap") is not None:
            parts.append(
                f"Mirror: {country_name(r['partner'])} reports {money(r['mirror_value_usd'])} "
                f"(this report is {significant(math.exp(r['mirror_gap']))} times the mirror)."
            )
        if r.get("is_new_corridor"):
            parts.append("New corridor: no trade in this HS code between them before.")
        detectors = sorted(
            ((c.removeprefix("score_"), r[c]) for c in detector_cols if r[c] is not None),
            key=lambda item: -item[1],
        )
        parts.append(
            "Detector scores: " + ", ".join(f"{name} {value:.2f}" for name, value in detectors) + "."
        )
        parts.append(f"Flow id {r['flow_id']}.")
        if r.get("n_linked"):
            parts.append(
                f"Sanctions entries located in {r['reporter']} or {r['partner']}: {r['n_linked']}, "
                f"e.g. {'; '.join(r['linked'])}."
            )
        extra = {
            "flow_id": r["flow_id"],
            "rank": r["rank"],
            "score": r["score"],
            "reporter": r["reporter"],
            "partner": r["partner"],
            "flow": r["flow"],
            "period": f"{r['period']:%Y-%m}",
            "detectors": ",".join(sorted({x["detector"] for x in reasons})),
            "sanctions_links": "; ".join(r.get("linked") or []),
        }
        rows.append(
            {
                "doc_id": f"anomaly:{r['flow_id']}",
                "collection": "anomalies",
                "text": " ".join(parts),
                "kind": signal,
                "countries": [r["reporter"], r["partner"]],
                "hs_code": r["hs_code"],
                "date": r["period"],
                "source": r.get("source") or "scores",
                "url": None,
                "extra": json.dumps(extra),
            }
        )
    return _frame(rows)


def hs_in_use(hs_codes: pl.DataFrame, traded: pl.Series) -> pl.DataFrame:
    """The HS codes that are traded codes or their ancestors (a heading of a traded subheading...)."""
    prefixes = {
        code[:n] for code in traded.drop_nulls().unique().to_list() for n in (2, 4, 6) if len(code) >= n
    }
    return hs_codes.filter(pl.col("hs_code").is_in(sorted(prefixes)))


def hs_documents(hs_codes: pl.DataFrame) -> pl.DataFrame:
    """One document per HS2/HS4/HS6 code: its description and its parents' descriptions."""
    descriptions = dict(zip(hs_codes["hs_code"], hs_codes["description"], strict=True))
    names = {2: "chapter", 4: "heading", 6: "subheading"}
    rows = []
    for r in hs_codes.iter_rows(named=True):
        code, level = r["hs_code"], int(r["level"])
        text = f"HS {names.get(level, 'code')} {code}: {r['description']}."
        if level > 2:
            text += " Part of " + _hs_words(code[: level - 2], descriptions) + "."
        rows.append(
            {
                "doc_id": f"hs:{code}",
                "collection": "hs_codes",
                "text": text,
                "kind": f"hs{level}",
                "countries": [],
                "hs_code": code,
                "date": None,
                "source": r["hs_version"],
                "url": None,
                "extra": json.dumps({"level": level, "parent": r["parent"]}),
            }
        )
    return _frame(rows)


def sanctions_documents(sanctions: pl.DataFrame) -> pl.DataFrame:
    """One document per listed party: names, aliases, programmes, countries, addresses, identifiers."""
    rows = []
    for r in sanctions.iter_rows(named=True):
        demo = r["list"] == "DEMO"
        countries = [c for c in (r["countries"] or []) if c]
        parts = [
            ("FICTITIOUS DEMO entry, not a real listing. " if demo else "")
            + f"{r['list']} sanctions list entry {r['entry_id']}: {r['name']} ({r['entity_type']})."
        ]
        if r["aliases"]:
            parts.append("Also known as: " + "; ".join(r["aliases"][:20]) + ".")
        if r["programmes"]:
            parts.append("Programmes: " + ", ".join(r["programmes"]) + ".")
        if countries:
            parts.append("Countries: " + ", ".join(f"{country_name(c)} ({c})" for c in countries) + ".")
        if r["addresses"]:
            parts.append("Addresses: " + " | ".join(r["addresses"][:5]) + ".")
        if r["identifiers"]:
            parts.append("Identifiers: " + "; ".join(r["identifiers"][:5]) + ".")
        if r["listed_on"]:
            parts.append(f"Listed on {r['listed_on']:%Y-%m-%d}.")
        if r["remarks"]:
            parts.append("Remarks: " + r["remarks"][:500])
        extra = {
            "list": r["list"],
            "entry_id": r["entry_id"],
            "name": r["name"],
            "entity_type": r["entity_type"],
            "aliases": "; ".join(r["aliases"] or []),
            "programmes": ", ".join(r["programmes"] or []),
        }
        rows.append(
            {
                "doc_id": f"sanctions:{r['list']}:{r['entry_id']}",
                "collection": "sanctions",
                "text": " ".join(parts),
                "kind": r["list"],
                "countries": countries,
                "hs_code": None,
                "date": r["listed_on"],
                "source": r["source"],
                "url": None,
                "extra": json.dumps(extra),
            }
        )
    return _frame(rows)


def news_documents(news: pl.DataFrame, mentions: dict[str, list[str]] | None = None) -> pl.DataFrame:
    """One document per news item: date, title, countries; `mentions` adds listed names it names."""
    rows = []
    for r in news.iter_rows(named=True):
        countries = [c for c in (r["countries"] or []) if c]
        demo = r["source"] == "demo"
        text = (
            ("FICTITIOUS DEMO news item. " if demo else "")
            + f"News {r['date']:%Y-%m-%d}: {r['title'].rstrip('.')}."
            + (
                f" Countries: {', '.join(f'{country_name(c)} ({c})' for c in countries)}."
                if countries
                else ""
            )
        )
        named = (mentions or {}).get(r["news_id"], [])
        if named:
            text += " Names matching sanctions entries: " + "; ".join(named) + "."
        extra = {
            "news_id": r["news_id"],
            "title": r["title"],
            "tone": r["tone"],
            "sanctions_matches": "; ".join(named),
        }
        rows.append(
            {
                "doc_id": f"news:{r['news_id']}",
                "collection": "news",
                "text": text,
                "kind": r["source"],
                "countries": countries,
                "hs_code": None,
                "date": r["date"],
                "source": r["source"],
                "url": r["url"],
                "extra": json.dumps(extra),
            }
        )
    return _frame(rows)
