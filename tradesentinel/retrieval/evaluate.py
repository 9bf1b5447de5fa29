"""Retrieval quality on the demo world: a labelled query set (question -> documents that must come back).

Queries are written the way an analyst would ask, not copied from the documents: corridors in
words with the month spelt out, listed names misspelt or romanised another way, press reports
paraphrased, HS codes and flow ids as typed. Each query knows the document ids that answer it.
Metrics: recall@k (share of the relevant documents, up to k, found in the top k) and MRR.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import polars as pl

from tradesentinel.detectors.signals import SANCTIONS_SIDE
from tradesentinel.reference import country_name
from tradesentinel.retrieval.hits import Searcher, SearchFilters

FLOW_VERBS = {
    "X": ("exports of", "to"),
    "M": ("imports of", "from"),
    "RX": ("re-exports of", "to"),
    "RM": ("re-imports of", "from"),
}


NEWS_WORDS = {
    "one-month surge": "a sudden jump in",
    "customs gap": "under-declared",
    "odd prices": "mispriced",
    "lasting change": "a step change in",
    "implausible figures": "data errors on",
}
"""How an analyst would put each demo headline's story."""


def _hs_in(text: str) -> str:
    found = re.search(r"HS (\d{2,6})", text)
    return found.group(1) if found else ""


@dataclass(frozen=True)
class LabelledQuery:
    """A question, the filters an analyst would set, and the documents that must come back."""

    kind: str
    query: str
    relevant: tuple[str, ...]
    filters: SearchFilters | None = None


def _goods(hs_code: str, descriptions: dict[str, str]) -> str:
    text = descriptions.get(hs_code) or descriptions.get(hs_code[:4]) or "goods"
    return text.split(";")[0].split("(")[0].strip().lower()


def _misspell(name: str, rng: np.random.Generator) -> str:
    """Another spelling of a listed name: other romanisation or one typo, and another legal form."""
    words = name.split()
    swaps = (("kh", "h"), ("Kh", "H"), ("v", "w"), ("iy", "y"), ("ks", "x"), ("ay", "ai"), ("ts", "tz"))
    out = []
    for word in words:
        if word.isupper() and len(word) <= 4:  # a legal form: say it another way
            out.append(
                {"LLC": "Ltd", "OOO": "LLC", "JSC": "AO", "TOO": "LLP", "FZE": "FZCO", "LTD": "Limited"}.get(
                    word, word
                )
            )
            continue
        for old, new in swaps:
            if old in word:
                word = word.replace(old, new, 1)
                break
        else:
            cut = int(rng.integers(1, max(2, len(word) - 1)))
            word = word[:cut] + word[cut + 1 :]
        out.append(word)
    return " ".join(out)


def _with_extra(catalog: pl.DataFrame) -> pl.DataFrame:
    """The catalog with its JSON `extra` metadata as columns."""
    extra = pl.DataFrame([json.loads(e or "{}") for e in catalog["extra"]], infer_schema_length=None)
    return catalog.hstack(extra.select([c for c in extra.columns if c not in catalog.columns]))


