"""The Dask engine at scale with nothing on the client (issue #18): flows partitioned by the workers,
features built and scored with the calibration and rank on the workers; the client's peak RSS
measured while it drives the run.

The synthetic flows are generated and written by a worker, so the client never holds them. Each
LocalCluster gets a per-worker memory limit; Dask spills a worker's data to disk once it holds
more than `target` of it (the interpreter and libraries, ~250 MiB per worker process, are not data:
pausing and terminating on process memory are left off, see docs/scaling.md). Scoring runs the
exactly distributed detectors (statistical, sanctions) and writes no single scores.parquet
(TRADESENTINEL_SCORES_FILE_ROWS=0): the scores stay in the dataset.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Self

import psutil

from tradesentinel.config import Settings

DETECTORS = ["statistical", "sanctions"]
MEMORY = {
    "distributed.worker.memory.target": 0.6,  # spill a worker's data beyond 60% of its limit
    "distributed.worker.memory.spill": False,  # process memory (interpreter + libraries) is not data
    "distributed.worker.memory.pause": False,
    "distributed.worker.memory.terminate": False,
}


class PeakRSS:
    """The process's resident memory sampled every `every` seconds in a thread: its peak above the
    level at start."""

    def __init__(self, every: float = 0.02) -> None:
        self.every, self.process = every, psutil.Process(os.getpid())
        self.base = self.peak = self.process.memory_info().rss
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def _sample(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, self.process.memory_info().rss)
            self._stop.wait(self.every)

    def __enter__(self) -> Self:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, self.process.memory_info().rss)

    @property
    def delta(self) -> int:
        """Peak bytes above the start."""
        return self.peak - self.base


def write_flows(path: Path, rows: int, seed: int = 3) -> dict[str, float]:
    """Worker task: a synthetic panel of `rows` flows written as the flows table; its rows and
    in-memory bytes (and of its features, estimated from the first 200k rows' build)."""
    import polars as pl

    from benchmarks.synthetic import synthetic_flows
    from tradesentinel import reference
    from tradesentinel.pipeline.features import CANONICAL_ORDER, build_features
    from tradesentinel.storage import write_table

    flows = synthetic_flows(int(rows * 1.1), seed=seed).sort(CANONICAL_ORDER).head(rows)
    write_table(flows, path, "flows")
    sample = flows.head(200_000)
    features = build_features(
        sample, programmes=reference.country_programmes(), controlled=reference.controlled_hs()
    )
    per_row = pl.DataFrame(features.collect()).estimated_size() / max(sample.height, 1)
    return {
        "rows": flows.height,
        "flows_bytes": flows.estimated_size(),
        "feature_bytes": per_row * flows.height,
    }


@contextmanager
def memory_bounded_client(workers: int, memory_limit: int) -> Iterator[object]:
    """A client of a LocalCluster of `workers` one-core processes, each with `memory_limit` bytes."""
    import dask
    from distributed import Client, LocalCluster

    from tradesentinel.pipeline.distributed import ONE_CORE

    with (
        dask.config.set(MEMORY),
        LocalCluster(
            n_workers=workers,
            threads_per_worker=1,
            processes=True,
            host="127.0.0.1",
            dashboard_address=None,
            memory_limit=memory_limit,
            env=ONE_CORE,
        ) as cluster,
        Client(cluster) as client,
    ):
        yield client


def spilled_bytes(client: object) -> int:
    """Bytes the workers have written to disk by spilling since they started."""

    def _spilled(dask_worker: object) -> int:
        metrics = getattr(dask_worker.data, "cumulative_metrics", {})
        return int(metrics.get(("disk-write", "bytes"), 0))

    return sum(client.run(_spilled).values())


def drive(settings: Settings, client: object) -> dict[str, float]:
    """Partition, build features and score on `client`'s cluster; seconds, the client's peak RSS
    above its level at start, and the bytes spilled by the workers."""
    import tradesentinel.detectors.registry  # noqa: F401 -- imported before the baseline: code, not data
    from tradesentinel.detectors.stages import score_on_client
    from tradesentinel.pipeline.distributed import build_features_on_dask

    with PeakRSS() as rss:
        started = time.perf_counter()
        built = build_features_on_dask(settings, client)
        featured = time.perf_counter()
        scored = score_on_client(settings, client, DETECTORS, track=False)
        done = time.perf_counter()
    return {
        "partition_s": built.partition_seconds,
        "features_s": built.feature_seconds,
        "features_total_s": featured - started,
        "score_s": done - featured,
        "detector_worker_s": sum(scored.seconds[d] for d in DETECTORS),  # fit + scoring, over workers
        "rank_s": scored.seconds["rank"],
        "write_s": scored.seconds["write"],
        "total_s": done - started,
        "parts": built.n_parts,
        "client_peak_delta": rss.delta,
        "client_rss": rss.peak,
        "spilled_bytes": spilled_bytes(client),
    }


def settings_for(workdir: Path, partition_rows: int) -> Settings:
    """Settings of a bench run in `workdir`: datasets there, no single scores file."""
    return Settings(
        data_dir=workdir / "data",
        dataset_url=(workdir / "datasets").as_uri(),
        partition_rows=partition_rows,
        scores_file_rows=0,
        explain_top=1000,
    )


def run(rows: int, workdir: Path, memory_limit: int = 2**30, partition_rows: int = 1_000_000) -> dict:
    """1 and 2 workers on the same `rows`-row table (generated by a worker of the first cluster)."""
    settings = settings_for(workdir, partition_rows)
    settings.table_path("flows").parent.mkdir(parents=True, exist_ok=True)
    out: dict = {"rows": rows, "memory_limit": memory_limit, "load_before": os.getloadavg()[0]}
    for workers in (1, 2):
        with memory_bounded_client(workers, memory_limit) as client:
            if workers == 1:
                out |= client.submit(write_flows, settings.table_path("flows"), rows, pure=False).result()
            out[f"w{workers}"] = drive(settings, client)
    out["load_after"] = os.getloadavg()[0]
    return out


def markdown(r: dict) -> str:
    """The figures as docs/BENCHMARKS.md keeps them."""
    gib = 2**30
    lines = [
        (
            f"{r['rows']:,} synthetic rows ({r['flows_bytes'] / gib:.2f} GiB of flows and "
            f"~{r['feature_bytes'] / gib:.2f} GiB of features in memory); per-worker memory limit "
            f"{r['memory_limit'] / gib:.2f} GiB; load average {r['load_before']:.1f} before, {r['load_after']:.1f} after."
        ),
        "",
        "| workers | partition (workers) | features | score (statistical, sanctions; ranked on the workers) | of which detectors (worker-seconds) / calibration and rank / reasons and write | total | rows/s | client peak RSS (above start) | spilled by workers |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for w in (1, 2):
        f = r[f"w{w}"]
        r.setdefault("client_below_1gib", True)
        r["client_below_1gib"] &= f["client_rss"] < gib
        lines.append(
            f"| {w} | {f['partition_s']:.1f} s | {f['features_s']:.1f} s | {f['score_s']:.1f} s | "
            f"{f.get('detector_worker_s', float('nan')):.1f} s / {f.get('rank_s', float('nan')):.1f} s / "
            f"{f.get('write_s', float('nan')):.1f} s | "
            f"{f['total_s']:.1f} s | {r['rows'] / f['total_s'] / 1e3:.0f} k | "
            f"{f['client_rss'] / 2**20:.0f} MiB ({f['client_peak_delta'] / 2**20:+.0f} MiB) | "
            f"{f['spilled_bytes'] / 2**20:.0f} MiB |"
        )
    verdict = "below" if r["client_below_1gib"] else "**above**"
    lines += ["", f"The client's peak RSS stayed {verdict} 1 GiB (the issue's bound for this run)."]
    return "\n".join(lines)
