"""Exact medians and robust scales over partitions equal numpy's over the whole column, bit for bit."""

from __future__ import annotations

from itertools import pairwise

import numpy as np
import polars as pl
from distributed import Client

from tradesentinel.detectors import global_scales
from tradesentinel.detectors.statistical import robust_scale


def test_robust_scales_over_parts_equal_the_whole_column(dask_world, monkeypatch):
    _, cluster = dask_world
    monkeypatch.setattr(global_scales, "FETCH_LIMIT", 50)  # force several bracketing rounds
    monkeypatch.setattr(global_scales, "PROBES", 64)
    rng = np.random.default_rng(3)
    columns = {
        "heavy_tail": rng.standard_cauchy(3001),
        "even_distinct": np.append(rng.normal(0, 1, 3000), np.nan),  # median between two distinct values
        "ties": np.round(rng.normal(0, 1, 3000), 1),  # even count, long runs of equal values
        "with_gaps": np.where(rng.random(2999) < 0.2, np.nan, rng.lognormal(0, 2, 2999)),
        "constant": np.full(3000, 7.0),
        "empty": np.full(3000, np.nan),
    }
    size = 3001
    frame = pl.DataFrame({k: np.resize(v, size) for k, v in columns.items()})
    cuts = [0, 1, 700, 701, 2000, size]  # uneven parts, one of a single row
    with Client(cluster.scheduler_address) as client:
        parts = client.scatter([frame[a:b] for a, b in pairwise(cuts)])
        scales = global_scales.robust_scales(client, parts, list(columns), floor=1e-6)
    for name in columns:
        assert scales[name] == robust_scale(frame[name].to_numpy(), floor=1e-6), name
