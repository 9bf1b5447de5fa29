"""Exact medians, quantiles and robust scales of columns spread over the partitions of a Dask cluster.

The statistical detector calibrates each signal by three quantiles over the whole table.
Gathering whole columns to one machine does not scale, so order statistics are found by bracketing:
each part holds its finite values sorted; every round, the parts send a few evenly spaced values
from inside the current bracket, the client counts (across parts) how many values lie at or below
each of them, and the bracket around the k-th value shrinks by about the number of probes. Once
few values remain inside, they are fetched and the k-th is read off. The result is bit-for-bit
`numpy.median` (and `numpy.quantile`), so distributed calibrations equal the in-process ones.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import polars as pl

from tradesentinel.detectors.statistical import MAD_SCALE

if TYPE_CHECKING:
    from distributed import Client, Future

PROBES = 4096  # probes per round over all parts
FETCH_LIMIT = 1_000_000  # values fetched to the client at most, per order statistic
Bracket = tuple[str, float, float]  # column, low (exclusive), high (exclusive)


@dataclass(frozen=True)
class _Ask:
    """What a round asks each part, wrapped so Dask ships it as data (it reads tuples as tasks)."""

    items: dict


def sorted_finite(frame: pl.DataFrame, columns: Sequence[str]) -> dict[str, np.ndarray]:
    """Worker task: each column's finite values as float64, sorted."""
    out = {}
    for c in columns:
        values = frame[c].cast(pl.Float64).fill_null(np.nan).to_numpy()
        out[c] = np.sort(values[np.isfinite(values)])
    return out


def sorted_deviations(parts: dict[str, np.ndarray], centers: _Ask) -> dict[str, np.ndarray]:
    """Worker task: |x - center| of each column's values, sorted."""
    return {c: np.sort(np.abs(v - centers.items[c])) for c, v in parts.items()}


def _inside(values: np.ndarray, lo: float, hi: float) -> np.ndarray:
    return values[np.searchsorted(values, lo, "right") : np.searchsorted(values, hi, "left")]


def _lengths(parts: dict[str, np.ndarray]) -> dict[str, int]:
    return {c: len(v) for c, v in parts.items()}


def _probe(parts: dict[str, np.ndarray], brackets: _Ask, per_part: int) -> dict[int, np.ndarray]:
    """Evenly spaced values (both ends included) strictly inside each bracket."""
    out = {}
    for t, (c, lo, hi) in brackets.items.items():
        seg = _inside(parts[c], lo, hi)
        out[t] = seg[np.unique(np.linspace(0, len(seg) - 1, min(len(seg), per_part)).astype(np.int64))]
    return out


def _count(parts: dict[str, np.ndarray], edges: _Ask) -> dict[int, np.ndarray]:
    """Per target: (values <= edge, values < edge) for each edge."""
    return {
        t: np.stack([np.searchsorted(parts[c], e, "right"), np.searchsorted(parts[c], e, "left")])
        for t, (c, e) in edges.items.items()
    }


def _between(parts: dict[str, np.ndarray], brackets: _Ask) -> dict[int, np.ndarray]:
    return {t: _inside(parts[c], lo, hi) for t, (c, lo, hi) in brackets.items.items()}


def _summed(results: list[dict[int, np.ndarray]]) -> dict[int, np.ndarray]:
    return {t: sum(r[t] for r in results) for t in results[0]}


