"""Statistical detectors: robust z-scores, mirror gaps, growth against the trailing median, and the
controlled-goods-to-sanctioned-destination rule. No training beyond table-wide robust scales."""

from __future__ import annotations

from typing import Self

import numpy as np
import polars as pl

from tradesentinel.detectors.base import Reason

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
        expected = _expected_values(features)
        matrix = self.standardised(features)
        out = []
        for row in rows:
            order = np.argsort(-matrix[row])[:top]
            reasons = []
            for j in order:
                if matrix[row, j] <= 0:
                    continue
                feature, observed, expect = expected[self.signals[j]](row)
                reasons.append(Reason(self.name, feature, observed, expect, float(matrix[row, j])))
            out.append(reasons)
        return out


def _expected_values(features: pl.DataFrame) -> dict:
    """Per signal: row -> (what is compared, observed, expected) in USD or USD/kg."""
    medians = features.select(
        pl.col("log_value").median().over(SERIES).exp().alias("series_value"),
        pl.col("log_unit_value").median().over(SERIES).exp().alias("series_uv"),
        pl.col("log_value").median().over(HS_MONTH).exp().alias("peer_value"),
        pl.col("log_unit_value").median().over(HS_MONTH).exp().alias("peer_uv"),
        (pl.col("log_value") - pl.col("growth_vs_median12")).exp().alias("trailing"),
        (pl.col("log_value") - pl.col("growth_yoy")).exp().alias("last_year"),
        "value_usd",
        "unit_value",
        "mirror_value_usd",
    )
    col = {c: medians[c].to_numpy() for c in medians.columns}

    def pair(feature: str, observed: str, expected: str):
        def at(row: int) -> tuple[str, float | None, float | None]:
            o, e = col[observed][row], col[expected][row]
            return (
                feature,
                (None if o is None or np.isnan(o) else float(o)),
                (None if e is None or np.isnan(e) else float(e)),
            )

        return at

    return {
        "z_series": pair("value_usd vs series median", "value_usd", "series_value"),
        "z_uv_series": pair("unit_value vs series median", "unit_value", "series_uv"),
        "z_hs_month": pair("value_usd vs HS-month peers", "value_usd", "peer_value"),
        "z_uv_hs_month": pair("unit_value vs HS-month peers", "unit_value", "peer_uv"),
        "mirror_gap": pair("value_usd vs partner's mirror report", "value_usd", "mirror_value_usd"),
        "growth_vs_median12": pair("value_usd vs trailing 12-month median", "value_usd", "trailing"),
        "growth_yoy": pair("value_usd vs same month last year", "value_usd", "last_year"),
    }


class SanctionsExposureDetector:
    """Controlled goods (e.g. the Common High Priority List) going to a sanctioned country or to a
    country that ships the same goods on to one, ranked by how new the exposure is: a corridor
    opened for the exposure ranks first (its first month is less than NEW_MONTHS before its first
    exposed month, the horizon of the `is_new_corridor` feature), then by how far the flow has grown
    over the corridor's own level before exposure (the median log value of its unexposed months)."""

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
        out = []
        for row in rows:
            if not exposed[row]:
                out.append([])
                continue
            what = (
                "controlled HS to a sanctioned partner"
                if direct[row]
                else "controlled HS to a country shipping it on to a sanctioned one"
            )
            what += (
                "; corridor opened for it" if np.isnan(before[row]) else "; vs the corridor before exposure"
            )
            expected = None if np.isnan(before[row]) else float(np.exp(before[row]))
            out.append(
                [Reason(self.name, what, float(features["value_usd"][int(row)]), expected, float(score[row]))]
            )
        return out
