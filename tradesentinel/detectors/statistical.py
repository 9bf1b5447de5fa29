"""Statistical detectors: robust z-scores, mirror gaps, growth against the trailing median, and the
controlled-goods-to-sanctioned-destination rule. No training beyond table-wide robust scales."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Self

import numpy as np
import polars as pl

from tradesentinel.detectors.base import Reason
from tradesentinel.detectors.signals import Signal, ratio_signal

SERIES = ["reporter", "partner", "flow", "hs_code"]
HS_MONTH = ["hs_code", "period", "flow"]
SIGNALS = (
    "z_series",
    "z_uv_series",
    "z_hs_month",
    "z_uv_hs_month",
    "mirror_gap",
    "growth_vs_median12",
    "growth_yoy",
)
MAD_SCALE = 1.4826


def robust_scale(values: np.ndarray, floor: float = 1e-6) -> tuple[float, float]:
    """(median, 1.4826 * MAD) of the finite values, the scale floored so it never divides by zero."""
    finite = values[np.isfinite(values)]
    if finite.size == 0:
        return 0.0, 1.0
    center = float(np.median(finite))
    return center, max(float(np.median(np.abs(finite - center))) * MAD_SCALE, floor)


class StatisticalDetector:
    """Largest absolute robust deviation among the statistical signals of a row.

    Each signal (robust z within series and within HS x month, for value and unit value; mirror gap;
    growth vs the trailing 12-month median and vs the same month last year) is re-standardised
    over the whole table at fit, so a mirror gap and a z-score are on one scale.
    """

    name = "statistical"
    family = "value"

    def __init__(self, signals: tuple[str, ...] = SIGNALS):
        self.signals = signals

    def fit(self, features: pl.DataFrame) -> Self:
        self.scales_ = {s: robust_scale(features[s].cast(pl.Float64).to_numpy()) for s in self.signals}
        return self

    def standardised(self, features: pl.DataFrame) -> np.ndarray:
        """Rows x signals matrix of |signal - center| / scale (0 where the signal is missing)."""
        columns = []
        for signal in self.signals:
            center, scale = self.scales_[signal]
            values = features[signal].cast(pl.Float64).fill_null(np.nan).to_numpy()
            columns.append(np.nan_to_num(np.abs(values - center) / scale, nan=0.0))
        return np.column_stack(columns) if columns else np.zeros((features.height, 0))

    def score(self, features: pl.DataFrame) -> np.ndarray:
        matrix = self.standardised(features)
        return matrix.max(axis=1) if matrix.shape[1] else np.zeros(features.height)

    def explain(self, features: pl.DataFrame, rows: np.ndarray, top: int = 3) -> list[list[Reason]]:
        rows = np.asarray(rows, dtype=np.int64)
        matrix = self.standardised(features)
        facts = _row_facts(features, rows)
        out = []
        for i, row in enumerate(rows):
            reasons = []
            for j in np.argsort(-matrix[row])[:top]:
                if matrix[row, j] <= 0:
                    continue
                reasons.append(_reason(self.name, self.signals[j], facts, i, float(matrix[row, j])))
            out.append(reasons)
        return out


@dataclass(frozen=True)
class _Check:
    """One statistical signal as a reason: what it compares (label), the observed and expected
    columns of _row_facts, their unit, and the signal it means unless the row says more."""

    label: str
    observed: str
    expected: str
    unit: str
    signal: Signal


CHECKS = {
    "z_series": _Check(
        "value vs its series' own level", "value_usd", "series_value", "USD", Signal.LEVEL_SHIFT
    ),
    "z_uv_series": _Check(
        "unit value vs its series' own level", "unit_value", "series_uv", "USD/kg", Signal.UNIT_PRICE
    ),
    "z_hs_month": _Check("value vs HS-month peers", "value_usd", "peer_value", "USD", Signal.PEER_OUTLIER),
    "z_uv_hs_month": _Check(
        "unit value vs HS-month peers", "unit_value", "peer_uv", "USD/kg", Signal.UNIT_PRICE
    ),
    "mirror_gap": _Check(
        "value vs the partner's mirror report", "value_usd", "mirror_value_usd", "USD", Signal.MIRROR_GAP
    ),
    "growth_vs_median12": _Check(
        "value vs the trailing 12-month median", "value_usd", "trailing", "USD", Signal.SPIKE
    ),
    "growth_yoy": _Check("value vs the same month last year", "value_usd", "last_year", "USD", Signal.SPIKE),
}
"""Each statistical signal (a feature column) as a reason."""
HISTORY = ("z_series", "growth_vs_median12", "growth_yoy")
"""Signals that compare a value with its own series' past or level: a spike or a level shift."""
AHEAD = 3
"""Months after a departure that tell a spike (they come back) from a level shift (they stay)."""


