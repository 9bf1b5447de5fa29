"""Null models (detectors.calibration) of score columns spread over the partitions of a Dask cluster,
fitted from merged per-part summaries: no column ever travels whole to the client.

A score's null is chosen and fitted as `calibration.fit_tail` does on the whole column:
1. every part sends, per column, its rows, its lowest (cleaned) score and the rows at it; merged,
   they give the run's lowest score and the share of rows above it, so whether the score is
   rule-like (`is_sparse`) is decided exactly;
2. a continuous score's three quantiles are found exactly by the distributed selection of
   detectors.global_scales (a few thousand probe values per round; bit-for-bit numpy.quantile),
   so its TailModel equals the in-process one;
3. a rule-like score's empirical shares come from the counts of each distinct value above the
   lowest, merged pairwise on the workers (a tree), so the client receives one merged table: the
   `CountTail` gives SparseTail's p exactly. Should a rule-like score take more than
   `max_values` distinct values, the merged table keeps `max_values` of them (evenly by rank, the
   largest always kept) and a score between two kept values reads the count at the next kept one
   (p a little low there; documented in docs/scaling.md).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from tradesentinel.detectors.calibration import QUANTILES, SPARSE, CountTail, Tail, TailModel, clean
from tradesentinel.detectors.global_scales import quantiles as global_quantiles
from tradesentinel.pipeline.distributed import tree_reduce

if TYPE_CHECKING:
    from distributed import Client, Future

Columns = dict[str, np.ndarray]
Counts = dict[str, tuple[np.ndarray, np.ndarray]]  # column: (distinct values ascending, rows each)


@dataclass(frozen=True)
class Given:
    """Data for a worker task, wrapped so Dask ships it as is (it reads tuples and lists as tasks)."""

    items: dict


def floor_summary(values: Columns) -> dict[str, tuple[int, float, int]]:
    """Worker task: per column (rows, lowest cleaned score, rows at that score)."""
    out = {}
    for name, column in values.items():
        v = clean(column)
        low = float(v.min()) if v.size else np.inf
        out[name] = (int(v.size), low, int((v == low).sum()) if v.size else 0)
    return out


def sorted_clean(values: Columns, columns: Sequence[str]) -> Columns:
    """Worker task: the cleaned scores of `columns`, sorted (for the distributed selection)."""
    return {c: np.sort(clean(values[c])) for c in columns}


def above_counts(values: Columns, floors: Given, max_values: int) -> Counts:
    """Worker task: per column, each distinct cleaned score above the run's lowest and its rows
    (at most `max_values` of them, see `compress`)."""
    out = {}
    for name, floor in floors.items.items():
        v = clean(values[name])
        found, rows = np.unique(v[v > floor], return_counts=True)
        out[name] = compress(found, rows.astype(np.int64), max_values)
    return out


def merge_counts(a: Counts, b: Counts, max_values: int) -> Counts:
    """Worker task: two count tables merged (counts of equal values added), each at most
    `max_values` distinct values."""
    out = {}
    for name in a:
        values, where = np.unique(np.concatenate([a[name][0], b[name][0]]), return_inverse=True)
        counts = np.bincount(where, weights=np.concatenate([a[name][1], b[name][1]]), minlength=len(values))
        out[name] = compress(values, counts.astype(np.int64), max_values)
    return out


def compress(values: np.ndarray, counts: np.ndarray, max_values: int) -> tuple[np.ndarray, np.ndarray]:
    """At most `max_values` (value, rows) pairs: evenly spaced ones by position, the smallest and
    largest kept; the rows of a dropped value go to the next kept value below it, so the rows at
    least as high stay exact at every kept value."""
    if len(values) <= max_values:
        return values, counts
    keep = np.unique(np.linspace(0, len(values) - 1, max_values).round().astype(np.int64))
    at_least = np.cumsum(counts[::-1])[::-1][keep]
    return values[keep], at_least - np.append(at_least[1:], 0)


def fit_tails(
    client: Client,
    parts: list[Future],
    columns: Sequence[str],
    *,
    max_values: int = 200_000,
    sparse: Sequence[str] = (),
) -> dict[str, Tail]:
    """`calibration.fit_tail` of each column over all `parts` (futures of {column: scores}); the
    `sparse` columns always get the empirical-share null (SparseTail's p, as CountTail), as the
    ensemble reads a self-calibrated score's share."""
    columns = list(columns)
    if not columns:
        return {}
    summaries = client.gather(client.map(floor_summary, parts, pure=False))
    forced = set(sparse)
    floors, rule_like, totals = {}, [], {}
    for c in columns:
        n = sum(s[c][0] for s in summaries)
        floor = min((s[c][1] for s in summaries), default=np.inf)
        at_floor = sum(s[c][2] for s in summaries if s[c][1] == floor)
        floors[c], totals[c] = floor, n
        if n == 0 or (n - at_floor) / n < SPARSE or c in forced:
            rule_like.append(c)
    dense = [c for c in columns if c not in rule_like]
    models: dict[str, Tail] = {}
    if dense:
        ordered = client.map(sorted_clean, parts, columns=dense, pure=False)
        for c, q in global_quantiles(client, ordered, dense, QUANTILES).items():
            models[c] = TailModel.from_quantiles(*q)
    if rule_like:
        asked = Given({c: floors[c] for c in rule_like})
        counts = client.map(above_counts, parts, floors=asked, max_values=max_values, pure=False)
        merged = tree_reduce(client, counts, merge_counts, max_values=max_values).result()
        for c in rule_like:
            values, rows = merged[c]
            at_least = np.cumsum(rows[::-1])[::-1].astype(np.int64)
            floor = floors[c] if np.isfinite(floors[c]) else 0.0
            models[c] = CountTail(floor, values, at_least, totals[c])
    return models
