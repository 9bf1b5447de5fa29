"""Classical unsupervised detectors from PyOD over the feature table: IsolationForest, ECOD, OCSVM.

They see every statistical signal at once (z-scores, gaps, growth, share change, flags), robustly
standardised, and find rows unusual in combination. Each is fitted on a random sample (OCSVM
does not scale past a few thousand rows; ECOD and IForest need no more to learn the shape) and
then scores every row. Missing signals count as typical (0). Their reasons (signal
multivariate_outlier) name the columns furthest from the median row.
"""

from __future__ import annotations

import numpy as np
import polars as pl

from tradesentinel.detectors.base import BaseDetector, DetectorSkipped
from tradesentinel.detectors.signals import Signal
from tradesentinel.detectors.statistical import robust_scale
from tradesentinel.errors import InvalidArgumentError

COLUMNS = (
    "z_series",
    "z_uv_series",
    "z_hs_month",
    "z_uv_hs_month",
    "mirror_gap",
    "growth_yoy",
    "growth_vs_median12",
    "partner_share_change",
    "is_new_corridor",
    "sanctions_exposure",
)
FLAGS = ("is_new_corridor", "sanctions_exposure")
"""Yes/no columns enter as 0/1: their MAD is 0, so robust scaling would blow every True up to the clip."""
COLUMN_WORDS = {
    "z_series": ("value vs its series (robust z)", "z"),
    "z_uv_series": ("unit value vs its series (robust z)", "z"),
    "z_hs_month": ("value vs HS-month peers (robust z)", "z"),
    "z_uv_hs_month": ("unit value vs HS-month peers (robust z)", "z"),
    "mirror_gap": ("gap to the partner's mirror report", "log"),
    "growth_yoy": ("growth vs the same month last year", "log"),
    "growth_vs_median12": ("growth vs the trailing 12-month median", "log"),
    "partner_share_change": ("change in the partner's share", "share"),
    "is_new_corridor": ("new corridor", "flag"),
    "sanctions_exposure": ("sanctions exposure", "flag"),
}
"""Each column in a reason's words, and the unit of its raw value (observed) and median (expected)."""
ANNUAL_WORDS = {
    "z_hs_month": "value vs HS-year peers (robust z)",
    "z_uv_hs_month": "unit value vs HS-year peers (robust z)",
    "growth_yoy": "growth vs the year before",
    "growth_vs_median12": "growth vs the median of the 3 years before",
}
"""The words of the columns whose comparison is in periods, for an annual row (freq A): its peers
are the HS x year group, its year-ago lag one year, its trailing median that of 3 years
(pipeline/features.py ANNUAL)."""
MODEL_WORDS = {"iforest": "IsolationForest", "ecod": "ECOD", "ocsvm": "one-class SVM"}
MODELS = {"iforest": 200_000, "ecod": 50_000, "ocsvm": 3_000}  # model -> rows it is fitted on


def feature_matrix(features: pl.DataFrame, scales: dict[str, tuple[float, float]] | None = None):
    """Rows x COLUMNS, robustly standardised (scales computed when not given; flags as 0/1), NaN -> 0."""
    raw = {c: features[c].cast(pl.Float64).fill_null(np.nan).to_numpy() for c in COLUMNS}
    scales = scales or {c: (0.0, 1.0) if c in FLAGS else robust_scale(v, floor=1e-3) for c, v in raw.items()}
    matrix = np.column_stack([(raw[c] - scales[c][0]) / scales[c][1] for c in COLUMNS])
    return np.nan_to_num(matrix, nan=0.0, posinf=50.0, neginf=-50.0).clip(-50, 50), scales


MIN_ROWS = 20


class ClassicalDetector(BaseDetector):
    """One PyOD model (`model`: iforest, ecod or ocsvm) over the standardised feature matrix, fitted
    on a sample drawn by a hash of the flow id (the same flows, the same model, in any row order)."""

    family = "value"
    corroborates = True

    def __init__(self, model: str = "iforest", *, sample_rows: int | None = None, seed: int = 0) -> None:
        self.model = model
        self.sample_rows = sample_rows
        self.seed = seed

    @property
    def name(self) -> str:  # type: ignore[override]
        return self.model

    def _validate(self) -> None:
        if self.model not in MODELS:
            raise InvalidArgumentError(
                "model", f"unknown classical model {self.model!r}: expected one of {', '.join(MODELS)}"
            )

    def _estimator(self):
        if self.model == "iforest":
            from pyod.models.iforest import IForest

            return IForest(n_estimators=100, max_samples="auto", random_state=self.seed, n_jobs=2)
        if self.model == "ecod":
            from pyod.models.ecod import ECOD

            return ECOD()
        from pyod.models.ocsvm import OCSVM

        return OCSVM(nu=0.05, gamma="scale")

    def _fit(self, features: pl.DataFrame) -> None:
        if features.height < MIN_ROWS:
            raise DetectorSkipped(self.name, f"{features.height} rows: a multivariate model needs {MIN_ROWS}")
        matrix, self.scales_ = feature_matrix(features)
        hashed = features["flow_id"].hash(self.seed).to_numpy()
        sample = np.argsort(hashed, kind="stable")[: self.sample_rows or MODELS[self.model]]
        self.estimator_ = self._estimator().fit(matrix[sample])
        self.center_ = np.median(matrix[sample], axis=0)

    def _score(self, features: pl.DataFrame) -> np.ndarray:
        matrix, _ = feature_matrix(features, self.scales_)
        out = np.empty(len(matrix))
        for start in range(0, len(matrix), 100_000):  # batches keep OCSVM/ECOD memory bounded
            out[start : start + 100_000] = self.estimator_.decision_function(matrix[start : start + 100_000])
        return out

    def _reasons(self, features: pl.DataFrame, rows: np.ndarray, top: int = 2) -> pl.DataFrame:
        """The standardised signals furthest from typical for each row (what made it unusual)."""
        matrix, _ = feature_matrix(features[rows], self.scales_)
        deviation = np.abs(matrix - self.center_)
        order = np.argsort(-deviation, axis=1)[:, :top]
        raw = features.select([pl.col(c).cast(pl.Float64) for c in COLUMNS])[rows].to_numpy()
        comparison = f"vs the median flow, {MODEL_WORDS[self.model]} over {len(COLUMNS)} signals together"
        names = pl.Series(COLUMNS)
        monthly = {c: f"{w}, unusual in combination" for c, (w, _) in COLUMN_WORDS.items()}
        annual = monthly | {c: f"{w}, unusual in combination" for c, w in ANNUAL_WORDS.items()}
        is_annual = (
            (features["freq"][rows] == "A").fill_null(False).to_numpy()
            if "freq" in features.columns
            else np.zeros(len(rows), dtype=bool)
        )
        parts = []
        for k in range(order.shape[1]):
            j = order[:, k]
            i = np.arange(len(rows))
            column = names.gather(j)
            parts.append(
                pl.DataFrame(
                    {
                        "row": rows,
                        "detector": self.name,
                        "signal": Signal.MULTIVARIATE_OUTLIER.value,
                        "label": column.replace_strict(annual).zip_with(
                            pl.Series(is_annual), column.replace_strict(monthly)
                        ),
                        "feature": column,
                        "observed": pl.Series(raw[i, j], nan_to_null=True),
                        "expected": np.array([self.scales_[c][0] for c in COLUMNS])[j],
                        "unit": column.replace_strict({c: u for c, (_, u) in COLUMN_WORDS.items()}),
                        "comparison": comparison,
                        "magnitude": deviation[i, j],
                    }
                )
            )
        return pl.concat(parts)
