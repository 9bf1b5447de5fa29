"""Scoring on a Dask cluster: fit on a sample, broadcast the models, score partitions in parallel,
calibrate and rank globally, explain and write each partition, then the ranked scores table.

The feature parts (pipeline.distributed) stay in the workers' memory for the whole run. The
detectors are fitted in one worker task on a seeded sample (rows, and whole series for the
transformer) gathered from every part (detectors.sampled says which scores are then exactly equal to in-process ones), and that
one fitted copy travels to each worker. Tail probabilities and the rank need every row's raw score,
so the client gathers the raw score columns only (8 bytes x detectors per row) and computes them
exactly as `ensemble.score_table` does, over rows in the same (canonical) order; each part then
gets back its slice, explains its top-ranked rows and writes its part of the scores dataset.
"""

from __future__ import annotations

import logging
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from itertools import pairwise
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import polars as pl

from tradesentinel.config import Settings
from tradesentinel.detectors.base import Detector
from tradesentinel.detectors.ensemble import _calibrate, _combine_calibrated, scores_frame
from tradesentinel.detectors.global_scales import robust_scales
from tradesentinel.detectors.sampled import fit_on_sample, in_sample
from tradesentinel.detectors.statistical import StatisticalDetector
from tradesentinel.errors import TableNotFoundError
from tradesentinel.pipeline import datasets
from tradesentinel.pipeline.distributed import flows_version, n_workers
from tradesentinel.storage import write_table

if TYPE_CHECKING:
    from distributed import Client

log = logging.getLogger(__name__)
Progress = Callable[[str, float], None]


def score_part(
    frame: pl.DataFrame, fitted: tuple[list[Detector], dict]
) -> tuple[dict[str, np.ndarray], dict[str, float]]:
    """Worker task: each fitted detector's raw scores of one part, and the seconds each took."""
    raw, seconds = {}, {}
    for detector in fitted[0]:
        started = time.perf_counter()
        raw[detector.name] = np.asarray(detector.score(frame), dtype=np.float64)
        seconds[detector.name] = time.perf_counter() - started
    return raw, seconds


@dataclass(frozen=True)
class Ranked:
    """One part's slice of the global calibration: raw scores, tail probabilities, ensemble score, rank."""

    raw: dict[str, np.ndarray]
    tails: dict[str, np.ndarray]
    score: np.ndarray
    rank: np.ndarray


def write_scores_part(
    frame: pl.DataFrame,
    fitted: tuple[list[Detector], dict],
    ranked: Ranked,
    part: str,
    explain_top: int,
    url: str,
    version: str,
    options: dict[str, Any],
) -> tuple[str, int]:
    """Worker task: one part's scores table (reasons for its rows within the global top) written."""
    table = scores_frame(frame, fitted[0], ranked.raw, ranked.tails, ranked.score, ranked.rank, explain_top)
    return part, datasets.write_part(url, version, part, table.sort("rank"), options)


@dataclass(frozen=True)
class DaskScoreReport:
    """A distributed scoring run: rows, parts, workers, worker-seconds per detector (fit + scoring),
    wall seconds, the scores dataset, the ranked single-file table, the MLflow run."""

    n_rows: int
    n_parts: int
    n_workers: int
    seconds: dict[str, float]
    total_seconds: float
    url: str
    path: Path
    run_id: str | None


def _as_completed(client: Client, futures: list, stage: str, progress: Progress | None) -> list:
    from distributed import as_completed

    for done, _ in enumerate(as_completed(futures), start=1):
        if progress:
            progress(stage, done / len(futures))
    return client.gather(futures)