def order_statistics(client: Client, parts: list[Future], targets: list[tuple[str, int]]) -> list[float]:
    """The k-th smallest (0-based) value of each (column, k) over the union of the sorted parts."""
    state = {t: [-np.inf, 0, np.inf] for t in range(len(targets))}  # low, count <= low, high
    found: dict[int, float] = {}
    per_part = max(16, PROBES // max(len(parts), 1))
    while len(found) < len(targets):
        brackets = {t: (targets[t][0], s[0], s[2]) for t, s in state.items() if t not in found}
        probes = client.gather(
            client.map(_probe, parts, brackets=_Ask(brackets), per_part=per_part, pure=False)
        )
        edges = {t: (brackets[t][0], np.unique(np.concatenate([p[t] for p in probes]))) for t in brackets}
        counts = _summed(client.gather(client.map(_count, parts, edges=_Ask(edges), pure=False)))
        fetch = {}
        for t, (column, e) in edges.items():
            k = targets[t][1]
            le, lt = counts[t]
            hit = np.flatnonzero((lt <= k) & (k < le))
            if len(hit):  # the k-th value equals an edge (this also settles long runs of ties)
                found[t] = float(e[hit[0]])
                continue
            below, above = np.flatnonzero(le <= k), np.flatnonzero(lt > k)
            if len(below):
                state[t][0], state[t][1] = float(e[below[-1]]), int(le[below[-1]])
            if len(above):
                state[t][2] = float(e[above[0]])
                if int(lt[above[0]]) - state[t][1] <= FETCH_LIMIT:
                    fetch[t] = (column, state[t][0], state[t][2])
        if fetch:
            values = client.gather(client.map(_between, parts, brackets=_Ask(fetch), pure=False))
            for t in fetch:
                inside = np.sort(np.concatenate([v[t] for v in values]))
                found[t] = float(inside[targets[t][1] - state[t][1]])
    return [found[t] for t in range(len(targets))]


def medians(client: Client, parts: list[Future], columns: Sequence[str]) -> dict[str, float]:
    """numpy.median of each column over the sorted parts (NaN for a column with no value)."""
    lengths = client.gather(client.map(_lengths, parts, pure=False))
    targets, wanted = [], {}
    for c in columns:
        n = sum(part[c] for part in lengths)
        if n:
            ks = (n // 2,) if n % 2 else (n // 2 - 1, n // 2)
            wanted[c] = [len(targets) + j for j in range(len(ks))]
            targets += [(c, k) for k in ks]
    values = order_statistics(client, parts, targets) if targets else []
    return {
        c: (float(np.mean(np.array([values[j] for j in wanted[c]]))) if c in wanted else np.nan)
        for c in columns
    }


def robust_scales(
    client: Client, frames: list[Future], columns: Sequence[str], floor: float = 1e-6
) -> dict[str, tuple[float, float]]:
    """`statistical.robust_scale` of each column over all partitions (`frames`: futures of DataFrames)."""
    columns = list(columns)
    parts = client.map(sorted_finite, frames, columns=columns, pure=False)
    centers = medians(client, parts, columns)
    deviations = client.map(sorted_deviations, parts, centers=_Ask(centers), pure=False)
    spreads = medians(client, deviations, columns)
    return {
        c: (0.0, 1.0) if np.isnan(centers[c]) else (centers[c], max(spreads[c] * MAD_SCALE, floor))
        for c in columns
    }


def quantiles(
    client: Client, parts: list[Future], columns: Sequence[str], qs: Sequence[float]
) -> dict[str, tuple[float, ...]]:
    """numpy.quantile (linear) of each column at `qs` over the sorted parts, bit for bit: the two
    order statistics around each position are found exactly, then interpolated by numpy itself."""
    lengths = client.gather(client.map(_lengths, parts, pure=False))
    targets, plan = [], {}
    for c in columns:
        n = sum(part[c] for part in lengths)
        if not n:
            continue
        plan[c] = []
        for q in qs:
            position = q * (n - 1)
            lo = int(np.floor(position))
            hi = min(lo + 1, n - 1)
            plan[c].append((len(targets), len(targets) + 1, position - lo))
            targets += [(c, lo), (c, hi)]
    values = order_statistics(client, parts, targets) if targets else []
    return {
        c: tuple(float(np.quantile(np.array([values[a], values[b]]), gamma)) for a, b, gamma in plan[c])
        if c in plan
        else tuple(np.nan for _ in qs)
        for c in columns
    }
