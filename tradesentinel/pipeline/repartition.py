"""The flows table cut into HS-range parts by the workers: a shuffle through storage, no pass over the
data on the client.

1. The client reads the stored flows table's row count (Parquet footer only) and cuts it into row
   slices; each worker counts the rows per HS code of its slices, and the counts are merged
   pairwise on the workers: the client receives one small table (a row per HS code) and computes
   the contiguous HS ranges (`distributed.hs_ranges`, an HS code never split).
2. Each worker reads its slice again and writes one bucket file per HS range it touches under the
   dataset's `_shuffle-<version>` folder (a partitioned Parquet write).
3. Each part is assembled by a worker from its range's buckets, sorted in canonical order and
   written into the new version of the `flows` dataset; the client commits the version (the pointer)
   and removes the shuffle folder.
The stored flows table must be readable by every worker at the same path (a shared filesystem, or
the one machine of a LocalCluster).
"""

from __future__ import annotations

import logging
import math
from pathlib import Path
from typing import TYPE_CHECKING, Any

import polars as pl

from tradesentinel.config import Settings
from tradesentinel.pipeline import datasets
from tradesentinel.pipeline.features import CANONICAL_ORDER
from tradesentinel.storage import read_table

if TYPE_CHECKING:
    from distributed import Client

log = logging.getLogger(__name__)


def row_slices(total: int, slice_rows: int) -> list[tuple[int, int]]:
    """(offset, length) of consecutive slices of about `slice_rows` rows covering `total` rows."""
    step = max(1, slice_rows)
    return [(offset, min(step, total - offset)) for offset in range(0, total, step)]


def _slice(source: Path, offset: int, length: int) -> pl.DataFrame:
    return read_table(source, "flows").slice(offset, length).collect()


def slice_counts(source: Path, offset: int, length: int) -> pl.DataFrame:
    """Worker task: rows per HS code in one slice of the flows table."""
    return read_table(source, "flows").slice(offset, length).group_by("hs_code").len().collect()


def merge_counts(a: pl.DataFrame, b: pl.DataFrame) -> pl.DataFrame:
    """Worker task: two HS count tables added up."""
    return pl.concat([a, b]).group_by("hs_code").agg(pl.col("len").sum())


def bucket_slice(
    source: Path,
    offset: int,
    length: int,
    lows: list[str],
    shuffle_url: str,
    index: int,
    options: dict[str, Any],
) -> list[int]:
    """Worker task: one slice's rows written as a bucket per HS range (`lows`: each range's first HS
    code, ascending); returns the ranges it wrote."""
    frame = _slice(source, offset, length)
    target = pl.Series(lows).search_sorted(frame["hs_code"], side="right") - 1
    frame = frame.with_columns(target.alias("_range"))
    written = []
    for (r,), bucket in frame.partition_by("_range", as_dict=True).items():
        datasets.write_part(shuffle_url, f"r{r:05d}", f"s{index:05d}", bucket.drop("_range"), options)
        written.append(int(r))
    return written


def assemble_part(
    shuffle_url: str, r: int, slices: list[int], url: str, version: str, name: str, options: dict[str, Any]
) -> tuple[str, int]:
    """Worker task: one HS range's buckets as a part of the flows version, in canonical order."""
    frames = [datasets.read_file(f"{shuffle_url}/r{r:05d}/s{s:05d}.parquet", options) for s in slices]
    return name, datasets.write_part(url, version, name, pl.concat(frames).sort(CANONICAL_ORDER), options)


def partition_on_cluster(
    settings: Settings, client: Client, *, min_parts: int = 1, meta: dict[str, Any] | None = None
) -> datasets.Manifest:
    """Cut the stored flows table into HS-range parts (canonical order inside each) on the workers and
    commit them as the partitioned `flows` dataset; at least `min_parts` parts when there are that
    many HS codes."""
    from tradesentinel.pipeline.distributed import hs_ranges, tree_reduce

    source = settings.table_path("flows")
    total = int(read_table(source, "flows").select(pl.len()).collect().item())
    slices = row_slices(total, min(settings.partition_rows, math.ceil(total / max(min_parts, 1))))
    counted = client.map(slice_counts, [source] * len(slices), *zip(*slices, strict=True), pure=False)
    counts = tree_reduce(client, counted, merge_counts).result().sort("hs_code") if slices else None
    target = min(settings.partition_rows, max(1, math.ceil(total / max(min_parts, 1))))
    ranges = hs_ranges(counts, target) if counts is not None else []
    url, options = datasets.dataset_url(settings, "flows"), settings.storage_options()
    version = datasets.new_version()
    shuffle_url = f"{url}/_shuffle-{version}"
    lows = [lo for lo, _, _ in ranges]
    buckets = client.gather(
        [
            client.submit(bucket_slice, source, o, n, lows, shuffle_url, i, options, pure=False)
            for i, (o, n) in enumerate(slices)
        ]
    )
    futures = [
        client.submit(
            assemble_part,
            shuffle_url,
            r,
            [i for i, wrote in enumerate(buckets) if r in wrote],
            url,
            version,
            f"part-{r:05d}",
            options,
            pure=False,
        )
        for r in range(len(ranges))
    ]
    parts = client.gather(futures)
    body = {"hs_ranges": [[lo, hi] for lo, hi, _ in ranges], **(meta or {})}
    manifest = datasets.commit(url, version, parts, options, meta=body)
    datasets.remove(shuffle_url, options)
    log.info("flows: %d rows in %d HS parts from %d slices", total, len(parts), len(slices))
    return manifest
