"""Compiled kernels behind the feature table: one pass per HS block over rows in canonical order.

Every feature is computed within one HS code, so rows are kept in canonical order
(HS, flow, reporter, partner, period) packed into one int64 key: each series and each market is
then a contiguous run, and the HS x period groups, partner shares and mirror pairs of one HS are
found by a small local sort that stays in cache. Blocks run in parallel (numba prange). This
replaces self-joins, rolling group medians and group-wise windows that cost seconds at 10M rows.
NaN marks a missing value.

The kernels know one frequency at a time: a period is an integer index (months for monthly rows,
years for annual ones) and the caller passes the horizons in those units (the year-ago lag, the
trailing-median window and its minimum count, the new-corridor horizon), so monthly and annual
rows go through the same code and never meet.
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

MAD_SCALE = 1.4826  # makes the MAD a consistent estimator of the standard deviation
MIN_SPREAD = 0.05  # floor on the robust spread (log units) so flat groups don't explode z
MIN_Z_VALUES = 3  # fewer values than this in a group: its robust z is undefined (null)
EXPORT, IMPORT, REEXPORT, REIMPORT = 0, 1, 2, 3


@njit(cache=True, error_model="numpy")
def run_starts(keys, shift):
    """Start index of each run of equal `keys >> shift` in sorted keys, with len(keys) appended."""
    n = len(keys)
    starts = np.empty(n + 1, np.int64)
    count = 0
    for i in range(n):
        if i == 0 or (keys[i] >> shift) != (keys[i - 1] >> shift):
            starts[count] = i
            count += 1
    starts[count] = n
    return starts[: count + 1]


@njit(cache=True, error_model="numpy")
def is_sorted(keys):
    """Whether keys never decrease (then no sort is needed)."""
    for i in range(1, len(keys)):  # noqa: SIM110 -- numba compiles no generator expressions (all(...))
        if keys[i] < keys[i - 1]:
            return False
    return True


@njit(parallel=True, cache=True, error_model="numpy")
def pack_keys(hs, flow, reporter, partner, month, bc, bm):
    """The canonical int64 key: HS | flow | reporter | partner | month, most significant first."""
    out = np.empty(len(hs), np.int64)
    for i in prange(len(hs)):
        out[i] = ((((hs[i] << 2 | flow[i]) << bc | reporter[i]) << bc | partner[i]) << bm) | month[i]
    return out


@njit(parallel=True, cache=True, error_model="numpy")
def gather(values, perm):
    """values[perm], in parallel."""
    out = np.empty(len(perm), values.dtype)
    for i in prange(len(perm)):
        out[i] = values[perm[i]]
    return out


@njit(parallel=True, cache=True, error_model="numpy")
def scatter(values, perm):
    """The inverse of gather: out[perm] = values, in parallel."""
    out = np.empty(len(perm), values.dtype)
    for i in prange(len(perm)):
        out[perm[i]] = values[i]
    return out


@njit(parallel=True, cache=True, error_model="numpy")
def put(out, rows, values):
    """out[rows] = values, in parallel (rows distinct)."""
    for i in prange(len(rows)):
        out[rows[i]] = values[i]


@njit(cache=True, error_model="numpy")
def sorted_median(buf, k):
    """Median of buf[:k] (k >= 1) by insertion sort, the fastest way for a short run; sorts buf[:k]."""
    for i in range(1, k):
        x = buf[i]
        j = i - 1
        while j >= 0 and buf[j] > x:
            buf[j + 1] = buf[j]
            j -= 1
        buf[j + 1] = x
    half = k // 2
    return buf[half] if k % 2 == 1 else 0.5 * (buf[half - 1] + buf[half])


@njit(cache=True, error_model="numpy")
def _selected_median(buf, k):
    """Median of buf[:k] (k >= 2) by Hoare quickselect, for long runs; reorders buf."""
    half = k // 2
    left, right = 0, k - 1
    while left < right:  # afterwards buf[:half] <= buf[half]
        pivot = buf[(left + right) // 2]
        i, j = left, right
        while i <= j:
            while buf[i] < pivot:
                i += 1
            while buf[j] > pivot:
                j -= 1
            if i <= j:
                buf[i], buf[j] = buf[j], buf[i]
                i += 1
                j -= 1
        if half <= j:
            right = j
        elif half >= i:
            left = i
        else:
            break
    upper = buf[half]
    if k % 2 == 1:
        return upper
    lower = buf[0]
    for i in range(1, half):
        lower = max(lower, buf[i])
    return 0.5 * (lower + upper)


@njit(cache=True, error_model="numpy")
def _median(buf, k):
    """Median of buf[:k], NaN when k is 0; reorders buf (insertion sort when short, quickselect otherwise)."""
    if k == 0:
        return np.nan
    if k <= 16:
        return sorted_median(buf, k)
    return _selected_median(buf, k)


@njit(cache=True, error_model="numpy")
def _center_spread(buf, k):
    """(median, max(1.4826 MAD, floor)) of buf[:k]; reorders buf."""
    med = _median(buf, k)
    for j in range(k):
        buf[j] = abs(buf[j] - med)
    return med, max(_median(buf, k) * MAD_SCALE, MIN_SPREAD)


@njit(cache=True, error_model="numpy")
def _robust_z(rows, values, out, buf):
    """(x - median) / max(1.4826 MAD, floor) over values[rows], written to out[rows]."""
    k = 0
    for r in rows:
        if not np.isnan(values[r]):
            buf[k] = values[r]
            k += 1
    if k < MIN_Z_VALUES:  # one value is its own median; two are always within 0.67 of theirs
        for r in rows:
            out[r] = np.nan
        return
    med, spread = _center_spread(buf, k)
    for r in rows:
        out[r] = (values[r] - med) / spread


@njit(cache=True, error_model="numpy")
def _robust_z_range(a, b, values, out, buf):
    """_robust_z over the contiguous rows [a, b) (no index array to allocate)."""
    k = 0
    for r in range(a, b):
        if not np.isnan(values[r]):
            buf[k] = values[r]
            k += 1
    if k < MIN_Z_VALUES:
        for r in range(a, b):
            out[r] = np.nan
        return
    med, spread = _center_spread(buf, k)
    for r in range(a, b):
        out[r] = (values[r] - med) / spread


@njit(cache=True, error_model="numpy")
def _sorted_insert(window, size, v):
    """Insert v into the sorted window[:size]; the window then holds size + 1 values."""
    j = size
    while j > 0 and window[j - 1] > v:
        window[j] = window[j - 1]
        j -= 1
    window[j] = v


@njit(cache=True, error_model="numpy")
def _sorted_remove(window, size, v):
    """Remove one v from the sorted window[:size]; the window then holds size - 1 values."""
    j = 0
    while window[j] != v:
        j += 1
    for t in range(j, size - 1):
        window[t] = window[t + 1]


@njit(cache=True, error_model="numpy")
def _series_run(
    a, b, key, bm, market_first, log_value, share, horizons, yoy, share_change, vs_median, new, window
):
    """Time features of one series (rows [a, b), sorted by period). `horizons` = (lag, median
    window, median minimum count, new-corridor horizon) in periods. The previous `median window`
    periods are the rows [lo, i); their non-null log values are kept sorted in `window` as i
    advances; `back` walks to the row one lag earlier."""
    lag, span, least, recent = horizons[0], horizons[1], horizons[2], horizons[3]
    pmask = (1 << bm) - 1
    first = key[a] & pmask
    lo = a
    back = a
    size = 0
    for i in range(a, b):
        period = key[i] & pmask
        if i > a and not np.isnan(log_value[i - 1]):  # the previous row enters the window
            _sorted_insert(window, size, log_value[i - 1])
            size += 1
        while (key[lo] & pmask) < period - span:  # rows older than the window leave it
            if not np.isnan(log_value[lo]):
                _sorted_remove(window, size, log_value[lo])
                size -= 1
            lo += 1
        while (key[back] & pmask) < period - lag:
            back += 1
        if back < i and (key[back] & pmask) == period - lag:
            yoy[i] = log_value[i] - log_value[back]
            share_change[i] = share[i] - share[back]
        if size >= least:
            half = size // 2
            median = window[half] if size % 2 == 1 else 0.5 * (window[half - 1] + window[half])
            vs_median[i] = log_value[i] - median
        new[i] = (period - first < recent) and (first - market_first >= recent)


@njit(cache=True, error_model="numpy")
def _series_block(
    a, b, key, bc, bm, log_value, log_uv, share, horizons, out_z, out_zuv, yoy, share_change, vs_median, new
):
    """Series and market features of the rows [a, b) of one HS block."""
    pmask = (1 << bm) - 1
    buf = np.empty(b - a)
    window = np.empty(b - a)  # a series' rows within the window (duplicate periods included)
    market_first = 0
    start = a
    while start < b:
        if start == a or (key[start] >> (bm + bc)) != (key[start - 1] >> (bm + bc)):  # a market starts
            market_first = key[start] & pmask
            j = start
            while j < b and (key[j] >> (bm + bc)) == (key[start] >> (bm + bc)):
                market_first = min(market_first, key[j] & pmask)
                j += 1
        end = start + 1
        while end < b and (key[end] >> bm) == (key[start] >> bm):
            end += 1
        _robust_z_range(start, end, log_value, out_z, buf)
        _robust_z_range(start, end, log_uv, out_zuv, buf)
        _series_run(
            start,
            end,
            key,
            bm,
            market_first,
            log_value,
            share,
            horizons,
            yoy,
            share_change,
            vs_median,
            new,
            window,
        )
        start = end


@njit(cache=True, error_model="numpy")
def _counting_sort_by_month(local, shift, n_months):
    """Stable order of `local` by its month (bits above `shift`); rows arrive sorted by the rest."""
    counts = np.zeros(n_months + 1, np.int64)
    for v in local:
        counts[(v >> shift) + 1] += 1
    for m in range(n_months):
        counts[m + 1] += counts[m]
    order = np.empty(len(local), np.int64)
    for i in range(len(local)):
        m = local[i] >> shift
        order[counts[m]] = i
        counts[m] += 1
    return order


@njit(cache=True, error_model="numpy")
def _local_keys(a, b, key, bc, bm, flow_sem, since, local, ships):
    """Fill local[i - a] with the row's month | flow | reporter | partner key, and ships[:n] with
    country << bm | month for each row where a country under a programme ships goods out; returns n."""
    cmask, mmask = (1 << bc) - 1, (1 << bm) - 1
    n_ships = 0
    for i in range(a, b):
        month = key[i] & mmask
        partner = (key[i] >> bm) & cmask
        reporter = (key[i] >> (bm + bc)) & cmask
        flow = (key[i] >> (bm + 2 * bc)) & 3
        local[i - a] = (((month << 2 | flow) << bc | reporter) << bc) | partner
        sem = flow_sem[i]
        if sem in (EXPORT, REEXPORT) and month >= since[partner]:
            ships[n_ships] = reporter << bm | month
            n_ships += 1
        elif sem in (IMPORT, REIMPORT) and month >= since[reporter]:
            ships[n_ships] = partner << bm | month
            n_ships += 1
    return n_ships


@njit(cache=True, error_model="numpy")
def _month_flow_z(skey, rows, bc, log_value, log_uv, z_hs, z_uv_hs, buf, run_lo, run_hi):
    """Robust z of value and unit value within each month x flow run of the sorted local keys; records
    where each run starts and ends (run_lo, run_hi) for the mirror lookup."""
    n = len(skey)
    start = 0
    for t in range(1, n + 1):
        if t == n or (skey[t] >> (2 * bc)) != (skey[start] >> (2 * bc)):
            _robust_z(rows[start:t], log_value, z_hs, buf)
            _robust_z(rows[start:t], log_uv, z_uv_hs, buf)
            run = skey[start] >> (2 * bc)
            run_lo[run], run_hi[run] = start, t
            start = t


@njit(cache=True, error_model="numpy")
def _market_shares(skey, rows, bc, bilateral, value, share):
    """Each bilateral row's share of its month x flow x reporter total (the market-month total)."""
    n = len(skey)
    start = 0
    for t in range(1, n + 1):
        if t == n or (skey[t] >> bc) != (skey[start] >> bc):
            total = 0.0
            for u in range(start, t):
                if bilateral[rows[u]]:
                    total += value[rows[u]]
            if total > 0:
                for u in range(start, t):
                    if bilateral[rows[u]]:
                        share[rows[u]] = value[rows[u]] / total
            start = t


