"""The real files end to end (issue #14): every file of ../shared/data/real ingested into one data dir,
then features, every registered detector, the evidence index, one explanation and one question, each
stage timed in this process with the user's default settings (the static embedder; the embedded
answer model where installed, else the facts-only backend).

The same pipeline as tests/e2e/test_real_data.py, without its checks, at the default index size.
"""

from __future__ import annotations

import time
from pathlib import Path

import polars as pl

from tradesentinel.config import Settings

SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "data"
QUESTION = "Which flows of HS 440799 look most anomalous?"


def run(workdir: Path) -> dict[str, object]:
    """Seconds per stage (and per detector), rows in and kept, and the end-to-end total."""
    from tradesentinel.assistant.llm import smollm2_path
    from tradesentinel.assistant.service import Assistant
    from tradesentinel.detectors.registry import DEFAULT
    from tradesentinel.detectors.stages import score_flows
    from tradesentinel.investigate.explain import explain
    from tradesentinel.investigate.tables import TableStore
    from tradesentinel.pipeline.ingest_sources import ingest_flow_files
    from tradesentinel.pipeline.run import build_feature_table
    from tradesentinel.retrieval.index import build_index

    files = sorted((SHARED / "real").iterdir())
    backend = "llamacpp" if smollm2_path().is_file() else "none"
    settings = Settings(data_dir=workdir / "data", llm_backend=backend)
    seconds: dict[str, float] = {}
    started = time.perf_counter()

    def lap(stage: str, since: float) -> float:
        now = time.perf_counter()
        seconds[stage] = now - since
        return now

    at = started
    ingested = ingest_flow_files(settings, files)
    at = lap("ingest", at)
    build_feature_table(settings)
    at = lap("features", at)
    scored = score_flows(settings, list(DEFAULT), track=False)
    at = lap("score", at)
    indexed = build_index(settings)
    at = lap("index", at)
    scores = pl.read_parquet(settings.table_path("scores"), columns=["flow_id", "rank", "hs_code"])
    flow_id = scores.filter(pl.col("hs_code") == "440799").sort("rank")["flow_id"][0]
    explain(TableStore(settings), flow_id)
    at = lap("explain", at)
    answer = Assistant(settings).ask(QUESTION)
    lap("ask", at)
    total = time.perf_counter() - started
    return {
        "files": [f.name for f in files],
        "rows_read": ingested.n_read,
        "rows_kept": ingested.n_kept,
        "rows_scored": scored.n_rows,
        "seconds": seconds,
        "detector_seconds": scored.seconds,
        "skipped": scored.notes,
        "indexed": sum(r.n_docs for r in indexed.synced),
        "backend": answer.backend,
        "cited": len(answer.cited),
        "total_seconds": total,
        "rows_per_second": scored.n_rows / total,
    }


def markdown(r: dict) -> str:
    """The figures as the table docs/BENCHMARKS.md shows."""
    lines = [
        (
            f"{len(r['files'])} real files, {r['rows_read']:,} rows read, {r['rows_kept']:,} kept, "
            f"{r['rows_scored']:,} scored; {r['indexed']:,} documents indexed; answer backend "
            f"{r['backend']} ({r['cited']} citations)."
        ),
        "",
        "| stage | seconds |",
        "|---|---|",
    ]
    lines += [f"| {stage} | {s:.1f} |" for stage, s in r["seconds"].items()]
    lines += [
        f"| **end to end** | **{r['total_seconds']:.1f}** ({r['rows_per_second']:,.0f} rows/s) |",
        "",
        "Detectors: "
        + ", ".join(f"{name} {s:.1f} s" for name, s in r["detector_seconds"].items())
        + (f"; skipped: {r['skipped']}" if r["skipped"] else ""),
    ]
    return "\n".join(lines)
