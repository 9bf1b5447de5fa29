"""The feature table: flows in, flows plus feature columns out (schema.FEATURES), as a pure function.

Every feature is computed within one HS code (series, mirror pairs, partner shares, HS x period
medians), so this is a pure function of an HS partition too. Monthly and annual rows are
featurised apart, each frequency with its own Horizon (the year-ago lag, the trailing-median
window, the new-corridor horizon, in its own periods): an annual total is never compared with a
month, nor in the same series as one. Keys are parsed once into dense integers in lexical order
(`feature_keys`) and packed per frequency into one int64 in canonical order (HS, flow, reporter,
partner, period); `kernels.hs_block_features` then computes every feature per HS block in one
parallel pass. The canonical flows table is stored in that order, so no sort is needed; any other
order is sorted here and put back. Output rows keep the input order.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl

from tradesentinel.errors import SchemaError
from tradesentinel.pipeline import kernels
from tradesentinel.pipeline.feature_keys import Encoded, Keys, encode, keys_of
from tradesentinel.schema import FEATURES, FLOW_CODES, optional_nulls

CANONICAL_ORDER = ("hs_code", "flow", "reporter", "partner", "period")
"""The row order flows are stored in and features are computed in."""
NOT_SANCTIONED = np.iinfo(np.int64).max // 4


@dataclass(frozen=True, kw_only=True)
class Horizon:
    """How rows of one frequency are compared over time, counted in its own periods.

    A reason can name its comparison from these: growth_yoy compares with the period `lag`
    periods earlier ("vs 2010", "vs the same month of 2022"); growth_vs_median12 with the median
    of the `median_window` periods before (at least `median_min` of them present).
    """

    freq: str  # the flows `freq` code: M or A
    unit: str  # one period in words: month or year
    lag: int  # growth_yoy and partner_share_change: periods back to the same period a year earlier
    median_window: int  # growth_vs_median12: the trailing median covers this many previous periods...
    median_min: int  # ...and needs at least this many of them
    new_corridor: int  # is_new_corridor: the series began fewer than this many periods ago, its market
    # at least this many periods before it

    def as_array(self) -> np.ndarray:
        """(lag, median window, median minimum, new-corridor horizon), as the kernels take them."""
        return np.array([self.lag, self.median_window, self.median_min, self.new_corridor], np.int64)


MONTHLY = Horizon(freq="M", unit="month", lag=12, median_window=12, median_min=3, new_corridor=12)
ANNUAL = Horizon(freq="A", unit="year", lag=1, median_window=3, median_min=2, new_corridor=1)
HORIZONS: dict[str, Horizon] = {h.freq: h for h in (MONTHLY, ANNUAL)}
"""The comparison horizons of each frequency (docs/features.md explains the choices)."""


def _since_periods(e: Encoded, programmes: pl.DataFrame, horizon: Horizon) -> np.ndarray:
    """Per country code: the period index from which it is under a country programme (for annual
    rows, the year the programme starts: it is in force for part of that year's total)."""
    since = np.full(max(len(e.countries), 1), NOT_SANCTIONED, dtype=np.int64)
    index = {c: i for i, c in enumerate(e.countries)}
    for iso3, start in programmes.select("iso3", "since").iter_rows():
        if iso3 in index:
            year = start.year - 1970
            period = year if horizon is ANNUAL else year * 12 + start.month - 1
            since[index[iso3]] = min(since[index[iso3]], period - e.first_period)
    return since


def _controlled_codes(hs_codes: list[str], controlled: pl.DataFrame) -> np.ndarray:
    """Per HS code: on the controlled list (an HS2/HS4 aggregate counts when it contains one)."""
    codes = set(controlled["hs_code"].to_list())
    prefixes = {c[:d] for c in codes for d in (2, 4)}
    return np.array([(c in codes) or (len(c) < 6 and c in prefixes) for c in hs_codes], dtype=bool)


def _annual_rows(frame: pl.DataFrame) -> pl.Series | None:
    """Per row: whether it is annual (freq A) rather than monthly (M; a null freq reads as M, as the
    detectors read it); None when every row is monthly, the common case, found in one pass. Any
    other code is refused: its periods could not be compared."""
    freq = frame["freq"].cast(pl.String)
    if (freq == "M").all():  # all() skips nulls
        return None
    annual = freq == "A"
    unknown = freq.is_not_null() & ~annual & (freq != "M")
    if unknown.any():
        raise SchemaError(
            f"unknown freq code(s) {sorted(freq.filter(unknown).unique().to_list())}: expected M or A"
        )
    return annual.fill_null(False)


@dataclass(frozen=True)
class _Against:
    """What flows are featurised against: country programmes, controlled HS codes, the CIF/FOB ratio."""

    programmes: pl.DataFrame
    controlled: pl.DataFrame
    cif_fob_ratio: float


@dataclass(frozen=True)
class _Values:
    """Per row: value, log value, unit value (USD/kg) and log unit value; NaN where undefined (a
    missing or zero weight, a value <= 0). They do not depend on the frequency."""

    value: np.ndarray
    log_value: np.ndarray
    unit_value: np.ndarray
    log_uv: np.ndarray

    def columns(self) -> dict[str, np.ndarray]:
        """The feature columns they are."""
        return {"unit_value": self.unit_value, "log_value": self.log_value, "log_unit_value": self.log_uv}


def _values(flows: pl.DataFrame) -> _Values:
    """The values of every row of `flows`."""
    value = flows["value_usd"].cast(pl.Float64).to_numpy()
    weight = flows["net_weight_kg"].cast(pl.Float64).fill_null(np.nan).to_numpy()
    with np.errstate(divide="ignore", invalid="ignore"):
        unit_value = np.where(weight > 0, value / weight, np.nan)
        return _Values(value, np.where(value > 0, np.log(value), np.nan), unit_value, np.log(unit_value))


def _features_of(
    e: Encoded, rows: np.ndarray | None, values: _Values, horizon: Horizon, against: _Against
) -> dict[str, np.ndarray]:
    """The feature columns that depend on the frequency (all but the values) of `rows` (all rows
    when None), which all have one frequency and are encoded in `e`, in the order of `rows`."""
    key = e.key
    perm = None if kernels.is_sorted(key) else pl.Series(key).arg_sort().to_numpy().astype(np.int64)

    def gather(values: np.ndarray) -> np.ndarray:
        return values if perm is None else kernels.gather(values, perm)

    value, log_value, log_uv = (
        v if rows is None else kernels.gather(v, rows)
        for v in (values.value, values.log_value, values.log_uv)
    )
    world = e.countries.index("WLD") if "WLD" in e.countries else -1
    since = _since_periods(e, against.programmes, horizon)
    sorted_key = gather(key)
    hs_shift = 2 + 2 * e.bits_country + e.bits_period
    out = kernels.hs_block_features(
        sorted_key,
        kernels.run_starts(sorted_key, hs_shift),
        e.bits_country,
        e.bits_period,
        gather(e.flow_sem),
        e.sem_rank,
        gather(value),
        gather(log_value),
        gather(log_uv),
        gather(((key >> e.bits_period) & ((1 << e.bits_country) - 1)) != world),
        since,
        horizon.as_array(),
    )
    names = (
        "z_series",
        "z_uv_series",
        "z_hs_month",
        "z_uv_hs_month",
        "growth_yoy",
        "partner_share",
        "partner_share_change",
        "growth_vs_median12",
        "is_new_corridor",
        "_mirror",
        "onward_to_sanctioned",
    )
    columns = {
        name: (col if perm is None else kernels.scatter(col, perm))
        for name, col in zip(names, out, strict=True)
    }
    mirror = columns.pop("_mirror")  # a position in canonical order: map it to an input row
    if perm is not None:
        mirror = np.where(mirror >= 0, perm[np.maximum(mirror, 0)], -1)
    mirror_value, mirror_gap, partner_sanctioned, hs_controlled, exposure = kernels.finish(
        key,
        e.bits_country,
        e.bits_period,
        hs_shift,
        value,
        log_value,
        e.flow_sem == FLOW_CODES.index("M"),
        mirror,
        since,
        _controlled_codes(e.hs_codes, against.controlled),
        columns["onward_to_sanctioned"],
        against.cif_fob_ratio,
    )
    return columns | {
        "mirror_value_usd": mirror_value,
        "mirror_gap": mirror_gap,
        "partner_sanctioned": partner_sanctioned,
        "hs_controlled": hs_controlled,
        "sanctions_exposure": exposure,
    }


def _features_per_frequency(
    keys: Keys, annual: pl.Series, values: _Values, against: _Against
) -> dict[str, np.ndarray]:
    """Feature columns of a table mixing frequencies: each frequency's rows on their own, put back
    in row order (the two never share a series, a peer group, a mirror or a market)."""
    is_annual = annual.to_numpy()
    n = len(is_annual)
    columns: dict[str, np.ndarray] = {}
    for rows, horizon in ((np.flatnonzero(~is_annual), MONTHLY), (np.flatnonzero(is_annual), ANNUAL)):
        e = encode(keys, rows, annual=horizon is ANNUAL)
        for name, col in _features_of(e, rows, values, horizon, against).items():
            if name != "hs_controlled":  # the same whatever the frequency: found once below
                kernels.put(columns.setdefault(name, np.empty(n, col.dtype)), rows, col)
    controlled = _controlled_codes(keys.hs_codes, against.controlled)
    return columns | {"hs_controlled": kernels.gather(controlled, keys.hs)}


def build_features(
    flows: pl.LazyFrame | pl.DataFrame,
    *,
    programmes: pl.DataFrame,
    controlled: pl.DataFrame,
    cif_fob_ratio: float = 1.06,
) -> pl.LazyFrame:
    """Flows plus every feature column of schema.FEATURES, rows in input order.

    Unit value is USD/kg; growth and gaps are natural-log differences; z-scores are robust
    (median/MAD) within the series (reporter, partner, flow, HS) and within HS x period x flow;
    the mirror value is the partner's report of the same trade, CIF/FOB-adjusted to this side.
    Monthly and annual rows are featurised apart, each over its own HORIZONS.
    """
    frame = flows.collect() if isinstance(flows, pl.LazyFrame) else flows
    frame = frame.with_columns(optional_nulls(frame.columns, "flows"))  # flows stored before them
    annual = _annual_rows(frame)
    against = _Against(programmes, controlled, cif_fob_ratio)
    values = _values(frame)
    if annual is not None and not annual.all():
        columns = _features_per_frequency(keys_of(frame), annual, values, against)
    else:  # one frequency: the codes are freed once packed into the key
        horizon = MONTHLY if annual is None else ANNUAL
        e = encode(keys_of(frame), None, annual=horizon is ANNUAL)
        columns = _features_of(e, None, values, horizon, against)
    result = frame.with_columns(
        pl.Series(name, col, nan_to_null=col.dtype.kind == "f")
        for name, col in (columns | values.columns()).items()
    )[list(FEATURES)]  # indexing, unlike select, keeps the chunks as they are (no copy)
    mismatched = [pl.col(c).cast(t) for c, t in FEATURES.items() if result.schema[c] != t]
    return (result.with_columns(mismatched) if mismatched else result).lazy()
