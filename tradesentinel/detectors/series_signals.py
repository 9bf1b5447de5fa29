"""Per-series standardised signals: how far each flow is from what its own series says, in units
of that series' own noise, so a lumpy corridor and a steady one are judged alike.

Within one frequency, each series (reporter, partner, flow, HS) becomes a dense row of periods.
Its seasonal profile (monthly series with two or more years: the median, over the other years, of
the same calendar month's departure from its local 13-month median, shrunk) is taken out; then,
per period:
- level: the value vs the series' level 7-18 months before (annual: 2-5 years) (see _levels);
- local: the value vs the median of the 3 months either side (annual: 2 years): a spike;
- run: the median level departure of the period and its two neighbours: a sustained shift;
- unit_level, unit_local: the same for the unit value (USD/kg); a row without a weight of its own
  is read at the weight its partner declared for the same trade (see unit_values);
- unit_peers: the unit value vs HS-month peers (the feature z_uv_hs_month) minus the series' usual
  premium, so a corridor that always pays more is not flagged every month;
- mirror: the gap to the partner's mirror report minus the series' usual gap, times the share of
  it this side's own departure accounts for (a mistake in the partner's report is not this row's;
  where both sides' series moved alike, two to one that the side declaring less is at fault);
  a gap the period before or after offsets (pooled, the two agree: one side booked the shipment a
  period later) counts only as far as the pooled gap still departs (see _mirror).
With the local signals comes their support: how many of the periods around a row exist on its
sparser side (`local_support`, `unit_local_support`; 0 at a series' edge, where the neighbours lie
on one side only and a trend moves them all the same way).
Values are read as log(value + USD 1,000 per month) (MATERIAL_USD), so immaterial flows' noise
does not read as a jump. Each is divided by the series' robust noise: 1.4826 MAD of its departures from the local baseline
(which a shift moves with, so a shift does not inflate the noise it is judged by), at least 0.05
log units, shrunk toward its HS code's typical noise when the series is short. Everything is
within one series or one HS code, so an HS partition of the table gives the same signals.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl

from tradesentinel.detectors.series_kernels import (
    calendar_profile,
    offset_medians,
    range_medians,
    row_medians,
)

SERIES = ["reporter", "partner", "flow", "hs_code"]
SIGNALS = ("level", "local", "run", "unit_level", "unit_local", "unit_peers", "mirror")
EXPECTED = ("level", "local", "unit_level", "unit_local", "mirror")
"""Signals whose reference is a value (USD, or USD/kg for unit ones) a reason can state."""
LOCAL = ("local", "unit_local")
"""Signals judged against the periods around a row, which come with their support."""
MAD_SCALE = 1.4826
FLOOR = 0.05  # least noise a series is judged by, log units
SHRINK = 6.0  # pseudo-periods pulling a short series' noise toward the table's typical noise
SEASON_SHRINK = 0.8
MATERIAL_USD = 1000.0
AGREE_PERIODS = 3  # periods in which both sides declared a weight before one stands in for the other
AGREE_SPREAD = 0.15  # and the most their weight ratio may scatter (log units, robust): about 15%
"""Value signals read log(value + USD 1,000 a month) (x12 for a year): a flow of a few dollars
after one of a few cents is not a 100-fold jump, while a real one keeps its size."""
UNDER_ODDS = 2.0  # prior odds that a mirror gap is the lower report's doing, where the series cannot tell


@dataclass(frozen=True)
class Horizon:
    """Windows of one frequency, in periods: `band` either side left out of the level baseline,
    which reaches `reach` either side; `near` either side for the local baseline."""

    band: int
    reach: int
    near: int
    per_year: int

    @staticmethod
    def of(freq: str) -> Horizon:
        return Horizon(6, 18, 3, 12) if freq == "M" else Horizon(1, 5, 2, 1)


def frequencies(features: pl.DataFrame) -> pl.Series:
    """Each row's frequency code ("M" where none is given)."""
    if "freq" not in features.columns:
        return pl.Series("freq", ["M"] * features.height)
    return features["freq"].fill_null("M")


def _offsets(lo: int, hi: int) -> np.ndarray:
    return np.arange(lo, hi + 1, dtype=np.int64)


