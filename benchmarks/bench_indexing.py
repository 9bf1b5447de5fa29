"""Indexing at real-list scale (issue #17): the shipped OFAC SDN and UN lists plus the demo world, a re-index
with nothing changed, 25,000 sanctions-length documents, peak memory at 200,000 documents, and the first
question after `serve`. Each part runs with the embedder the settings select (the default unless
TRADESENTINEL_EMBEDDER says otherwise); the embedder comparison itself is in bench_retrieval.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

import polars as pl

from benchmarks.machine import peak_rss_mib
from tradesentinel.config import Settings

SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "data"
OFAC = SHARED / "ofac" / "ofac_2021-04_triple"
UN = SHARED / "un" / "un_consolidated_2026-02-27.xml"


def copy_world(world: Path, target: Path) -> Settings:
    """A data dir holding the tables (not the index) of a scored demo world."""
    target.mkdir(parents=True, exist_ok=True)
    for table in world.glob("*.parquet"):
        shutil.copy(table, target / table.name)
    return Settings(data_dir=target, models_dir=target.parent / "models")


def real_lists(world: Path, root: Path) -> dict:
    """Ingest the shipped OFAC SDN and UN lists into a copy of the demo world, index everything, re-index."""
    from tradesentinel.pipeline.ingest_sources import ingest_ofac, ingest_un
    from tradesentinel.retrieval.embed import open_embedder
    from tradesentinel.retrieval.index import build_index

    settings = copy_world(world, root / "real")
    started = time.perf_counter()
    ingest_ofac(settings, OFAC)
    ingest_un(settings, UN)
    ingest_seconds = time.perf_counter() - started
    embedder = open_embedder(settings)
    started = time.perf_counter()
    embedder.embed(["make or load the model"])
    model_seconds = time.perf_counter() - started
    started = time.perf_counter()
    first = build_index(settings)
    first_seconds = time.perf_counter() - started
    started = time.perf_counter()
    again = build_index(settings)  # a new store and embedder, as a second `index` command would have
    again_seconds = time.perf_counter() - started
    return {
        "embedder": embedder.name,
        "data_dir": str(settings.data_dir),
        "ingest_seconds": ingest_seconds,
        "model_seconds": model_seconds,
        "index_seconds": first_seconds,
        "collections": {r.collection: (r.n_docs, r.embed_seconds, r.seconds) for r in first.synced},
        "reindex_seconds": again_seconds,
        "reindex_changed": any(r.changed for r in again.synced),
        "peak_mib": peak_rss_mib(),
    }


def scaled_sanctions(root: Path, n: int = 25_000) -> dict:
    """`n` sanctions-length documents (the real OFAC and UN entries, repeated under new ids) from scratch."""
    from tradesentinel.pipeline.sources.ofac import read_ofac_csv_checked
    from tradesentinel.pipeline.sources.un import read_un_xml
    from tradesentinel.retrieval.documents import sanctions_documents
    from tradesentinel.retrieval.store import EvidenceStore

    entries = pl.concat([read_ofac_csv_checked(OFAC, list_name="OFAC-SDN")[0], read_un_xml(UN)])
    copies = [entries.with_columns(pl.col("entry_id") + f"-{i}") for i in range(n // entries.height + 1)]
    entries = pl.concat(copies).head(n)
    settings = Settings(data_dir=root / "scaled", models_dir=root / "models")
    store = EvidenceStore(settings)
    store.embedder.embed(["load the model"])
    started = time.perf_counter()
    docs = sanctions_documents(entries)
    doc_seconds = time.perf_counter() - started
    report = store.sync(docs, "sanctions")
    total = time.perf_counter() - started
    return {
        "n": docs.height,
        "doc_seconds": doc_seconds,
        "embed_seconds": report.embed_seconds,
        "seconds": total,
    }


def first_ask(
    data_dir: Path, port: int = 7911, question: str = "is Banco Nacional de Cuba on a sanctions list?"
) -> dict:
    """Start `serve` on the indexed data dir, then ask as soon as it answers /health, and again."""
    env = {
        **os.environ,
        "TRADESENTINEL_DATA_DIR": str(data_dir),
        "TRADESENTINEL_MODELS_DIR": str(data_dir.parent / "models"),
    }
    started = time.perf_counter()
    server = subprocess.Popen(
        [sys.executable, "-m", "tradesentinel.cli", "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    warmed: list[float] = []
    log = data_dir.parent / "serve.log"

    def watch() -> None:
        with open(log, "w") as out:
            for line in server.stderr or []:
                out.write(f"{time.perf_counter() - started:7.2f} {line}")
                if "warmed" in line and not warmed:
                    warmed.append(time.perf_counter() - started)

    threading.Thread(target=watch, daemon=True).start()
    base = f"http://127.0.0.1:{port}"
    try:
        while True:
            try:
                urllib.request.urlopen(f"{base}/health", timeout=5).read()
                break
            except OSError:
                if time.perf_counter() - started > 300:
                    raise
                time.sleep(0.2)
        ready = time.perf_counter() - started
        asks = []
        for attempt in range(3):
            if attempt == 2:  # the third question waits until the warm-up said it was done
                log_file = data_dir / "logs" / "tradesentinel.log"
                while time.perf_counter() - started < 300 and "warmed up" not in log_file.read_text():
                    time.sleep(0.2)
                warmed.append(time.perf_counter() - started)
            request = urllib.request.Request(
                f"{base}/ask",
                data=json.dumps({"question": question}).encode(),
                headers={"Content-Type": "application/json"},
            )
            begin = time.perf_counter()
            body = json.loads(urllib.request.urlopen(request, timeout=300).read())
            asks.append(time.perf_counter() - begin)
        return {
            "ready_seconds": ready,
            "asks": asks,
            "warmed_seconds": warmed[0] if warmed else None,
            "answer": str(body)[:200],
        }
    finally:
        server.terminate()
        server.wait(30)


def big_index(root: Path, n_docs: int = 200_000) -> dict:
    """Peak RSS and time of indexing `n_docs` synthetic anomaly documents for real, in a fresh process."""
    doc_seconds = _big_documents(root, n_docs)
    done = subprocess.run(
        [sys.executable, "-m", "benchmarks.bench_indexing", "big", str(root), str(n_docs)],
        check=True,
        capture_output=True,
        text=True,
    )
    return json.loads(done.stdout.strip().splitlines()[-1]) | {"doc_seconds": doc_seconds}


def _big(root: Path, n_docs: int) -> dict:
    """Index `n_docs` documents written beforehand (by `_big_documents`, another process): the peak RSS
    is the index's own, not that of making 200k synthetic flows."""
    from tradesentinel.retrieval.store import EvidenceStore

    settings = Settings(data_dir=root / "big", models_dir=root / "models")
    docs = pl.read_parquet(root / "big_documents.parquet")
    store = EvidenceStore(settings)
    report = store.sync(docs, "anomalies")
    return {
        "n_docs": docs.height,
        "embedder": store.embedder.name,
        "embed_seconds": report.embed_seconds,
        "sync_seconds": report.seconds,
        "peak_mib": peak_rss_mib(),
        "data_dir": str(settings.data_dir),
    }


def _big_documents(root: Path, n_docs: int) -> float:
    """Write `n_docs` synthetic anomaly documents (real countries and HS codes) for `_big`; seconds taken."""
    from benchmarks.bench_retrieval import synthetic_scores
    from tradesentinel.retrieval.documents import anomaly_documents

    started = time.perf_counter()
    scores, feats, hs = synthetic_scores(n_docs)
    anomaly_documents(scores, feats, hs, top=n_docs).write_parquet(root / "big_documents.parquet")
    return time.perf_counter() - started


if __name__ == "__main__":
    if sys.argv[1] == "big":
        print(json.dumps(_big(Path(sys.argv[2]), int(sys.argv[3]))))
