"""The statistical detector's reasons, built for many rows at once with polars expressions.

Each signal a row was surprising on (at least `threshold` surprisal, the strongest three) becomes
one reason: what was compared (label), observed and expected in USD or USD/kg, the reference in
words with its periods ("vs its level in 2021-01..2021-12, season-adjusted", "vs 2008-2012 without
2010", "vs DEU's report of the same trade"), the signal it points at, and the surprisal as its
magnitude.
"""

from __future__ import annotations

import numpy as np
import polars as pl

from tradesentinel.detectors.base import REASON_FRAME, empty_reasons
from tradesentinel.detectors.signals import Signal

TOP = 3


def _span(start: str, end: str, fmt: str) -> pl.Expr:
    period = pl.col("period")
    return pl.format(
        "{}..{}", period.dt.offset_by(start).dt.strftime(fmt), period.dt.offset_by(end).dt.strftime(fmt)
    )


def _unit_error(observed: pl.Expr, expected: pl.Expr, otherwise: pl.Expr) -> pl.Expr:
    """signals.ratio_signal as an expression: UNIT_ERROR near x1000 or /1000."""
    thousands = (observed / expected).log10() / 3.0
    near = thousands.round(0)
    hit = (observed > 0) & (expected > 0) & (near != 0) & ((thousands - near).abs() * 3.0 <= 0.5)
    return pl.when(hit.fill_null(False)).then(pl.lit(Signal.UNIT_ERROR.value)).otherwise(otherwise)


def _checks() -> dict[str, dict[str, pl.Expr]]:
    """Per signal: label, observed, expected, unit, comparison and signal expressions."""
    annual = pl.col("annual")
    z = {k: pl.col(f"z_{k}").abs() for k in ("level", "local", "run")}
    level_words = (
        pl.when(annual & (pl.col("level_side") == 0))
        .then(pl.format("vs its level in {}", _span("-5y", "-2y", "%Y")))
        .when(annual & (pl.col("level_side") == 1))
        .then(pl.format("vs its level in {} (no history before it)", _span("2y", "5y", "%Y")))
        .when(pl.col("level_side") == 0)
        .then(pl.format("vs its level in {}, season-adjusted", _span("-18mo", "-7mo", "%Y-%m")))
        .when(pl.col("level_side") == 1)
        .then(
            pl.format(
                "vs its level in {} (no history before it), season-adjusted", _span("7mo", "18mo", "%Y-%m")
            )
        )
        .otherwise(pl.lit("vs its series' median"))
    )
    around = (
        pl.when(annual)
        .then(pl.format("vs {} without {}", _span("-2y", "2y", "%Y"), pl.col("period").dt.strftime("%Y")))
        .otherwise(
            pl.format(
                "vs the months {} without {}",
                _span("-3mo", "3mo", "%Y-%m"),
                pl.col("period").dt.strftime("%Y-%m"),
            )
        )
    )
    neighbours = pl.when(annual).then(pl.lit("the years around it")).otherwise(pl.lit("the months around it"))
    value, unit_value = pl.col("value_usd"), pl.col("unit_value_used")
    by_partner = pl.when(pl.col("unit_by_mirror")).then(pl.format(" (at {}'s declared weight)", "partner"))
    unit_words = pl.format("unit value{}", by_partner.otherwise(pl.lit("")))
    spike_or_shift = pl.when((z["local"] >= 0.5 * z["level"]) & (z["run"] < 0.5 * z["level"]))
    return {
        "level": {
            "label": pl.lit("value vs its own level before"),
            "observed": value,
            "expected": pl.col("exp_level"),
            "unit": pl.lit("USD"),
            "comparison": level_words,
            "signal": spike_or_shift.then(pl.lit(Signal.SPIKE.value)).otherwise(
                pl.lit(Signal.LEVEL_SHIFT.value)
            ),
        },
        "run": {
            "label": pl.lit("value held away from its own level for three months"),
            "observed": value,
            "expected": pl.col("exp_level"),
            "unit": pl.lit("USD"),
            "comparison": pl.format("{}, with the months either side", level_words),
            "signal": pl.lit(Signal.LEVEL_SHIFT.value),
        },
        "local": {
            "label": pl.format("value vs {}", neighbours),
            "observed": value,
            "expected": pl.col("exp_local"),
            "unit": pl.lit("USD"),
            "comparison": around,
            "signal": pl.when(z["run"] >= 0.5 * z["local"])
            .then(pl.lit(Signal.LEVEL_SHIFT.value))
            .otherwise(pl.lit(Signal.SPIKE.value)),
        },
        "unit_level": {
            "label": pl.format("{} vs its own level before", unit_words),
            "observed": unit_value,
            "expected": pl.col("exp_unit_level"),
            "unit": pl.lit("USD/kg"),
            "comparison": level_words,
            "signal": pl.lit(Signal.UNIT_PRICE.value),
        },
        "unit_local": {
            "label": pl.format("{} vs {}", unit_words, neighbours),
            "observed": unit_value,
            "expected": pl.col("exp_unit_local"),
            "unit": pl.lit("USD/kg"),
            "comparison": around,
            "signal": pl.lit(Signal.UNIT_PRICE.value),
        },
        "mirror": {
            "label": pl.lit("value vs the partner's mirror report"),
            "observed": value,
            "expected": pl.col("exp_mirror"),
            "unit": pl.lit("USD"),
            "comparison": pl.format(
                "vs {}'s report of the same trade (CIF/FOB-adjusted) at this corridor's usual gap", "partner"
            ),
            "signal": pl.lit(Signal.MIRROR_GAP.value),
        },
    }


