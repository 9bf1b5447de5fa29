"""Gradient-boosted detectors: LightGBM or XGBoost regressors of a flow's expected log value and log
unit value from its context, each row scored by the model of its fold, which never saw it.

Folds and training samples are drawn by a hash of the flow id, categories are coded in sorted
order, and training rows are sorted by that hash: the same flows give the same models and scores
in any row order, and any table can be scored (rows of the fitted table out-of-fold). Score = the
larger standardised residual |observed - expected| / (1.4826 MAD of residuals) of the two
targets; a target with too few known values (no weights: no unit value) is left out, and a table
with too few rows for either skips the detector. Reasons give observed vs expected in USD (or
USD/kg) (signal model_residual, or unit_error near x1000) and the two context features with the
largest tree-SHAP contributions (signal context). One thread by default: on a busy 2-core machine
OpenMP's spinning barriers made a 2-thread LightGBM fit 100x slower (1.7 s vs 214 s).
"""

from __future__ import annotations

import numpy as np
import polars as pl

from tradesentinel.detectors.base import BaseDetector, DetectorSkipped
from tradesentinel.detectors.boosted_reasons import boosted_reasons
from tradesentinel.detectors.statistical import robust_scale
from tradesentinel.errors import InvalidArgumentError

CATEGORICAL = ("reporter", "partner", "flow", "hs_code")
TARGETS = {"log_value": "value_usd", "log_unit_value": "unit_value"}
BACKENDS = ("lightgbm", "xgboost")
MIN_ROWS = 200  # known target values a model needs (per fold's training set, about half)


def context_matrix(features: pl.DataFrame, vocab: dict[str, dict[str, int]]) -> tuple[np.ndarray, list[str]]:
    """Context features (no same-row value leaks): codes of the key columns (from `vocab`, unseen
    values missing), calendar, lagged values, last year's partner share, the partner's mirror."""
    frame = features.select(
        *[
            pl.col(c).cast(pl.String).replace_strict(vocab[c], default=None, return_dtype=pl.Float64).alias(c)
            for c in CATEGORICAL
        ],
        pl.col("hs_code").str.slice(0, 2).cast(pl.Float64, strict=False).alias("hs2"),
        pl.col("period").dt.month().cast(pl.Float64).alias("month"),
        pl.col("period").dt.year().cast(pl.Float64).alias("year"),
        (pl.col("log_value") - pl.col("growth_yoy")).alias("log_value_last_year"),
        (pl.col("log_value") - pl.col("growth_vs_median12")).alias("log_value_trailing_median"),
        (pl.col("partner_share") - pl.col("partner_share_change")).alias("partner_share_last_year"),
        pl.col("mirror_value_usd").log().alias("log_mirror_value"),
        pl.col("hs_controlled").cast(pl.Float64),
    )
    return frame.to_numpy().astype(np.float64), frame.columns


