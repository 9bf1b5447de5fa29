"""Compiled helpers for per-series statistics on dense [series, period] arrays (NaN = no report).

Medians over windows of other periods, in parallel over series: what the statistical detector's
level, local and seasonal baselines need, at about a second for a 1.5M-row table on two cores
(numpy's nanmedian over sliding windows takes several).
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange


@njit(parallel=True, cache=True, error_model="numpy")
def offset_medians(x, offsets, min_count):
    """out[s, t] = median of x[s, t + o] over `offsets` o inside the series and not NaN; NaN when
    fewer than `min_count` values. x: float64 [S, T]; offsets: int64 [K]."""
    n_s, n_t = x.shape
    out = np.full((n_s, n_t), np.nan)
    k = len(offsets)
    for s in prange(n_s):
        buf = np.empty(k)
        for t in range(n_t):
            m = 0
            for j in range(k):
                u = t + offsets[j]
                if 0 <= u < n_t:
                    v = x[s, u]
                    if not np.isnan(v):
                        buf[m] = v
                        m += 1
            if m >= min_count:
                out[s, t] = np.median(buf[:m])
    return out


@njit(parallel=True, cache=True, error_model="numpy")
def row_medians(x, min_count):
    """Per row of x [S, T]: the median of its non-NaN values (NaN with fewer than `min_count`)."""
    n_s, n_t = x.shape
    out = np.full(n_s, np.nan)
    for s in prange(n_s):
        buf = np.empty(n_t)
        m = 0
        for t in range(n_t):
            if not np.isnan(x[s, t]):
                buf[m] = x[s, t]
                m += 1
        if m >= min_count:
            out[s] = np.median(buf[:m])
    return out


@njit(parallel=True, cache=True, error_model="numpy")
def calendar_profile(x, period, min_count):
    """out[s, t] = median of x[s, u] over the other u in the same phase (u = t mod `period`), NaN
    with fewer than `min_count`: a series' seasonal profile, each period left out of its own."""
    n_s, n_t = x.shape
    out = np.full((n_s, n_t), np.nan)
    for s in prange(n_s):
        buf = np.empty(n_t)
        for t in range(n_t):
            m = 0
            for u in range(t % period, n_t, period):
                if u != t and not np.isnan(x[s, u]):
                    buf[m] = x[s, u]
                    m += 1
            if m >= min_count:
                out[s, t] = np.median(buf[:m])
    return out
