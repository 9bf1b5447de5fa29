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

import copy
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from itertools import pairwise
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import polars as pl

from tradesentinel.config import Settings
from tradesentinel.detectors.base import BaseDetector
from tradesentinel.detectors.calibration import QUANTILES
from tradesentinel.detectors.ensemble import combine, member_of, scores_frame
from tradesentinel.detectors.global_scales import quantiles as global_quantiles
from tradesentinel.detectors.global_scales import sorted_finite
from tradesentinel.detectors.sampled import fit_on_sample, in_sample, statistical_magnitudes
from tradesentinel.detectors.statistical import StatisticalDetector, scored_signals
from tradesentinel.errors import TableNotFoundError
from tradesentinel.pipeline import datasets
from tradesentinel.pipeline.distributed import flows_version, gather_as_completed, n_workers
from tradesentinel.storage import write_table

if TYPE_CHECKING:
    from distributed import Client

log = logging.getLogger(__name__)
Progress = Callable[[str, float], None]


def _on_part(detectors: list[BaseDetector], frame: pl.DataFrame) -> list[BaseDetector]:
    """The detectors to use on one part: those that fit locally fitted on it, the others as given."""
    return [copy.deepcopy(d).fit(frame) if d.fits_locally else d for d in detectors]


def score_part(
    frame: pl.DataFrame, fitted: tuple[list[BaseDetector], dict]
) -> tuple[dict[str, np.ndarray], dict[str, float], pl.DataFrame | None, np.ndarray]:
    """Worker task: each detector's raw scores of one part, the seconds each took, the part's
    diversion findings (when the diversion detector ran), and its flow ids' hashes (last ties)."""
    raw, seconds, found = {}, {}, None
    for detector in fitted[0]:
        started = time.perf_counter()
        (detector,) = _on_part([detector], frame)
        raw[detector.name] = np.asarray(detector.score(frame), dtype=np.float64)
        seconds[detector.name] = time.perf_counter() - started
        found = getattr(detector, "corridors_", found)
    return raw, seconds, found, frame["flow_id"].hash(0).to_numpy()


@dataclass(frozen=True)
class Ranked:
    """One part's slice of the global calibration: raw scores, tail probabilities, ensemble score, rank."""

    raw: dict[str, np.ndarray]
    tails: dict[str, np.ndarray]
    score: np.ndarray
    rank: np.ndarray
    n_ranked: int  # flows in the whole run (the tiers are shares of it)


def write_scores_part(
    frame: pl.DataFrame,
    fitted: tuple[list[BaseDetector], dict],
    ranked: Ranked,
    part: str,
    explain_top: int,
    url: str,
    version: str,
    options: dict[str, Any],
) -> tuple[str, int]:
    """Worker task: one part's scores table (reasons for its rows within the global top) written."""
    detectors = _on_part(fitted[0], frame)
    table = scores_frame(
        frame, detectors, ranked.raw, ranked.tails, ranked.score, ranked.rank, explain_top, ranked.n_ranked
    )
    return part, datasets.write_part(url, version, part, table.sort("rank"), options)


@dataclass(frozen=True)
class DaskScoring:
    """What the Dask engine did: the fitted models, rows, parts, workers, worker-seconds per detector
    (fit + scoring), the scores dataset and the ranked single-file table."""

    models: list[BaseDetector]
    n_rows: int
    n_parts: int
    n_workers: int
    seconds: dict[str, float]
    url: str
    path: Path
    diversion: pl.DataFrame | None = None


def score_on_dask(
    settings: Settings,
    client: Client,
    detectors: list[BaseDetector],
    *,
    seed: int,
    progress: Progress | None = None,
) -> DaskScoring:
    """Fit `detectors` on a seeded sample of the partitioned features dataset, score every part on the
    cluster, rank globally, write the scores (detectors.stages builds the detectors and logs the run)."""
    names = [d.name for d in detectors]
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
    rows = client.map(in_sample, frames, fraction=fraction, seed=seed, pure=False)
    series = client.map(in_sample, frames, fraction=fraction, seed=seed, whole_series=True, pure=False)
    quantiles = {}
    statistical = [d for d in detectors if isinstance(d, StatisticalDetector)]
    if statistical:
        names = list(scored_signals())
        magnitudes = client.map(statistical_magnitudes, frames, detector=statistical[0], pure=False)
        parts = client.map(sorted_finite, magnitudes, columns=names, pure=False)
        found = global_quantiles(client, parts, names, QUANTILES)
        quantiles = {n: (0.0, 0.0, 0.0) if np.isnan(q[0]) else q for n, q in found.items()}
    if progress:
        progress("fit", 0.0)
    rows, series = client.submit(pl.concat, rows, pure=False), client.submit(pl.concat, series, pure=False)
    fitted = client.submit(fit_on_sample, detectors, rows, series, quantiles, pure=False)
    models, fit_seconds = fitted.result()
    if progress:
        progress("fit", 1.0)
    results = gather_as_completed(
        client, client.map(score_part, frames, fitted=fitted, pure=False), "score", progress
    )
    names = [d.name for d in detectors]
    seconds = {n: fit_seconds[n] + sum(r[1][n] for r in results) for n in names}
    raw = {n: np.concatenate([r[0][n] for r in results]) for n in names}
    keys = np.concatenate([r[3] for r in results])
    ensemble, rank, tails = combine(raw, {d.name: member_of(d) for d in models}, keys)
    tables = [r[2] for r in results if r[2] is not None]
    bounds = np.cumsum([0, *features.rows])
    ranked = [
        Ranked(
            {n: v[a:b] for n, v in raw.items()},
            {n: v[a:b] for n, v in tails.items()},
            ensemble[a:b],
            rank[a:b],
            len(rank),
        )
        for a, b in pairwise(bounds)
    ]
    url, version = datasets.dataset_url(settings, "scores"), datasets.new_version()
    written = dict(
        gather_as_completed(
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
    diversion = pl.concat(tables).sort("score", descending=True) if tables else None
    return DaskScoring(models, features.n_rows, len(frames), n_workers(client), seconds, url, path, diversion)
