"""Evidence documents: tables (scores, HS codes, sanctions, news) -> one short factual text per row.

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
from tradesentinel.retrieval.doc_exprs import country_words, hs_words_expr, names_of, present

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


def as_docs(frame: pl.DataFrame) -> pl.DataFrame:
    """`frame`'s DOCS columns in order and with their types."""
    return frame.select([pl.col(c).cast(t) for c, t in DOCS.items()])


def hs_documents(hs_codes: pl.DataFrame) -> pl.DataFrame:
    """One document per HS2/HS4/HS6 code: its description and its parents' descriptions."""
    if hs_codes.height == 0:
        return pl.DataFrame(schema=DOCS)
    descriptions = dict(zip(hs_codes["hs_code"], hs_codes["description"], strict=True))
    code, level = pl.col("hs_code"), pl.col("level").cast(pl.Int64)
    word = level.replace_strict(
        {2: "chapter", 4: "heading", 6: "subheading"}, default="code", return_dtype=pl.String
    )
    parent = code.str.slice(0, level - 2)
    text = pl.concat_str(
        pl.lit("HS "),
        word,
        pl.lit(" "),
        code,
        pl.lit(": "),
        pl.col("description"),
        pl.lit("."),
        pl.when(level > 2).then(pl.lit(" Part of ") + hs_words_expr(parent, descriptions) + pl.lit(".")),
        ignore_nulls=True,
    )
    return as_docs(
        hs_codes.with_columns(
            pl.concat_str(pl.lit("hs:"), code).alias("doc_id"),
            pl.lit("hs_codes").alias("collection"),
            text.alias("text"),
            pl.concat_str(pl.lit("hs"), level.cast(pl.String)).alias("kind"),
            pl.lit([], dtype=pl.List(pl.String)).alias("countries"),
            pl.lit(None, dtype=pl.Date).alias("date"),
            pl.col("hs_version").alias("source"),
            pl.lit(None, dtype=pl.String).alias("url"),
            pl.struct(level.alias("level"), pl.col("parent")).struct.json_encode().alias("extra"),
        )
    )


def sanctions_documents(sanctions: pl.DataFrame) -> pl.DataFrame:
    """One document per listed party: names, aliases, programmes, countries, addresses, identifiers."""
    if sanctions.height == 0:
        return pl.DataFrame(schema=DOCS)
    frame = sanctions.with_columns(
        pl.col("countries").list.eval(pl.element().filter(pl.element().fill_null("") != "")).fill_null([])
    )
    names = names_of(frame["countries"])

    def listed(column: str, label: str, separator: str, most: int | None = None) -> pl.Expr:
        values = pl.col(column).list.head(most) if most else pl.col(column)
        return pl.when(present(column)).then(pl.lit(label) + values.list.join(separator) + pl.lit("."))

    demo = pl.col("list") == "DEMO"
    text = pl.concat_str(
        pl.when(demo).then(pl.lit("FICTITIOUS DEMO entry, not a real listing. ")).otherwise(pl.lit("")),
        pl.format("{} sanctions list entry {}: {} ({}).", "list", "entry_id", "name", "entity_type"),
        listed("aliases", " Also known as: ", "; ", 20),
        listed("programmes", " Programmes: ", ", "),
        pl.when(present("countries")).then(
            pl.lit(" Countries: ") + country_words(pl.col("countries"), names) + pl.lit(".")
        ),
        listed("addresses", " Addresses: ", " | ", 5),
        listed("identifiers", " Identifiers: ", "; ", 5),
        pl.when(pl.col("listed_on").is_not_null()).then(
            pl.lit(" Listed on ") + pl.col("listed_on").dt.strftime("%Y-%m-%d") + pl.lit(".")
        ),
        pl.when(pl.col("remarks").fill_null("") != "").then(
            pl.lit(" Remarks: ") + pl.col("remarks").str.slice(0, 500)
        ),
        ignore_nulls=True,
    )
    extra = pl.struct(
        "list",
        "entry_id",
        "name",
        "entity_type",
        pl.col("aliases").list.join("; ").fill_null("").alias("aliases"),
        pl.col("programmes").list.join(", ").fill_null("").alias("programmes"),
        pl.lit("listed").alias("status"),
    ).struct.json_encode()
    return as_docs(
        frame.with_columns(
            pl.format("sanctions:{}:{}", "list", "entry_id").alias("doc_id"),
            pl.lit("sanctions").alias("collection"),
            text.alias("text"),
            pl.col("list").alias("kind"),
            pl.lit(None, dtype=pl.String).alias("hs_code"),
            pl.col("listed_on").alias("date"),
            pl.lit(None, dtype=pl.String).alias("url"),
            extra.alias("extra"),
        )
    )


def news_documents(news: pl.DataFrame, mentions: dict[str, list[str]] | None = None) -> pl.DataFrame:
    """One document per news item: date, title, countries; `mentions` adds listed names it names."""
    if news.height == 0:
        return pl.DataFrame(schema=DOCS)
    named = pl.DataFrame(
        {"news_id": list((mentions or {}).keys()), "named": list((mentions or {}).values())},
        schema={"news_id": pl.String, "named": pl.List(pl.String)},
    )
    frame = news.with_columns(
        pl.col("countries").list.eval(pl.element().filter(pl.element().fill_null("") != "")).fill_null([])
    ).join(named, on="news_id", how="left", maintain_order="left")
    names = names_of(frame["countries"])
    text = pl.concat_str(
        pl.when(pl.col("source") == "demo").then(pl.lit("FICTITIOUS DEMO news item. ")).otherwise(pl.lit("")),
        pl.lit("News "),
        pl.col("date").dt.strftime("%Y-%m-%d"),
        pl.lit(": "),
        pl.col("title").str.strip_chars_end("."),
        pl.lit("."),
        pl.when(present("countries")).then(
            pl.lit(" Countries: ") + country_words(pl.col("countries"), names) + pl.lit(".")
        ),
        pl.when(present("named")).then(
            pl.lit(" Names matching sanctions entries: ") + pl.col("named").list.join("; ") + pl.lit(".")
        ),
        ignore_nulls=True,
    )
    extra = pl.struct(
        "news_id", "title", "tone", pl.col("named").list.join("; ").fill_null("").alias("sanctions_matches")
    ).struct.json_encode()
    return as_docs(
        frame.with_columns(
            pl.concat_str(pl.lit("news:"), pl.col("news_id")).alias("doc_id"),
            pl.lit("news").alias("collection"),
            text.alias("text"),
            pl.col("source").alias("kind"),
            pl.lit(None, dtype=pl.String).alias("hs_code"),
            extra.alias("extra"),
        )
    )
