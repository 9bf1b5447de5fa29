"""Trade between two countries in one HS code as one series per direction, whoever reported it,
and how its level moved: what the diversion detector reasons over.

A corridor is (exporter, importer, HS code). An export report (X, RX) gives exporter = reporter;
an import report (M, RM) gives exporter = partner, its value brought to FOB (divided by the
CIF/FOB ratio); where both sides reported a period, their mean. One frequency at a time (months,
or years for annual tables), periods indexed from the first. Levels are trimmed window means (the
largest period of a window left out, so one booking error does not make a surge), compared with
the same window one year earlier, which cancels seasonality.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np
import polars as pl

EXPORTS, IMPORTS = ("X", "RX"), ("M", "RM")
WORLD = "WLD"


@dataclass(frozen=True)
class Windows:
    """How levels are compared at one frequency: `width` periods per window, `lag` periods back
    for the same window a year earlier, and the least monthly-equivalent USD that counts."""

    width: int
    lag: int
    per_year: int

    @staticmethod
    def of(freq: str) -> Windows:
        return Windows(width=6, lag=12, per_year=12) if freq == "M" else Windows(width=1, lag=1, per_year=1)


@dataclass(frozen=True)
class Panel:
    """Corridor series of one frequency: `keys` (c, exporter, importer, hs_code) and `value`
    [C, T] USD per period (0 where nobody reported trade), `periods` (the dates of 0..T-1) and
    `rows` (features row index `row`, its corridor `c` and period `t`)."""

    keys: pl.DataFrame
    value: np.ndarray
    periods: pl.Series
    rows: pl.DataFrame
    windows: Windows


def directed(features: pl.DataFrame, freq: str, cif_fob: float = 1.06) -> pl.DataFrame:
    """Rows of one frequency as directed trade: row, exporter, importer, hs_code, period, fob."""
    frequency = pl.col("freq").fill_null("M") if "freq" in features.columns else pl.lit("M")
    is_import = pl.col("flow").is_in(IMPORTS)
    return (
        features.with_row_index("row")
        .filter(
            (frequency == freq)
            & pl.col("flow").is_in(EXPORTS + IMPORTS)
            & (pl.col("partner") != WORLD)
            & (pl.col("reporter") != WORLD)
            & (pl.col("value_usd") > 0)
        )
        .select(
            pl.col("row").cast(pl.Int64),
            pl.when(is_import).then(pl.col("partner")).otherwise(pl.col("reporter")).alias("exporter"),
            pl.when(is_import).then(pl.col("reporter")).otherwise(pl.col("partner")).alias("importer"),
            "hs_code",
            "period",
            pl.when(is_import)
            .then(pl.col("value_usd") / cif_fob)
            .otherwise(pl.col("value_usd"))
            .alias("fob"),
        )
    )


def build_panel(features: pl.DataFrame, freq: str, cif_fob: float = 1.06) -> Panel | None:
    """The corridor panel of `features`' rows of frequency `freq` (None when it has none)."""
    trade = directed(features, freq, cif_fob)
    if trade.height == 0:
        return None
    windows = Windows.of(freq)
    step = pl.col("period").dt.year().cast(pl.Int64) * windows.per_year
    if freq == "M":
        step = step + pl.col("period").dt.month().cast(pl.Int64) - 1
    trade = trade.with_columns(step.alias("t"))
    first = int(trade["t"].min())
    keys = trade.select("exporter", "importer", "hs_code").unique().sort(["hs_code", "exporter", "importer"])
    keys = keys.with_row_index("c").with_columns(pl.col("c").cast(pl.Int64))
    trade = trade.join(keys, on=["exporter", "importer", "hs_code"]).with_columns(pl.col("t") - first)
    n_t = int(trade["t"].max()) + 1
    cells = trade.group_by("c", "t").agg(pl.col("fob").mean())
    value = np.zeros((keys.height, n_t))
    value[cells["c"].to_numpy(), cells["t"].to_numpy()] = cells["fob"].to_numpy()
    steps = range(first, first + n_t)
    dates = [date(s // 12, s % 12 + 1, 1) for s in steps] if freq == "M" else [date(s, 1, 1) for s in steps]
    return Panel(
        keys, value, pl.Series("period", dates, dtype=pl.Date), trade.select("row", "c", "t"), windows
    )


def window_level(value: np.ndarray, width: int) -> np.ndarray:
    """Per series and period: the mean of the `width` periods ending there, its largest left out
    when width >= 3 (NaN before a full window)."""
    n, n_t = value.shape
    out = np.full((n, n_t), np.nan)
    if n_t < width:
        return out
    windows = np.lib.stride_tricks.sliding_window_view(value, width, axis=1)
    total = windows.sum(axis=2)
    total = (total - windows.max(axis=2)) / (width - 1) if width >= 3 else total / width
    out[:, width - 1 :] = total
    return out


def growth(level: np.ndarray, lag: int, floor: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(log growth of each window over the same window `lag` periods before, that earlier level,
    the change in USD per period); `floor` USD damps ratios of near-nothing. NaN where unknown."""
    before = np.full_like(level, np.nan)
    if level.shape[1] > lag:
        before[:, lag:] = level[:, :-lag]
    with np.errstate(invalid="ignore"):
        ratio = np.log((level + floor) / (before + floor))
    return ratio, before, level - before


def sums_by(panel: Panel, by: list[str]) -> tuple[pl.DataFrame, np.ndarray]:
    """Corridor series added up by key columns (e.g. every exporter into one importer and HS
    code): the groups (with `g`) and their [G, T] values; each corridor's group in `keys.g`."""
    groups = (
        panel.keys.select(by).unique().sort(by).with_row_index("g").with_columns(pl.col("g").cast(pl.Int64))
    )
    g = panel.keys.join(groups, on=by, how="left", maintain_order="left")["g"].to_numpy()
    totals = np.zeros((groups.height, panel.value.shape[1]))
    np.add.at(totals, g, panel.value)
    return groups, totals