def _row_facts(features: pl.DataFrame, rows: np.ndarray) -> dict[str, list]:
    """For the asked rows: observed and expected values in USD (or USD/kg) of every check, and what
    the comparisons name (period, frequency, HS code, partner), and in log units the value's
    growth, its departure from its series' level and its lead over the months after it."""
    annual = (pl.col("freq") == "A").fill_null(False) if "freq" in features.columns else pl.lit(False)
    series_level = pl.col("log_value").median().over(SERIES)
    frame = features.select(
        series_level.exp().alias("series_value"),
        pl.col("log_unit_value").median().over(SERIES).exp().alias("series_uv"),
        pl.col("log_value").median().over(HS_MONTH).exp().alias("peer_value"),
        pl.col("log_unit_value").median().over(HS_MONTH).exp().alias("peer_uv"),
        (pl.col("log_value") - pl.col("growth_vs_median12")).exp().alias("trailing"),
        (pl.col("log_value") - pl.col("growth_yoy")).exp().alias("last_year"),
        (pl.col("log_value") - series_level).alias("departure"),
        "value_usd",
        "unit_value",
        "mirror_value_usd",
        "growth_vs_median12",
        "growth_yoy",
        "hs_code",
        "partner",
        pl.col("period").dt.year().alias("year"),
        pl.when(annual)
        .then(pl.col("period").dt.strftime("%Y"))
        .otherwise(pl.col("period").dt.strftime("%Y-%m"))
        .alias("period"),
        annual.alias("annual"),
    )[rows].with_columns(_ahead(features, rows))
    return {c: [None if _missing(v) else v for v in frame[c].to_list()] for c in frame.columns}


def _ahead(features: pl.DataFrame, rows: np.ndarray) -> pl.Series:
    """Per asked row: its log value minus the median of its series' next AHEAD months that have
    trade (null when none): large where the value came back down after it, near 0 where it stayed.
    Only the asked rows' series are sorted, so explaining the top rows of a big table stays cheap."""
    after = pl.col("period").dt.offset_by(f"{AHEAD}mo")
    following = [
        pl.when(pl.col("period").shift(-k).over(SERIES) <= after).then(
            pl.col("log_value").shift(-k).over(SERIES)
        )
        for k in range(1, AHEAD + 1)
    ]
    table = features.select(*SERIES, "period", "log_value").with_row_index("_row").cast({"_row": pl.Int64})
    series = table[rows].select(SERIES).unique()
    ahead = (
        table.join(series, on=SERIES, how="semi", nulls_equal=True)
        .sort([*SERIES, "period"])
        .select("_row", (pl.col("log_value") - pl.concat_list(following).list.median()).alias("ahead"))
    )
    asked = pl.DataFrame({"_row": pl.Series(rows, dtype=pl.Int64)})
    return asked.join(ahead, on="_row", how="left", maintain_order="left")["ahead"]


def _missing(value: object) -> bool:
    return value is None or (isinstance(value, float) and np.isnan(value))


def _reason(detector: str, signal: str, facts: dict[str, list], i: int, magnitude: float) -> Reason:
    """The reason behind one statistical signal of the i-th asked row."""
    check = CHECKS[signal]
    observed, expected = facts[check.observed][i], facts[check.expected][i]
    kind = check.signal
    if signal in HISTORY:
        jump = facts["growth_vs_median12" if signal == "z_series" else signal][i]
        if jump is None and signal == "z_series":
            jump = facts["growth_yoy"][i]
        kind = _spike_or_shift(jump, facts["departure"][i], facts["ahead"][i])
    if signal != "z_hs_month":  # peers differ in size, so x1000 vs peers says nothing about units
        kind = ratio_signal(observed, expected, kind)
    label = "value vs the year before" if signal == "growth_yoy" and facts["annual"][i] else check.label
    return Reason(
        detector=detector,
        signal=kind,
        label=label,
        feature=signal,
        observed=observed,
        expected=expected,
        unit=check.unit,
        comparison=_comparison(signal, facts, i),
        magnitude=magnitude,
    )


def _comparison(signal: str, facts: dict[str, list], i: int) -> str:
    """The reference a statistical signal compared the row with, in words that name it."""
    if signal in ("z_hs_month", "z_uv_hs_month"):
        return f"vs HS {facts['hs_code'][i]} peers in {facts['period'][i]}"
    if signal == "mirror_gap":
        return f"vs the partner's mirror report ({facts['partner'][i]}, CIF/FOB-adjusted)"
    if signal == "growth_vs_median12":
        return "vs the median of the 12 months before"
    if signal == "growth_yoy":
        year = facts["year"][i] - 1
        return f"vs {year}" if facts["annual"][i] else f"vs the same month of {year}"
    return "vs the series median"


