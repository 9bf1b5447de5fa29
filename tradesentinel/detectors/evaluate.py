"""Detection quality on labelled flows: average precision, precision@k and recall at an inspection budget.

An analyst inspects the top of one ranked list, so recall at a budget is measured on the global
ranking (top `budget` share of all rows), per anomaly kind too; per-kind average precision counts
that kind's rows as positives against unlabelled rows (other kinds left out).
"""

from __future__ import annotations

import numpy as np
import polars as pl

SCORE_PREFIX = "score_"


def average_precision(positive: np.ndarray, score: np.ndarray) -> float:
    """Area under the precision-recall curve as the mean precision at each positive (ties broken pessimistically)."""
    n_pos = int(positive.sum())
    if n_pos == 0:
        return float("nan")
    order = np.lexsort((positive.astype(np.int8), -score))  # among equal scores, negatives first
    hits = positive[order].astype(np.float64)
    precision = np.cumsum(hits) / np.arange(1, len(hits) + 1)
    return float((precision * hits).sum() / n_pos)


def _metrics(positive: np.ndarray, score: np.ndarray, in_budget: np.ndarray, k: int) -> dict[str, float]:
    order = np.lexsort((positive, -score))  # ties: negatives first, so a constant score earns nothing
    n_pos = int(positive.sum())
    return {
        "n_positive": n_pos,
        "average_precision": average_precision(positive, score),
        f"precision_at_{k}": float(positive[order[:k]].mean()) if len(order) else float("nan"),
        "recall_at_budget": float((positive & in_budget).sum() / n_pos) if n_pos else float("nan"),
    }


def evaluate(
    scores: pl.DataFrame, labels: pl.DataFrame, *, budget: float = 0.01, k: int = 1000
) -> pl.DataFrame:
    """One row per (detector, kind): the metrics above; `kind` 'all' pools every labelled row.

    `scores` needs `flow_id` and `score` and/or `score_<detector>` columns; `labels` needs `flow_id`
    and `kind`. Labels whose flow is not in `scores` are reported as `n_missing` and not scored.
    """
    kinds = labels.group_by("flow_id").agg(pl.col("kind").first())
    joined = scores.join(kinds, on="flow_id", how="left")
    kind = joined["kind"]
    detectors = [c for c in scores.columns if c.startswith(SCORE_PREFIX)] + (
        ["score"] if "score" in scores.columns else []
    )
    n_budget = max(1, round(budget * joined.height))
    rows = []
    for column in detectors:
        score = joined[column].fill_null(-np.inf).fill_nan(-np.inf).to_numpy()
        labelled = kind.is_not_null().to_numpy()
        in_budget = np.zeros(len(score), dtype=bool)
        in_budget[np.lexsort((labelled, -score))[:n_budget]] = True  # ties: unlabelled rows first
        name = "ensemble" if column == "score" else column.removeprefix(SCORE_PREFIX)
        rows.append({"detector": name, "kind": "all", **_metrics(labelled, score, in_budget, k)})
        for value in sorted(kinds["kind"].unique().to_list()):
            mine = (kind == value).fill_null(False).to_numpy()
            keep = mine | ~labelled
            metrics = _metrics(mine[keep], score[keep], in_budget[keep], k)
            rows.append({"detector": name, "kind": value, **metrics})
    table = pl.DataFrame(rows)
    missing = labels.join(scores.select("flow_id"), on="flow_id", how="anti").height
    return table.with_columns(pl.lit(budget).alias("budget"), pl.lit(missing).alias("n_missing"))
