"""The feature pipeline on a Dask cluster: flows partitioned by HS code, the same `build_features` per part.

Every feature is computed within one HS code (series, mirror pairs, partner shares, HS x month
peers, onward shipping of the same HS), so `build_features` of an HS partition equals the rows of
that partition in the whole table's features. Flows are cut into contiguous ranges of HS codes in
canonical order (an HS code never spans two parts) of about `partition_rows` rows by the workers
(pipeline.repartition: a shuffle through storage), written as a partitioned Parquet dataset
(pipeline.datasets), and each worker builds and writes one part.
Datasets live under settings.dataset_url: a local folder, file:// or s3:// (fsspec).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import polars as pl

from tradesentinel.config import Settings
from tradesentinel.pipeline import datasets
from tradesentinel.pipeline.features import build_features
from tradesentinel.pipeline.repartition import partition_on_cluster
from tradesentinel.pipeline.run import controlled_table, programmes_table
from tradesentinel.schema import conform

if TYPE_CHECKING:
    from distributed import Client, Future

log = logging.getLogger(__name__)
Progress = Callable[[str, float], None]


ONE_CORE = {"NUMBA_NUM_THREADS": "1", "POLARS_MAX_THREADS": "1", "OMP_NUM_THREADS": "1"}
"""Environment of LocalCluster workers: one core each, so n workers never oversubscribe n cores."""


@contextmanager
def dask_client(settings: Settings, scheduler: str | None = None) -> Iterator[Client]:
    """A client of the cluster at `scheduler` (or settings.dask_scheduler), else of a LocalCluster
    of settings.dask_workers one-core worker processes on 127.0.0.1, closed afterwards."""
    from distributed import Client, LocalCluster

    address = scheduler or settings.dask_scheduler
    if address:
        with Client(address) as client:
            yield client
        return
    with (
        LocalCluster(
            n_workers=settings.dask_workers,
            threads_per_worker=1,
            processes=True,
            host="127.0.0.1",
            dashboard_address=None,
            env=ONE_CORE,
        ) as cluster,
        Client(cluster) as client,
    ):
        yield client


def gather_as_completed(client: Client, futures: list, stage: str, progress: Progress | None) -> list:
    """The futures' results in their order, reporting `stage` progress as each one finishes."""
    from distributed import as_completed

    for done, _ in enumerate(as_completed(futures), start=1):
        if progress:
            progress(stage, done / len(futures))
    return client.gather(futures)


def tree_reduce(client: Client, futures: list[Future], merge: Callable, **kwargs: object) -> Future:
    """Pairwise merges on the workers down to one future (the client holds none of the data)."""
    while len(futures) > 1:
        futures = [
            client.submit(merge, futures[i], futures[i + 1], **kwargs, pure=False)
            if i + 1 < len(futures)
            else futures[i]
            for i in range(0, len(futures), 2)
        ]
    return futures[0]


def n_workers(client: Client) -> int:
    """Workers currently connected to the client's scheduler."""
    return max(1, len(client.scheduler_info(n_workers=-1)["workers"]))


def hs_ranges(counts: pl.DataFrame, target_rows: int) -> list[tuple[str, str, int]]:
    """(first HS, last HS, rows) of contiguous HS ranges of about `target_rows` rows, from a table of
    hs_code and len sorted by hs_code; an HS code is never split, so a big one is a part of its own."""
    ranges: list[tuple[str, str, int]] = []
    lo, hi, rows = None, None, 0
    for hs, n in counts.select("hs_code", "len").iter_rows():
        if lo is not None and rows + n > target_rows:  # this code would overfill the part: close it
            ranges.append((lo, hi, rows))
            lo = None
        if lo is None:
            lo, rows = hs, 0
        hi, rows = hs, rows + n
    return [*ranges, (lo, hi, rows)] if lo is not None else ranges


def flows_version(settings: Settings) -> str:
    """Identity of the stored flows table (size and modification time): a dataset built from other
    flows is stale."""
    stat = settings.table_path("flows").stat()
    return f"{stat.st_size}-{stat.st_mtime_ns}"


def feature_part(
    flows: datasets.Manifest,
    part: str,
    features_url: str,
    version: str,
    programmes: pl.DataFrame,
    controlled: pl.DataFrame,
    cif_fob_ratio: float,
    options: dict[str, Any],
) -> tuple[str, int]:
    """Worker task: build the features of one flows part and write it into the features version."""
    frame = datasets.read_part(flows, part, options)
    features = build_features(
        frame, programmes=programmes, controlled=controlled, cif_fob_ratio=cif_fob_ratio
    )
    return part, datasets.write_part(
        features_url, version, part, conform(features, "features").collect(), options
    )


@dataclass(frozen=True)
class DaskFeatureReport:
    """A distributed feature build: rows, parts, workers, seconds partitioning and building, where it went."""

    n_rows: int
    n_parts: int
    n_workers: int
    partition_seconds: float
    feature_seconds: float
    url: str


def build_features_on_dask(
    settings: Settings, client: Client, *, progress: Progress | None = None
) -> DaskFeatureReport:
    """Partition the flows by HS code, build every part's features on the cluster, commit the dataset."""
    workers = n_workers(client)
    started = time.perf_counter()
    flows = partition_on_cluster(
        settings, client, min_parts=2 * workers, meta={"flows_version": flows_version(settings)}
    )
    partitioned = time.perf_counter()
    url, options = datasets.dataset_url(settings, "features"), settings.storage_options()
    version = datasets.new_version()
    futures = client.map(
        feature_part,
        [flows] * len(flows.parts),
        flows.parts,
        features_url=url,
        version=version,
        programmes=programmes_table(settings),  # the same reference lists as local runs
        controlled=controlled_table(settings),
        cif_fob_ratio=settings.cif_fob_ratio,
        options=options,
        pure=False,
    )
    written = dict(gather_as_completed(client, futures, "features", progress))
    manifest = datasets.commit(url, version, [(p, written[p]) for p in flows.parts], options, flows.meta)
    log.info("features: %d rows in %d parts on %d workers", manifest.n_rows, len(flows.parts), workers)
    return DaskFeatureReport(
        manifest.n_rows,
        len(flows.parts),
        workers,
        partitioned - started,
        time.perf_counter() - partitioned,
        url,
    )


def features_on_cluster(
    settings: Settings, scheduler: str | None = None, *, progress: Progress | None = None
) -> DaskFeatureReport:
    """`tradesentinel features --engine dask`: connect (or start a LocalCluster), build, disconnect."""
    with dask_client(settings, scheduler) as client:
        return build_features_on_dask(settings, client, progress=progress)