def _dense(
    rows: pl.DataFrame, columns: list[str], per_year: int
) -> tuple[dict[str, np.ndarray], np.ndarray, np.ndarray, np.ndarray]:
    """Dense [S, T] arrays of `columns`, each row's (s, t), and each series' HS code index."""
    step = pl.col("period").dt.year().cast(pl.Int64) * per_year
    if per_year == 12:
        step = step + pl.col("period").dt.month().cast(pl.Int64) - 1
    series = pl.struct(SERIES).hash(0)  # a number per series: ranking numbers beats ranking strings
    index = rows.select((series.rank("dense").cast(pl.Int64) - 1).alias("s"), step.alias("t"))
    s, t = index["s"].to_numpy(), index["t"].to_numpy()
    t = t - t.min()
    shape = (int(s.max()) + 1, int(t.max()) + 1)
    arrays = {}
    for c in columns:
        a = np.full(shape, np.nan)
        a[s, t] = rows[c].cast(pl.Float64).fill_null(np.nan).to_numpy()
        arrays[c] = a
    group = np.zeros(shape[0], dtype=np.int64)
    group[s] = rows.select(pl.col("hs_code").hash(0).rank("dense").cast(pl.Int64)).to_series().to_numpy()
    return arrays, s, t, group


def _noise(resid: np.ndarray, group: np.ndarray) -> np.ndarray:
    """Per series: robust noise of its departures, floored, shrunk toward the typical noise of its
    HS code's series (`group`: each series' HS code index) [S, 1]. Within one HS code, so a
    partition of HS codes gets the same answer as the whole table."""
    center = row_medians(resid, 1)
    spread = MAD_SCALE * row_medians(np.abs(resid - center[:, None]), 1)
    n = (~np.isnan(resid)).sum(axis=1)
    spread = np.maximum(np.nan_to_num(spread, nan=FLOOR), FLOOR)
    frame = pl.DataFrame({"g": group, "spread": spread, "long": n >= 12})
    typical = (
        frame.select(
            pl.when(pl.col("long").any().over("g"))
            .then(pl.col("spread").filter(pl.col("long")).median().over("g"))
            .otherwise(pl.col("spread").median().over("g"))
        )
        .to_series()
        .to_numpy()
    )
    shrunk = np.sqrt((n * spread**2 + SHRINK * typical**2) / (n + SHRINK))
    return shrunk[:, None]