class BoostedDetector(BaseDetector):
    """Out-of-fold gradient-boosted regression residuals; `backend` is 'lightgbm' or 'xgboost'."""

    family = "value"
    corroborates = True

    def __init__(
        self,
        backend: str = "lightgbm",
        *,
        n_folds: int = 2,
        n_trees: int = 120,
        max_train_rows: int = 200_000,
        num_leaves: int = 63,
        learning_rate: float = 0.1,
        seed: int = 0,
        threads: int = 1,
    ) -> None:
        self.backend = backend
        self.n_folds = n_folds
        self.n_trees = n_trees
        self.max_train_rows = max_train_rows
        self.num_leaves = num_leaves
        self.learning_rate = learning_rate
        self.seed = seed
        self.threads = threads

    @property
    def name(self) -> str:  # type: ignore[override]
        return self.backend

    def _validate(self) -> None:
        if self.backend not in BACKENDS:
            raise InvalidArgumentError(
                "backend", f"unknown boosted backend {self.backend!r}: expected 'lightgbm' or 'xgboost'"
            )
        if self.n_folds < 2:
            raise InvalidArgumentError(
                "n_folds", f"needs at least 2 folds to score out of fold, got {self.n_folds}"
            )

    def _train(self, x: np.ndarray, y: np.ndarray):
        if self.backend == "lightgbm":
            import lightgbm as lgb

            params = {
                "objective": "regression",
                "num_leaves": self.num_leaves,
                "learning_rate": self.learning_rate,
                "min_data_in_leaf": min(50, max(2, len(y) // 20)),
                "feature_fraction": 0.9,
                "num_threads": self.threads,
                "verbose": -1,
                "seed": self.seed,
                "deterministic": True,
            }
            return lgb.train(params, lgb.Dataset(x, y), num_boost_round=self.n_trees)
        import xgboost as xgb

        params = {
            "objective": "reg:squarederror",
            "max_leaves": self.num_leaves,
            "grow_policy": "lossguide",
            "eta": self.learning_rate,
            "tree_method": "hist",
            "nthread": self.threads,
            "seed": self.seed,
        }
        return xgb.train(params, xgb.DMatrix(x, label=y), num_boost_round=self.n_trees)

    def _predict(self, model, x: np.ndarray, contributions: bool = False) -> np.ndarray:
        if self.backend == "lightgbm":
            return model.predict(x, pred_contrib=contributions)
        import xgboost as xgb

        return model.predict(xgb.DMatrix(x), pred_contribs=contributions)

    def folds(self, features: pl.DataFrame) -> tuple[np.ndarray, np.ndarray]:
        """(fold, a stable per-flow hash) of each row: who scores it, and the order of training."""
        hashed = features["flow_id"].hash(self.seed).to_numpy()
        return (hashed % np.uint64(self.n_folds)).astype(np.int64), hashed

    def _fit(self, features: pl.DataFrame) -> None:
        self.vocab_ = {
            c: {v: i for i, v in enumerate(features[c].cast(pl.String).drop_nulls().unique().sort())}
            for c in CATEGORICAL
        }
        x, self.columns_ = context_matrix(features, self.vocab_)
        fold, hashed = self.folds(features)
        self.models_: dict[str, list] = {}
        self.scales_: dict[str, float] = {}
        expected = {}
        for target in TARGETS:
            y = features[target].cast(pl.Float64).fill_null(np.nan).to_numpy()
            known = np.isfinite(y)
            if known.sum() < MIN_ROWS * self.n_folds / (self.n_folds - 1):
                continue  # e.g. no weights: no unit value to model
            models, out = [], np.full(features.height, np.nan)
            for f in range(self.n_folds):
                train = np.flatnonzero(known & (fold != f))
                train = train[np.argsort(hashed[train], kind="stable")][: self.max_train_rows]
                models.append(self._train(x[train], y[train]))
                held_out = np.flatnonzero(fold == f)
                out[held_out] = self._predict(models[-1], x[held_out])
            self.models_[target] = models
            self.scales_[target] = robust_scale((y - out)[known])[1]
            expected[target] = out
        if not self.models_:
            raise DetectorSkipped(
                self.name, f"too few flows with a value to learn from ({features.height} rows)"
            )
        self.fitted_ids_ = features.select("flow_id", *[pl.Series(f"e_{t}", v) for t, v in expected.items()])

    def expected(self, features: pl.DataFrame) -> dict[str, np.ndarray]:
        """Per modelled target: each row's expectation from the model of its fold (rows of the
        fitted table: the out-of-fold prediction made at fit)."""
        joined = features.select("flow_id").join(
            self.fitted_ids_, on="flow_id", how="left", maintain_order="left"
        )
        out = {t: joined[f"e_{t}"].fill_null(np.nan).to_numpy().copy() for t in self.models_}
        missing = np.flatnonzero(np.isnan(out[next(iter(out))]))
        if len(missing):
            x, _ = context_matrix(features[missing], self.vocab_)
            fold, _ = self.folds(features[missing])
            for target, models in self.models_.items():
                for f, model in enumerate(models):
                    mine = np.flatnonzero(fold == f)
                    if len(mine):
                        out[target][missing[mine]] = self._predict(model, x[mine])
        return out

    def residuals(self, features: pl.DataFrame) -> dict[str, np.ndarray]:
        """Standardised residual per modelled target (NaN where the target is missing)."""
        expected = self.expected(features)
        return {
            t: (features[t].cast(pl.Float64).fill_null(np.nan).to_numpy() - expected[t]) / self.scales_[t]
            for t in self.models_
        }

    def _score(self, features: pl.DataFrame) -> np.ndarray:
        stacked = np.column_stack([np.abs(r) for r in self.residuals(features).values()])
        return np.nan_to_num(np.nanmax(np.where(np.isnan(stacked), -np.inf, stacked), axis=1), neginf=0.0)

    def _reasons(self, features: pl.DataFrame, rows: np.ndarray) -> pl.DataFrame:
        return boosted_reasons(self, features, rows)