FEATURE = {
    "level": "value_usd",
    "run": "value_usd",
    "local": "value_usd",
    "unit_level": "unit_value",
    "unit_local": "unit_value",
    "mirror": "mirror_gap",
}


def signal_reasons(
    detector: str,
    features: pl.DataFrame,
    signals: pl.DataFrame,
    strength: dict[str, np.ndarray],
    rows: np.ndarray,
    threshold: float,
) -> pl.DataFrame:
    """REASON_FRAME rows for `rows`: each row's strongest signals at or above `threshold`, and its
    strongest signal in any case (a row asked about is always told what stood out most)."""
    annual = (pl.col("freq") == "A").fill_null(False) if "freq" in features.columns else pl.lit(False)
    base = (
        pl.concat(
            [
                features.select("period", "partner", "value_usd", annual.alias("annual")),
                signals,
            ],
            how="horizontal",
        )
        .with_row_index("row")
        .cast({"row": pl.Int64})[rows]
    )
    parts = []
    checks = _checks()
    if not strength or not len(rows):
        return empty_reasons()
    strongest = np.nanmax(
        np.column_stack([np.nan_to_num(v[rows], nan=-np.inf) for v in strength.values()]), axis=1
    )
    for name, values in strength.items():
        magnitude = values[rows]
        keep = (magnitude >= threshold) | ((magnitude >= strongest) & (magnitude > 0))
        asked = base.with_columns(pl.Series("magnitude", magnitude)).filter(pl.Series(keep))
        if asked.height == 0:
            continue
        check = checks[name]
        parts.append(
            asked.select(
                "row",
                pl.lit(detector).alias("detector"),
                _unit_error(check["observed"], check["expected"], check["signal"]).alias("signal"),
                check["label"].alias("label"),
                pl.lit(FEATURE[name]).alias("feature"),
                check["observed"].alias("observed"),
                check["expected"].alias("expected"),
                check["unit"].alias("unit"),
                check["comparison"].alias("comparison"),
                "magnitude",
            )
        )
    if not parts:
        return empty_reasons()
    frame = pl.concat(parts).cast(REASON_FRAME)
    ranked = frame.sort(["row", "magnitude"], descending=[False, True])
    return ranked.filter(pl.int_range(pl.len()).over("row") < TOP)