@njit(cache=True, error_model="numpy")
def _mirrors(skey, rows, bc, flow_sem, sem_rank, run_lo, run_hi, mirror):
    """The mirror row of each export or import: same month, opposite flow, reporter and partner swapped."""
    cmask = (1 << bc) - 1
    for t in range(len(skey)):
        i = rows[t]
        sem = flow_sem[i]
        if sem > IMPORT or sem_rank[1 - sem] < 0:
            continue
        month = skey[t] >> (2 * bc + 2)
        reporter = (skey[t] >> bc) & cmask
        partner = skey[t] & cmask
        run = month << 2 | sem_rank[1 - sem]
        target = ((run << bc | partner) << bc) | reporter
        lo, hi = run_lo[run], run_hi[run]
        pos = lo + np.searchsorted(skey[lo:hi], target)
        if pos < hi and skey[pos] == target:
            mirror[i] = rows[pos]


@njit(cache=True, error_model="numpy")
def _onward(a, b, key, bc, bm, flow_sem, shipped, onward):
    """Whether the goods' destination (partner of an export, reporter of an import) ships on that month,
    from the sorted country << bm | month list `shipped`."""
    cmask, mmask = (1 << bc) - 1, (1 << bm) - 1
    for i in range(a, b):
        sem = flow_sem[i]
        shift = bm if sem in (EXPORT, REEXPORT) else bm + bc
        wanted = ((key[i] >> shift) & cmask) << bm | (key[i] & mmask)
        pos = np.searchsorted(shipped, wanted)
        onward[i] = pos < len(shipped) and shipped[pos] == wanted