def demo_queries(
    catalogs: dict[str, pl.DataFrame],
    hs_codes: pl.DataFrame,
    seed: int = 0,
    n_corridor: int = 40,
    n_ids: int = 10,
    n_hs: int = 20,
) -> list[LabelledQuery]:
    """The labelled query set, built from the indexed demo catalogs (anomalies, hs_codes, sanctions, news)."""
    rng = np.random.default_rng(seed)
    descriptions = dict(zip(hs_codes["hs_code"], hs_codes["description"], strict=True))
    queries: list[LabelledQuery] = []
    anomalies = _with_extra(catalogs["anomalies"])
    for r in anomalies.sample(min(n_corridor, anomalies.height), seed=seed).iter_rows(named=True):
        verb, prep = FLOW_VERBS.get(r["flow"], ("trade in", "with"))
        code = f" (HS {r['hs_code']})" if rng.random() < 0.5 else ""
        text = (
            f"{country_name(r['reporter'])} {verb} {_goods(r['hs_code'], descriptions)}{code} {prep} "
            f"{country_name(r['partner'])} in {r['date']:%B %Y}"
        )
        queries.append(LabelledQuery("anomaly_corridor", text, (r["doc_id"],)))
    for r in anomalies.sample(min(n_ids, anomalies.height), seed=seed + 1).iter_rows(named=True):
        queries.append(LabelledQuery("anomaly_id", f"why is flow {r['flow_id']} flagged?", (r["doc_id"],)))
    sanctions = _with_extra(catalogs["sanctions"])
    demo = sanctions.filter(pl.col("list") == "DEMO")
    for r in demo.iter_rows(named=True):
        queries.append(
            LabelledQuery(
                "sanctions_name", f"is {_misspell(r['name'], rng)} on a sanctions list?", (r["doc_id"],)
            )
        )
    news = catalogs["news"]
    for hub in sorted({c for cs in demo["countries"] for c in cs}):
        entities = demo.filter(pl.col("countries").list.contains(hub) & (pl.col("entity_type") == "entity"))
        queries.append(
            LabelledQuery(
                "sanctions_country",
                f"listed front companies registered in {country_name(hub)}",
                tuple(entities["doc_id"]),
            )
        )
        onward = anomalies.filter(
            (pl.col("reporter") == hub)
            & (pl.col("partner") == "RUS")
            & pl.col("kind").is_in([s.value for s in SANCTIONS_SIDE])
        )
        reports = news.filter(
            pl.col("countries").list.contains(hub) & pl.col("countries").list.contains("RUS")
        )
        for hs in sorted(set(onward["hs_code"])):
            relevant = tuple(onward.filter(pl.col("hs_code") == hs)["doc_id"])
            queries.append(
                LabelledQuery(
                    "diversion",
                    f"{_goods(hs, descriptions)} sent on from {country_name(hub)} to Russia",
                    relevant,
                    SearchFilters(countries=(hub,), hs_prefix=hs[:4]),
                )
            )
        for r in reports.iter_rows(named=True):
            goods = _goods(_hs_in(r["text"]), descriptions)
            if "trader" in r["text"]:
                text = (
                    f"is any {country_name(hub)} company under investigation for sending {goods} to Russia?"
                )
            else:
                text = f"reports of {country_name(hub)} passing {goods} on to Russia"
            queries.append(LabelledQuery("news", text, (r["doc_id"],), SearchFilters(kinds=("demo",))))
    for r in news.filter(~pl.col("countries").list.contains("RUS")).iter_rows(named=True):
        what = next((v for k, v in NEWS_WORDS.items() if k in r["text"]), "unusual")
        names = " and ".join(country_name(c) for c in r["countries"])
        text = f"news on {what} {_goods(_hs_in(r['text']), descriptions)} between {names}"
        queries.append(LabelledQuery("news", text, (r["doc_id"],)))
    hs_docs = catalogs["hs_codes"]
    for r in hs_docs.sample(min(n_hs, hs_docs.height), seed=seed + 2).iter_rows(named=True):
        queries.append(LabelledQuery("hs_code", f"what does HS {r['hs_code']} cover?", (r["doc_id"],)))
    return queries


DRAWS = 4
"""Draws of the query set an embedder comparison pools (`query_draws`). One draw is about 112
queries, so one query moves its recall by 0.9 points, and the anomalies it samples move with every
change to the detectors: on the same index a single draw put the default embedder 2.7 points
below MiniLM and another 2.7 points above it. Four draws average that out."""


def query_draws(
    catalogs: dict[str, pl.DataFrame], hs_codes: pl.DataFrame, draws: int = DRAWS
) -> list[LabelledQuery]:
    """`draws` draws of the labelled query set (seeds 0, 1, ...), one after the other."""
    return [q for seed in range(draws) for q in demo_queries(catalogs, hs_codes, seed=seed)]


def evaluate(searcher: Searcher, queries: Sequence[LabelledQuery], k: int = 5) -> pl.DataFrame:
    """Per query: recall@k, reciprocal rank (within 10), and the top ids; one row per query."""
    rows = []
    for q in queries:
        hits = searcher.search(q.query, k=max(k, 10), filters=q.filters)
        found = [h.doc_id for h in hits]
        relevant = set(q.relevant)
        recall = len(relevant & set(found[:k])) / max(1, min(len(relevant), k)) if relevant else 0.0
        rank = next((i + 1 for i, d in enumerate(found) if d in relevant), None)
        rows.append(
            {
                "kind": q.kind,
                "query": q.query,
                "n_relevant": len(relevant),
                f"recall_at_{k}": recall,
                "reciprocal_rank": 1.0 / rank if rank else 0.0,
                "top": json.dumps(found[:k]),
            }
        )
    return pl.DataFrame(rows)


def summary(per_query: pl.DataFrame, k: int = 5) -> pl.DataFrame:
    """Recall@k and MRR per query kind and overall."""
    metrics = [
        pl.len().alias("queries"),
        pl.col(f"recall_at_{k}").mean(),
        pl.col("reciprocal_rank").mean().alias("mrr"),
    ]
    by_kind = per_query.group_by("kind").agg(metrics).sort("kind")
    return pl.concat([by_kind, per_query.select(pl.lit("all").alias("kind"), *metrics)])