def score_on_dask(
    settings: Settings,
    client: Client,
    detectors: list[str] | None = None,
    *,
    progress: Progress | None = None,
    track: bool = True,
) -> DaskScoreReport:
    """Score the partitioned features dataset with `detectors` (default: all) on the cluster."""
    from tradesentinel.detectors.registry import DEFAULT, build_detectors  # torch: only the client needs it

    started = time.perf_counter()
    names = list(detectors or DEFAULT)
    chosen = build_detectors(names, seed=settings.demo_seed)
    options = settings.storage_options()
    features = datasets.current(datasets.dataset_url(settings, "features"), options)
    if settings.table_path("flows").exists() and features.meta.get("flows_version") != flows_version(
        settings
    ):
        raise TableNotFoundError(
            "features",
            features.url,
            "tradesentinel features --engine dask",
            reason=f"was built from other flows than {settings.table_path('flows')}",
        )
    frames = client.map(
        datasets.read_part, [features] * len(features.parts), features.parts, options=options, pure=False
    )
    fraction = min(1.0, settings.sample_rows / max(features.n_rows, 1))
    seed = settings.demo_seed
    rows = client.map(in_sample, frames, fraction=fraction, seed=seed, pure=False)
    series = client.map(in_sample, frames, fraction=fraction, seed=seed, whole_series=True, pure=False)
    signals = sorted({s for d in chosen if isinstance(d, StatisticalDetector) for s in d.signals})
    scales = robust_scales(client, frames, signals) if signals else {}
    if progress:
        progress("fit", 0.0)
    rows, series = client.submit(pl.concat, rows, pure=False), client.submit(pl.concat, series, pure=False)
    fitted = client.submit(fit_on_sample, chosen, rows, series, scales, pure=False)
    models, fit_seconds = fitted.result()
    if progress:
        progress("fit", 1.0)
    results = _as_completed(
        client, client.map(score_part, frames, fitted=fitted, pure=False), "score", progress
    )
    seconds = {n: fit_seconds[n] + sum(r[1][n] for r in results) for n in names}
    raw = {n: np.concatenate([r[0][n] for r in results]) for n in names}
    tails = _calibrate(raw)
    ensemble, rank = _combine_calibrated(tails, {d.name: getattr(d, "family", "value") for d in models})
    bounds = np.cumsum([0, *features.rows])
    ranked = [
        Ranked(
            {n: v[a:b] for n, v in raw.items()},
            {n: v[a:b] for n, v in tails.items()},
            ensemble[a:b],
            rank[a:b],
        )
        for a, b in pairwise(bounds)
    ]
    url, version = datasets.dataset_url(settings, "scores"), datasets.new_version()
    written = dict(
        _as_completed(
            client,
            client.map(
                write_scores_part,
                frames,
                [fitted] * len(frames),
                client.scatter(ranked),
                features.parts,
                explain_top=settings.explain_top,
                url=url,
                version=version,
                options=options,
                pure=False,
            ),
            "write",
            progress,
        )
    )
    manifest = datasets.commit(
        url, version, [(p, written[p]) for p in features.parts], options, features.meta
    )
    table = pl.concat([datasets.read_part(manifest, p, options) for p in manifest.parts]).sort("rank")
    path = write_table(table, settings.table_path("scores"))  # the single ranked table the app reads
    total = time.perf_counter() - started
    run_id = _track(settings, models, names, features.n_rows, total, seconds, len(frames)) if track else None
    return DaskScoreReport(features.n_rows, len(frames), n_workers(client), seconds, total, url, path, run_id)


def _track(
    settings: Settings,
    models: list[Detector],
    names: list[str],
    n_rows: int,
    total: float,
    seconds: dict[str, float],
    n_parts: int,
) -> str:
    """Log the run to MLflow like a local scoring run, with the engine and part count."""
    from tradesentinel.detectors.tracking import log_run, save_detectors

    with tempfile.TemporaryDirectory() as tmp:
        saved = save_detectors(models, Path(tmp) / "models")
        return log_run(
            settings,
            "score",
            params={
                "detectors": ",".join(names),
                "rows": n_rows,
                "engine": "dask",
                "parts": n_parts,
                "sample_rows": settings.sample_rows,
                "explain_top": settings.explain_top,
                "seed": settings.demo_seed,
            },
            metrics={"seconds_total": total, **{f"seconds_{k}": v for k, v in seconds.items()}},
            artifacts=[saved],
        )


def score_on_cluster(
    settings: Settings,
    detectors: list[str] | None = None,
    scheduler: str | None = None,
    *,
    progress: Progress | None = None,
    track: bool = True,
) -> DaskScoreReport:
    """`tradesentinel score --engine dask`: connect (or start a LocalCluster), score, disconnect."""
    from tradesentinel.pipeline.distributed import dask_client

    with dask_client(settings, scheduler) as client:
        return score_on_dask(settings, client, detectors, progress=progress, track=track)