@njit(cache=True, error_model="numpy")
def _hs_month_block(
    a,
    b,
    key,
    bc,
    bm,
    flow_sem,
    sem_rank,
    value,
    log_value,
    log_uv,
    bilateral,
    since,
    z_hs,
    z_uv_hs,
    share,
    mirror,
    onward,
):
    """HS x period z, partner shares, mirror values and onward-to-sanctioned flags of one HS block
    (`month` below is the period index: a month or a year, whichever the caller packed)."""
    n = b - a
    local = np.empty(n, np.int64)
    ships = np.empty(n, np.int64)
    n_ships = _local_keys(a, b, key, bc, bm, flow_sem, since, local, ships)
    order = _counting_sort_by_month(local, 2 * bc + 2, 1 << bm)
    skey = local[order]
    rows = order + a
    run_lo = np.zeros((1 << bm) * 4, np.int64)  # where each month x flow run starts and ends
    run_hi = np.zeros((1 << bm) * 4, np.int64)
    _month_flow_z(skey, rows, bc, log_value, log_uv, z_hs, z_uv_hs, np.empty(n), run_lo, run_hi)
    _market_shares(skey, rows, bc, bilateral, value, share)
    _mirrors(skey, rows, bc, flow_sem, sem_rank, run_lo, run_hi, mirror)
    if n_ships > 0:
        _onward(a, b, key, bc, bm, flow_sem, np.sort(ships[:n_ships]), onward)