def _spike_or_shift(jump: float | None, departure: float | None, ahead: float | None) -> Signal:
    """A value departing from its own history (log units): SPIKE if it stands out from the months
    after it too (`ahead` at least half the `jump` over its past, same direction), LEVEL_SHIFT if the
    months after stay where it went. With no month after, SPIKE when the jump and the departure from
    the series' level over all its months agree within a factor 2 (new, and unlike the rest)."""
    jump = departure if jump is None else jump
    if jump is None or jump == 0:
        return Signal.LEVEL_SHIFT
    if ahead is not None:
        return Signal.SPIKE if ahead / jump >= 0.5 else Signal.LEVEL_SHIFT
    if departure is None or not 0.5 <= departure / jump <= 2.0:
        return Signal.LEVEL_SHIFT
    return Signal.SPIKE


class SanctionsExposureDetector:
    """Controlled goods (e.g. the Common High Priority List) going to a sanctioned country or to a
    country that ships the same goods on to one, ranked by how new the exposure is: a corridor
    opened for the exposure ranks first (its first month is less than NEW_MONTHS before its first
    exposed month, the horizon of the `is_new_corridor` feature), then by how far the flow has grown
    over the corridor's own level before exposure (the median log value of its unexposed months).
    Its reason's signal is `new_corridor` for a corridor opened for the exposure, else
    `sanctions_exposure`."""

    name = "sanctions"
    family = "sanctions"
    NEW_CORRIDOR = 3.0  # log units credited to a corridor opened for its exposure
    NEW_MONTHS = 12  # a corridor younger than this when it first became exposed was opened for it

    def fit(self, features: pl.DataFrame) -> Self:
        return self

    def _novelty(self, features: pl.DataFrame) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(exposed, the corridor's median log value before exposure (NaN if none), score) per row."""
        month = pl.col("period").dt.year().cast(pl.Int32) * 12 + pl.col("period").dt.month().cast(pl.Int32)
        exposed = (pl.col("hs_controlled") & pl.col("sanctions_exposure")).fill_null(False)
        frame = features.select(
            exposed.alias("exposed"),
            pl.col("log_value").filter(~pl.col("sanctions_exposure")).median().over(SERIES).alias("before"),
            ((month.filter(exposed).min() - month.min()).over(SERIES) < self.NEW_MONTHS).alias("opened"),
            "log_value",
        )
        exposed_rows = frame["exposed"].to_numpy()
        opened = frame["opened"].fill_null(False).to_numpy()
        before = frame["before"].cast(pl.Float64).fill_null(np.nan).to_numpy()
        before = np.where(opened, np.nan, before)  # a corridor opened for the exposure has no level before it
        growth = frame["log_value"].cast(pl.Float64).fill_null(np.nan).to_numpy() - before
        novelty = np.where(
            np.isnan(before), self.NEW_CORRIDOR, np.clip(np.nan_to_num(growth), 0, self.NEW_CORRIDOR)
        )
        return exposed_rows, before, exposed_rows * (1.0 + novelty)

    def score(self, features: pl.DataFrame) -> np.ndarray:
        return self._novelty(features)[2]

    def explain(self, features: pl.DataFrame, rows: np.ndarray) -> list[list[Reason]]:
        exposed, before, score = self._novelty(features)
        direct = features["partner_sanctioned"].to_numpy()
        exposed_col = (pl.col("hs_controlled") & pl.col("sanctions_exposure")).fill_null(False)
        dates = features.select(
            pl.col("period").min().over(SERIES).dt.strftime("%Y-%m").alias("first"),
            pl.col("period").filter(exposed_col).min().over(SERIES).dt.strftime("%Y-%m").alias("exposed"),
        )
        out = []
        for row in np.asarray(rows, dtype=np.int64):
            if not exposed[row]:
                out.append([])
                continue
            opened = bool(np.isnan(before[row]))
            label = (
                "controlled HS to a sanctioned partner"
                if direct[row]
                else "controlled HS to a country shipping it on to a sanctioned one"
            ) + ("; corridor opened for it" if opened else "")
            first, since = dates["first"][int(row)], dates["exposed"][int(row)]
            comparison = (
                f"vs no trade before: the corridor opened in {first}, exposed since {since}"
                if opened
                else f"vs the corridor's median month before its exposure began in {since}"
            )
            reason = Reason(
                detector=self.name,
                signal=Signal.NEW_CORRIDOR if opened else Signal.SANCTIONS_EXPOSURE,
                label=label,
                feature="sanctions_exposure",
                observed=float(features["value_usd"][int(row)]),
                expected=None if opened else float(np.exp(before[row])),
                unit="USD",
                comparison=comparison,
                magnitude=float(score[row]),
            )
            out.append([reason])
        return out