def _levels(x: np.ndarray, h: Horizon) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(level baseline, local baseline, which side the level came from: 0 before, 1 after, 2 the
    series median) of x, NaN-aware (see the module docstring).

    The level baseline is the series' median 7-18 months before (annual: 2-5 years): a step is
    measured from the level it left, the months just before it are left out so a shift of up to
    half a year does not hide in its own baseline, and the months before a step are not flagged
    for differing from what came after. Without that past (a series' first year), the same window
    after; without either, the series median."""
    left = range_medians(x, -h.reach, -h.band - 1, 3)
    right = range_medians(x, h.band + 1, h.reach, 3)
    level = np.where(np.isnan(left), right, left)
    side = np.where(np.isnan(left), np.where(np.isnan(right), 2, 1), 0).astype(np.float64)
    level = np.where(np.isnan(level), row_medians(x, 1)[:, None], level)
    near = np.concatenate([_offsets(-h.near, -1), _offsets(1, h.near)])
    return level, offset_medians(x, near, 2), side


def _next(x: np.ndarray, k: int) -> np.ndarray:
    """x moved k periods back along each series (the value k periods later at each cell), NaN past the end."""
    out = np.full_like(x, np.nan)
    if k > 0:
        out[:, :-k] = x[:, k:]
    else:
        out[:, -k:] = x[:, :k]
    return out


def _support(x: np.ndarray, near: int) -> np.ndarray:
    """Per cell: how many of the `near` periods before it and of the `near` after it have a value,
    whichever side has fewer."""
    ks = range(1, near + 1)
    before = sum((~np.isnan(_next(x, -k))).astype(np.int64) for k in ks)
    after = sum((~np.isnan(_next(x, k))).astype(np.int64) for k in ks)
    return np.minimum(before, after).astype(np.float64)


def _mirror(value: np.ndarray, gap: np.ndarray, usual: np.ndarray, group: np.ndarray) -> np.ndarray:
    """The mirror gap's departure from the series' usual gap, in its noise, unless the period next
    to it offsets it: a shipment one side books a period later than the other shows as opposite
    gaps in two periods whose pooled totals agree. So a row keeps the smallest departure of its own
    gap and of the gaps pooled with the period before or after (each in its own noise); a gap the
    neighbours do not offset (under-declared trade) stays, and one without a neighbour's mirror
    keeps its own. `value` in USD."""
    mirror = value * np.exp(-gap)  # the partner's report, adjusted to this side
    own = gap - usual
    departures = [np.abs(own / _noise(own, group))]
    for k in (-1, 1):
        pooled = np.log(value + _next(value, k)) - np.log(mirror + _next(mirror, k)) - usual
        departures.append(np.abs(pooled / _noise(pooled, group)))
    return np.sign(own) * np.fmin.reduce(departures)


def _season(x: np.ndarray, h: Horizon) -> np.ndarray:
    """Each period's seasonal offset (0 for annual series or where too few years)."""
    if h.per_year == 1:
        return np.zeros_like(x)
    centered = x - range_medians(x, -6, 6, 5)  # off its local level: steps and trends drop out
    profile = calendar_profile(centered, 12, 2)
    return np.nan_to_num(profile * SEASON_SHRINK)


def _signals_of(rows: pl.DataFrame, freq: str) -> pl.DataFrame:
    h = Horizon.of(freq)
    a, s, t, group = _dense(rows, ["log_value", "log_unit_value", "z_uv_hs_month", "mirror_gap"], h.per_year)
    out: dict[str, np.ndarray] = {}
    floor = np.log(MATERIAL_USD * 12 / h.per_year)
    for name, column in (("", "log_value"), ("unit_", "log_unit_value")):
        x = (
            a[column] if name else np.logaddexp(np.nan_to_num(a[column], nan=-np.inf), floor)
        )  # log(value + floor)
        x = np.where(np.isnan(a[column]), np.nan, x)
        season = _season(x, h)
        adjusted = x - season
        level, local, side = _levels(adjusted, h)
        if not name:
            out["level_side"] = side
        noise = _noise(adjusted - local, group)
        out[f"{name}level"] = (adjusted - level) / noise
        out[f"{name}local"] = (adjusted - local) / noise
        out[f"{name}local_support"] = _support(adjusted, h.near)
        shift = np.exp(floor) if not name else 0.0  # back from value + floor to USD
        out[f"exp_{name}level"] = np.maximum(np.exp(level + season) - shift, 0.0)
        out[f"exp_{name}local"] = np.maximum(np.exp(local + season) - shift, 0.0)
    out["run"] = range_medians(out["level"], -1, 1, 2)
    peers = a["z_uv_hs_month"]
    usual = row_medians(peers, 3)[:, None]
    spread = np.maximum(np.nan_to_num(MAD_SCALE * row_medians(np.abs(peers - usual), 3), nan=0.5), 0.5)
    out["unit_peers"] = np.where(np.isnan(usual), peers, (peers - usual) / spread[:, None])
    gap = a["mirror_gap"]
    usual_gap = row_medians(gap, 3)[:, None]
    value = np.exp(a["log_value"])
    out["mirror"] = _mirror(value, gap, np.nan_to_num(usual_gap), group)
    out["exp_mirror"] = np.exp(np.nan_to_num(usual_gap) - gap) * value  # value at the usual gap
    first = np.full(group.shape[0], np.iinfo(np.int64).max)
    last = np.full(group.shape[0], -1)
    np.minimum.at(first, s, t)
    np.maximum.at(last, s, t)
    edge = ((t == first[s]) | (t == last[s])).astype(np.float64)  # the series' first or last period
    return pl.DataFrame({**{k: v[s, t] for k, v in out.items()}, "edge": edge}, nan_to_null=False)


MIRROR_FLOW = {"X": "M", "M": "X", "RX": "RM", "RM": "RX"}


def mirror_rows(features: pl.DataFrame) -> np.ndarray:
    """Per row, the position of its mirror row (the partner's report of the same trade: reporter and
    partner swapped, the opposite flow, same HS code, frequency and period; the first such row), -1
    where there is none. An annual total and its year's January share a period date, so the
    frequency is part of the key: a month never meets a year. Rows meet their mirror by a hash of
    the swapped key."""
    frame = features.select("period", "reporter", "partner", "flow", "hs_code", frequencies(features))
    key = ["period", "reporter", "partner", "flow", "hs_code", "freq"]
    swapped = [
        pl.col("period"),
        pl.col("partner").alias("reporter"),
        pl.col("reporter").alias("partner"),
        pl.col("flow").replace(MIRROR_FLOW).alias("flow"),
        pl.col("hs_code"),
        pl.col("freq"),
    ]
    keys = frame.select(pl.struct(key).hash(0).alias("k"), pl.struct(swapped).hash(0).alias("m"))
    first = keys.with_row_index("at").unique("k", keep="first").select("k", "at")
    joined = keys.join(first, left_on="m", right_on="k", how="left", maintain_order="left")
    return joined["at"].cast(pl.Int64).fill_null(-1).to_numpy()


def from_mirror(values: np.ndarray, mirror: np.ndarray) -> np.ndarray:
    """Per row, `values` at its mirror row (`mirror_rows`), NaN where there is none."""
    return np.where(mirror >= 0, values[np.maximum(mirror, 0)], np.nan)


def _mirror_attribution(mirror: np.ndarray, departure: np.ndarray, gap: np.ndarray) -> np.ndarray:
    """Per row, how much of a mirror gap is this side's doing: a / (a + b) with a = (|own
    departure| + 0.5)^2 and b = |the mirror row's departure|^2, each as its frequency judges it
    (`_departure`), and a doubled (UNDER_ODDS) where this side is the one that declared less than
    usual (`gap`, its departure from the usual gap, is negative).
    A units mistake in the exporter's report shows as a gap on both rows; only the row that also
    left its own series keeps it. Where both series moved about as much (the trade itself rose
    or fell that period), the odds favour the lower report: a customs report misses part of a
    trade (goods under-declared, shipments left out) far more often than it invents some, and an
    invented or inflated one (a units slip) leaves its own series by far more than the odds."""
    own = np.abs(np.nan_to_num(departure))
    other = np.nan_to_num(from_mirror(own, mirror))
    a = (own + 0.5) ** 2 * np.where(np.nan_to_num(gap) < 0, UNDER_ODDS, 1.0)
    return a / (a + other**2)


def unit_values(features: pl.DataFrame, mirror: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(log unit value the unit signals read, whether it rests on the partner's weight) per row.

    A row without a weight of its own (many reporters publish none in some periods, and an annual
    total has none when a month lacks it) is read at the weight its partner declared for the same
    trade, where the two sides' weights of this flow have agreed: in at least `AGREE_PERIODS`
    periods both declared one, and their ratio scattered no more than `AGREE_SPREAD` log units
    around its median, by which the partner's weight is brought to this side's; or where this
    side never declares a weight, so its series is read wholly at its partner's weights and judged
    against that series' own noise, never mixed with weights of its own. A price manipulated on
    the invoice both sides share, or goods declared lighter on both sides, then still shows.
    Where the sides have disagreed the row keeps no unit value: on real files they mostly do (a
    factor of 1.9 between the two sides at the median series of Comtrade HS 440799, scattering
    0.6 log units year to year), and a stand-in that far off would read as a price anomaly."""
    own = features["log_unit_value"].cast(pl.Float64).fill_null(np.nan).to_numpy()
    log_value = features["log_value"].cast(pl.Float64).fill_null(np.nan).to_numpy()
    with np.errstate(invalid="ignore"):
        weight = log_value - own  # log kg
        partner = from_mirror(weight, mirror)
        ratio = np.where(np.isfinite(weight) & np.isfinite(partner), weight - partner, np.nan)
    r = pl.col("r")
    series = [*SERIES, "freq"] if "freq" in features.columns else SERIES
    per_series = (
        features.select(*series)
        .with_columns(pl.Series("r", ratio).fill_nan(None), pl.Series("w", np.isfinite(weight)))
        .select(
            r.median().over(series).alias("usual"),
            (MAD_SCALE * (r - r.median()).abs().median()).over(series).alias("spread"),
            r.count().over(series).alias("n"),
            pl.col("w").any().over(series).alias("weighed"),
        )
    )
    usual = per_series["usual"].fill_null(0.0).to_numpy()
    agree = ((per_series["n"] >= AGREE_PERIODS) & (per_series["spread"] <= AGREE_SPREAD)).fill_null(False)
    agree = agree | ~per_series["weighed"]
    stand_in = log_value - (partner + usual)
    by_mirror = np.isnan(own) & np.isfinite(stand_in) & agree.to_numpy()
    return np.where(by_mirror, stand_in, own), by_mirror


def _departure(frame: pl.DataFrame, freq: pl.Series) -> np.ndarray:
    """How far each row left its own series, as its frequency judges it: a monthly row by its
    level (vs 7-18 months before), an annual one by the years around it (its level vs 2-5 years
    before moves with long trends, which would credit or blame the wrong side of a mirror gap)."""
    annual = (freq == "A").to_numpy()
    return np.where(annual, frame["z_local"].to_numpy(), frame["z_level"].to_numpy())


def thin_support(features: pl.DataFrame) -> np.ndarray:
    """Per row: whether fewer than two of the periods around it (Horizon.near either side) exist on
    its sparser side: a series' first or last periods, or a row beside a gap, where anything read
    from the series' course (its growth, its level around it) runs wide for every row."""
    freq = frequencies(features)
    out = np.zeros(features.height, dtype=bool)
    needed = features.select(*SERIES, "period", "log_value")
    for value in ("M", "A"):
        mask = (freq == value).to_numpy()
        if not mask.any():
            continue
        h = Horizon.of(value)
        a, s, t, _ = _dense(needed if mask.all() else needed[np.flatnonzero(mask)], ["log_value"], h.per_year)
        out[mask] = _support(a["log_value"], h.near)[s, t] < 2
    return out


def series_signals(features: pl.DataFrame) -> pl.DataFrame:
    """One row per features row (same order): z_<signal> for SIGNALS (NaN where not computable),
    exp_<signal> for EXPECTED (the value the signal compared with, USD or USD/kg), <signal>_support
    for LOCAL (the periods around it on its sparser side), `edge` (the row is its series' first
    or last period), the unit value the unit signals read (`unit_value_used`, USD/kg) with
    whether it rests on the partner's weight (`unit_by_mirror`, see `unit_values`), and the
    position of the row's mirror row (`mirror_row`, -1 where none: `mirror_rows`)."""
    freq = frequencies(features)
    mirror = mirror_rows(features)
    log_unit_value, by_mirror = unit_values(features, mirror)
    needed = features.select(
        *SERIES,
        "period",
        "log_value",
        pl.Series("log_unit_value", log_unit_value),
        "z_uv_hs_month",
        "mirror_gap",
    )
    parts = []
    for value in ("M", "A"):
        mask = (freq == value).to_numpy()
        if not mask.any():
            continue
        rows = np.flatnonzero(mask)
        signals = _signals_of(needed if mask.all() else needed[rows], value)
        parts.append(signals.rename({k: f"z_{k}" for k in SIGNALS}).with_columns(pl.Series("_row", rows)))
    columns = (
        [f"z_{k}" for k in SIGNALS]
        + [f"exp_{k}" for k in EXPECTED]
        + [f"{k}_support" for k in LOCAL]
        + ["level_side", "edge"]
    )
    if not parts:
        return pl.DataFrame({c: np.full(features.height, np.nan) for c in columns}).with_columns(
            pl.col("edge").cast(pl.Boolean),
            pl.Series("unit_value_used", np.exp(log_unit_value)),
            pl.Series("unit_by_mirror", by_mirror),
            pl.Series("mirror_row", mirror),
        )
    frame = pl.concat(parts).sort("_row")
    if frame.height != features.height:  # rows of another frequency code (neither M nor A)
        frame = pl.DataFrame({"_row": np.arange(features.height)}).join(frame, on="_row", how="left")
    frame = frame.select(columns).with_columns(pl.all().fill_null(np.nan))
    attribution = _mirror_attribution(mirror, _departure(frame, freq), frame["z_mirror"].to_numpy())
    return frame.with_columns(
        pl.col("z_mirror") * attribution,
        pl.col("edge").cast(pl.Boolean),
        pl.Series("unit_value_used", np.exp(log_unit_value)),
        pl.Series("unit_by_mirror", by_mirror),
        pl.Series("mirror_row", mirror),
    )