@njit(parallel=True, cache=True, error_model="numpy")
def hs_block_features(
    key, hs_starts, bc, bm, flow_sem, sem_rank, value, log_value, log_uv, bilateral, since, horizons
):
    """All per-HS features for rows of one frequency in canonical key order (`horizons`: see
    _series_run); returns arrays in that order:
    z_series, z_uv_series, z_hs_month, z_uv_hs_month, growth_yoy, partner_share,
    partner_share_change, growth_vs_median12, is_new_corridor, mirror row (-1 if none), onward."""
    n = len(key)
    z, z_uv = np.empty(n), np.empty(n)
    z_hs, z_uv_hs = np.empty(n), np.empty(n)
    yoy, share = np.full(n, np.nan), np.full(n, np.nan)
    share_change, vs_median = np.full(n, np.nan), np.full(n, np.nan)
    new = np.zeros(n, np.bool_)
    onward = np.zeros(n, np.bool_)
    mirror = np.full(n, -1, np.int64)
    for s in prange(len(hs_starts) - 1):
        a, b = hs_starts[s], hs_starts[s + 1]
        _hs_month_block(
            a,
            b,
            key,
            bc,
            bm,
            flow_sem,
            sem_rank,
            value,
            log_value,
            log_uv,
            bilateral,
            since,
            z_hs,
            z_uv_hs,
            share,
            mirror,
            onward,
        )
        _series_block(
            a, b, key, bc, bm, log_value, log_uv, share, horizons, z, z_uv, yoy, share_change, vs_median, new
        )
    return z, z_uv, z_hs, z_uv_hs, yoy, share, share_change, vs_median, new, mirror, onward


