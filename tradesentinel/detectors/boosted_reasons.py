"""Reasons of the boosted detectors, for many rows at once: observed vs the model's expectation,
and the two context features that moved the expectation most (tree SHAP), in their own units."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import polars as pl

from tradesentinel.detectors.base import REASON_FRAME, empty_reasons
from tradesentinel.detectors.signals import Signal

if TYPE_CHECKING:
    from tradesentinel.detectors.boosted import BoostedDetector

TARGET_WORDS = {
    "log_value": ("value", "value_usd", "USD"),
    "log_unit_value": ("unit value", "unit_value", "USD/kg"),
}
BACKEND_WORDS = {"lightgbm": "LightGBM", "xgboost": "XGBoost"}
CONTEXT_WORDS = {
    "reporter": ("reporter", "code"),
    "partner": ("partner", "code"),
    "flow": ("flow", "code"),
    "hs_code": ("HS", "code"),
    "hs2": ("HS chapter", "code"),
    "month": ("calendar month", "month"),
    "year": ("year", "year"),
    "log_value_last_year": ("value in the same month last year", "USD"),
    "log_value_trailing_median": ("trailing 12-month median value", "USD"),
    "partner_share_last_year": ("partner's share last year", "share"),
    "log_mirror_value": ("the partner's mirror report", "USD"),
    "hs_controlled": ("controlled goods", "flag"),
}
"""Each context column as a reason names it (log columns are shown in USD) and its unit."""
ANNUAL_CONTEXT_WORDS = {
    "month": "calendar month (none: an annual total)",
    "log_value_last_year": "value in the year before",
    "log_value_trailing_median": "median value of the 3 years before",
}
"""The words of the context columns counted in periods, for an annual row (freq A): its lag is one
year, its trailing median that of 3 years (pipeline/features.py ANNUAL), and it has no month."""
DRIVERS = 2


def _unit_error(observed: pl.Expr, expected: pl.Expr) -> pl.Expr:
    thousands = (observed / expected).log10() / 3.0
    near = thousands.round(0)
    hit = (observed > 0) & (expected > 0) & (near != 0) & ((thousands - near).abs() * 3.0 <= 0.5)
    return (
        pl.when(hit.fill_null(False))
        .then(pl.lit(Signal.UNIT_ERROR.value))
        .otherwise(pl.lit(Signal.MODEL_RESIDUAL.value))
    )


def _contributions(
    det: BoostedDetector, features: pl.DataFrame, rows: np.ndarray, chosen: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """(SHAP contributions [rows, columns] of each row's chosen target, the context matrix)."""
    from tradesentinel.detectors.boosted import context_matrix

    x, _ = context_matrix(features[rows], det.vocab_)
    fold, _ = det.folds(features[rows])
    out = np.zeros((len(rows), x.shape[1]))
    for t_index, target in enumerate(det.models_):
        for f, model in enumerate(det.models_[target]):
            mask = (chosen == t_index) & (fold == f)
            if mask.any():
                out[mask] = np.asarray(det._predict(model, x[mask], contributions=True))[:, :-1]
    return out, x


def boosted_reasons(det: BoostedDetector, features: pl.DataFrame, rows: np.ndarray) -> pl.DataFrame:
    """REASON_FRAME rows for `rows`: the residual reason, then the model's drivers."""
    targets = list(det.models_)
    residuals = det.residuals(features)
    expected = det.expected(features)
    magnitude = np.column_stack([np.nan_to_num(np.abs(residuals[t][rows]), nan=-1.0) for t in targets])
    chosen = magnitude.argmax(axis=1)
    keep = magnitude.max(axis=1) >= 0
    rows, chosen, magnitude = rows[keep], chosen[keep], magnitude[keep]
    if len(rows) == 0:
        return empty_reasons()
    words = [TARGET_WORDS[t] for t in targets]
    picked = pl.DataFrame(
        {
            "row": rows,
            "noun": pl.Series([w[0] for w in words]).gather(chosen),
            "feature": pl.Series([w[1] for w in words]).gather(chosen),
            "unit": pl.Series([w[2] for w in words]).gather(chosen),
            "expected": np.exp(
                np.column_stack([expected[t][rows] for t in targets])[np.arange(len(rows)), chosen]
            ),
            "magnitude": magnitude[np.arange(len(rows)), chosen],
        }
    )
    observed = features.select("value_usd", "unit_value")[rows]
    picked = picked.with_columns(
        pl.when(pl.col("feature") == "unit_value")
        .then(observed["unit_value"])
        .otherwise(observed["value_usd"])
        .alias("observed")
    )
    comparison = f"vs the {BACKEND_WORDS[det.backend]} model of its context, fitted without it"
    main = picked.select(
        "row",
        pl.lit(det.name).alias("detector"),
        _unit_error(pl.col("observed"), pl.col("expected")).alias("signal"),
        pl.format("{} vs a model of its context", "noun").alias("label"),
        "feature",
        "observed",
        "expected",
        "unit",
        pl.lit(comparison).alias("comparison"),
        "magnitude",
    )
    return pl.concat([main, _drivers(det, features, rows, chosen, picked["noun"])]).cast(REASON_FRAME)


def _annual(features: pl.DataFrame, rows: np.ndarray) -> pl.DataFrame:
    """Column `annual`: whether each of `rows` is an annual row (freq A; no freq column reads as M)."""
    if "freq" not in features.columns:
        return pl.DataFrame({"annual": np.zeros(len(rows), dtype=bool)})
    return pl.DataFrame({"annual": (features["freq"][rows] == "A").fill_null(False)})


def _drivers(
    det: BoostedDetector, features: pl.DataFrame, rows: np.ndarray, chosen: np.ndarray, nouns: pl.Series
) -> pl.DataFrame:
    contributions, x = _contributions(det, features, rows, chosen)
    top = np.argsort(-np.abs(contributions), axis=1)[:, :DRIVERS]
    parts = []
    for k in range(top.shape[1]):
        j = top[:, k]
        c = contributions[np.arange(len(rows)), j]
        value = x[np.arange(len(rows)), j]
        names = pl.Series(det.columns_).gather(j)
        frame = pl.DataFrame({"row": rows, "column": names, "value": value, "c": c, "noun": nouns})
        codes = features.select(
            *[pl.col(n).cast(pl.String) for n in ("reporter", "partner", "flow", "hs_code")]
        )[rows]
        frame = pl.concat([frame, codes, _annual(features, rows)], how="horizontal").with_columns(
            pl.when(pl.col("annual") & pl.col("column").is_in(list(ANNUAL_CONTEXT_WORDS)))
            .then(pl.col("column").replace(ANNUAL_CONTEXT_WORDS))
            .otherwise(pl.col("column").replace_strict({k: v[0] for k, v in CONTEXT_WORDS.items()}))
            .alias("words"),
            pl.col("column").replace_strict({k: v[1] for k, v in CONTEXT_WORDS.items()}).alias("unit"),
        )
        shown = pl.when(pl.col("column") == "hs2").then(pl.col("hs_code").str.slice(0, 2))
        for code in ("reporter", "partner", "flow", "hs_code"):
            shown = shown.when(pl.col("column") == code).then(pl.col(code))
        is_code = pl.col("unit") == "code"
        parts.append(
            frame.select(
                "row",
                pl.lit(det.name).alias("detector"),
                pl.lit(Signal.CONTEXT.value).alias("signal"),
                pl.when(is_code)
                .then(pl.format("model driver: {} {}", "words", shown))
                .otherwise(pl.format("model driver: {}", "words"))
                .alias("label"),
                pl.col("column").alias("feature"),
                pl.when(
                    is_code | pl.col("value").is_nan() | (pl.col("annual") & (pl.col("column") == "month"))
                )
                .then(None)
                .when(pl.col("column").str.starts_with("log_"))
                .then(pl.col("value").exp())
                .otherwise(pl.col("value"))
                .alias("observed"),
                pl.lit(None, dtype=pl.Float64).alias("expected"),
                "unit",
                pl.format(
                    "{} the expected {} {}-fold (tree SHAP)",
                    pl.when(pl.col("c") > 0).then(pl.lit("raises")).otherwise(pl.lit("lowers")),
                    "noun",
                    pl.col("c").abs().exp().round_sig_figs(3),
                ).alias("comparison"),
                pl.col("c").abs().alias("magnitude"),
            )
        )
    return pl.concat(parts)
