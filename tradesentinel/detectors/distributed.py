"""Scoring on a Dask cluster: fit on a sample, broadcast the models, score partitions in parallel,
calibrate and rank globally, explain and write each partition, then the ranked scores table.

The feature parts (pipeline.distributed) stay in the workers' memory for the whole run. The
detectors are fitted in one worker task on a seeded sample (rows, and whole series for the
transformer) gathered from every part (detectors.sampled says which scores are then exactly equal to in-process ones), and that
one fitted copy travels to each worker.
Each part's raw scores stay on its worker: calibration and the rank run there from merged summaries
(detectors.cluster_rank; exact ranks within the tiers, approximate below them), and the client
receives summaries only. With settings.dask_ranking = "exact" the client gathers the raw score
columns instead (8 bytes x detectors per row) and combines them exactly as `ensemble.score_table`
does, over rows in the same (canonical) order. Either way each part then explains its top-ranked
rows and writes its part of the scores dataset.
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
from tradesentinel.detectors.cluster_rank import rank_on_cluster
from tradesentinel.detectors.ensemble import combine, member_of, scores_frame
from tradesentinel.detectors.global_scales import quantiles as global_quantiles
from tradesentinel.detectors.global_scales import sorted_finite
from tradesentinel.detectors.sampled import fit_on_sample, in_sample, statistical_magnitudes
from tradesentinel.detectors.series_signals import thin_support
from tradesentinel.detectors.stages import corridors_only
from tradesentinel.detectors.statistical import StatisticalDetector, calibration_cells
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


def height_of(frame: pl.DataFrame) -> int:
    """Worker task: a part's rows."""
    return frame.height


def score_part(
    frame: pl.DataFrame, fitted: tuple[list[BaseDetector], dict]
) -> tuple[dict[str, np.ndarray], dict[str, float], pl.DataFrame | None, np.ndarray, np.ndarray]:
    """Worker task: each detector's raw scores of one part, the seconds each took, the part's
    diversion findings (when the diversion detector ran), its flow ids' hashes (last ties) and its
    rows beside a series' edge or gap (series_signals.thin_support, the models' strata)."""
    raw, seconds, found = {}, {}, None
    for detector in fitted[0]:
        started = time.perf_counter()
        (detector,) = _on_part([detector], frame)
        raw[detector.name] = np.asarray(detector.score(frame), dtype=np.float64)
        seconds[detector.name] = time.perf_counter() - started
        found = getattr(detector, "corridors_", found)
    thin = thin_support(frame)  # within series, so exact on an HS partition
    return raw, seconds, found, frame["flow_id"].hash(0).to_numpy(), thin


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


def _light(scored: tuple) -> tuple[dict[str, float], pl.DataFrame | None]:
    """Worker task: what the client keeps of a part's scoring: seconds per detector, diversion findings."""
    return scored[1], scored[2]


def _ranked_on_client(client: Client, scored: list, members: dict, rows: tuple[int, ...]) -> list[Ranked]:
    """The exact ranking (`dask_ranking="exact"`): every part's raw scores gathered and combined on
    the client as in-process (72 bytes/row with 3 detectors)."""
    results = client.gather(client.map(_raw_and_keys, scored, pure=False))
    raw = {n: np.concatenate([r[0][n] for r in results]) for n in members}
    keys, thin = (np.concatenate([r[i] for r in results]) for i in (1, 2))
    ensemble, rank, tails = combine(raw, members, keys, thin)
    bounds = np.cumsum([0, *rows])
    return [
        Ranked(
            {n: v[a:b] for n, v in raw.items()},
            {n: v[a:b] for n, v in tails.items()},
            ensemble[a:b],
            rank[a:b],
            len(rank),
        )
        for a, b in pairwise(bounds)
    ]


def _raw_and_keys(scored: tuple) -> tuple[dict[str, np.ndarray], np.ndarray, np.ndarray]:
    return scored[0], scored[3], scored[4]


def _single_table(settings: Settings, manifest: datasets.Manifest) -> Path:
    """data/scores.parquet, the single ranked table the app reads, written from the scores dataset
    when the run has at most settings.scores_file_rows rows; a larger run leaves none (a stale one
    is removed): read the scores dataset instead."""
    path = settings.table_path("scores")
    if manifest.n_rows > settings.scores_file_rows:
        log.warning(
            "%d rows > TRADESENTINEL_SCORES_FILE_ROWS: no %s, the scores are in %s",
            manifest.n_rows,
            path,
            manifest.url,
        )
        path.unlink(missing_ok=True)
        return path
    options = settings.storage_options()
    table = pl.concat([datasets.read_part(manifest, p, options) for p in manifest.parts]).sort("rank")
    return write_table(table, path)


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
    from distributed import wait

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
    parts = client.map(
        datasets.read_part, [features] * len(features.parts), features.parts, options=options, pure=False
    )
    frames = client.map(corridors_only, parts, pure=False)  # world totals: context, as in-process
    fraction = min(1.0, settings.sample_rows / max(features.n_rows, 1))
    rows = client.map(in_sample, frames, fraction=fraction, seed=seed, pure=False)
    series = client.map(in_sample, frames, fraction=fraction, seed=seed, whole_series=True, pure=False)
    quantiles = {}
    statistical = [d for d in detectors if isinstance(d, StatisticalDetector)]
    if statistical:
        names = list(calibration_cells())
        magnitudes = client.map(statistical_magnitudes, frames, detector=statistical[0], pure=False)
        parts = client.map(sorted_finite, magnitudes, columns=names, pure=False)
        found = global_quantiles(client, parts, names, QUANTILES)
        quantiles = {n: (0.0,) * len(QUANTILES) if np.isnan(q[0]) else q for n, q in found.items()}
    if progress:
        progress("fit", 0.0)
    rows, series = client.submit(pl.concat, rows, pure=False), client.submit(pl.concat, series, pure=False)
    fitted = client.submit(fit_on_sample, detectors, rows, series, quantiles, pure=False)
    models, fit_seconds = fitted.result()
    if progress:
        progress("fit", 1.0)
    scored = client.map(score_part, frames, fitted=fitted, pure=False)
    light = gather_as_completed(client, client.map(_light, scored, pure=False), "score", progress)
    seconds = {d.name: fit_seconds[d.name] + sum(r[0][d.name] for r in light) for d in models}
    members = {d.name: member_of(d) for d in models}
    started = time.perf_counter()
    if settings.dask_ranking == "exact":
        sizes = tuple(client.gather(client.map(height_of, frames, pure=False)))
        ranked = client.scatter(_ranked_on_client(client, scored, members, sizes))
    else:
        ranked = rank_on_cluster(
            client, scored, members, explain_top=settings.explain_top, max_values=settings.tail_values
        )
    wait(ranked)
    seconds["rank"] = time.perf_counter() - started  # wall seconds: calibration and rank
    started = time.perf_counter()
    url, version = datasets.dataset_url(settings, "scores"), datasets.new_version()
    written = dict(
        gather_as_completed(
            client,
            client.map(
                write_scores_part,
                frames,
                [fitted] * len(frames),
                ranked,
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
    path = _single_table(settings, manifest)
    seconds["write"] = time.perf_counter() - started  # wall seconds: reasons, the dataset, the file
    tables = [r[1] for r in light if r[1] is not None]
    diversion = pl.concat(tables).sort("score", descending=True) if tables else None
    return DaskScoring(models, features.n_rows, len(frames), n_workers(client), seconds, url, path, diversion)