@njit(cache=True, error_model="numpy")
def dense_codes(values, size):
    """Dense codes 0..k-1 of non-negative ints below `size` in increasing order, and the k values.

    One scan collects the distinct values; the lookup table is written only where a value is
    present, so a few distinct values cost little however large `size` is."""
    present = np.zeros(size, np.bool_)
    distinct = np.empty(min(size, len(values)), np.int64)  # pages past k are never touched
    k = 0
    for v in values:
        if not present[v]:
            present[v] = True
            distinct[k] = v
            k += 1
    distinct = np.sort(distinct[:k])
    lookup = np.empty(size, np.int64)  # read only where present
    for i in range(k):
        lookup[distinct[i]] = i
    return gather(lookup, values), distinct


@njit(parallel=True, cache=True, error_model="numpy")
def finish(
    key, bc, bm, hs_shift, value, log_value, flow_is_import, mirror, since, hs_controlled, onward, ratio
):
    """Mirror value (CIF/FOB-adjusted to this side) and gap, partner sanctioned, HS controlled, exposure."""
    n = len(key)
    mirror_value, gap = np.full(n, np.nan), np.full(n, np.nan)
    sanctioned, controlled, exposure = np.empty(n, np.bool_), np.empty(n, np.bool_), np.empty(n, np.bool_)
    cmask, mmask = (1 << bc) - 1, (1 << bm) - 1
    for i in prange(n):
        if mirror[i] >= 0:
            mv = value[mirror[i]] * (ratio if flow_is_import[i] else 1.0 / ratio)
            mirror_value[i] = mv
            if mv > 0:
                gap[i] = log_value[i] - np.log(mv)
        sanctioned[i] = (key[i] & mmask) >= since[(key[i] >> bm) & cmask]
        controlled[i] = hs_controlled[key[i] >> hs_shift]
        exposure[i] = sanctioned[i] or onward[i]
    return mirror_value, gap, sanctioned, controlled, exposure
