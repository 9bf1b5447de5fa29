"""One ranked score from many detectors: calibrated tail probabilities, averaged within a family
of detectors that answer the same question, and the strongest family wins.

Each detector's raw score is calibrated on the table into an upper-tail probability
p = P(score >= s) (its empirical distribution over all rows) and a surprisal -log p, so a
mirror-gap test and a sanctions rule speak the same unit. Detectors of one family (`family`
attribute: "value" for everything that models what a flow's value should be, "sanctions" for
the exposure rule) are redundant estimates of one question, so their surprisals are averaged,
which cancels the noise of any single model; distinct questions are alternatives, so a flow is
as anomalous as its most surprising family. `score` = 1 - exp(-that surprisal) is in 0..1; ties
are broken by the total surprisal. Labels are never used.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence

import numpy as np
import polars as pl

from tradesentinel.detectors.base import REASON_DTYPE, Detector
from tradesentinel.schema import KEY_COLUMNS

log = logging.getLogger(__name__)
REASON_P = 0.01  # a detector contributes reasons where its tail probability is at most this


def tail_probability(score: np.ndarray) -> np.ndarray:
    """Empirical upper-tail probability of each score within the array: share of rows scoring >= it."""
    ordered = np.sort(score)
    at_least = len(score) - np.searchsorted(ordered, score, side="left")
    return at_least / max(len(score), 1)


def combine(scores: dict[str, np.ndarray], families: dict[str, str]) -> tuple[np.ndarray, np.ndarray]:
    """(ensemble score in 0..1, rank from 1) of the named detector scores grouped by family."""
    return _combine_calibrated(_calibrate(scores), families)


def _calibrate(scores: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Each detector's upper-tail probabilities (missing scores count as the lowest)."""
    return {name: tail_probability(np.nan_to_num(s, nan=0.0)) for name, s in scores.items()}


def _combine_calibrated(
    tails: dict[str, np.ndarray], families: dict[str, str]
) -> tuple[np.ndarray, np.ndarray]:
    surprisal = {name: -np.log(p) for name, p in tails.items()}
    groups: dict[str, list[np.ndarray]] = {}
    for name, values in surprisal.items():
        groups.setdefault(families.get(name, "value"), []).append(values)
    family_surprisal = np.column_stack([np.mean(members, axis=0) for members in groups.values()])
    best = family_surprisal.max(axis=1)
    total = np.sum(list(surprisal.values()), axis=0)
    order = np.lexsort((-total, -best))
    rank = np.empty(len(order), dtype=np.int64)
    rank[order] = np.arange(1, len(order) + 1)
    return 1.0 - np.exp(-best), rank


def score_table(
    features: pl.DataFrame,
    detectors: Sequence[Detector],
    *,
    explain_top: int = 5000,
    progress: Callable[[str, float], None] | None = None,
) -> tuple[pl.DataFrame, dict[str, float]]:
    """Fit every detector on `features`, score every row, combine, and explain the top rows.

    Returns the scores table (schema: key columns, flow_id, score, rank, score_<detector>...,
    reasons) and the seconds each detector took (and "reasons": collecting them).
    """
    raw: dict[str, np.ndarray] = {}
    seconds: dict[str, float] = {}
    for detector in detectors:
        if progress:
            progress(detector.name, 0.0)
        started = time.perf_counter()
        raw[detector.name] = np.asarray(detector.fit(features).score(features), dtype=np.float64)
        seconds[detector.name] = time.perf_counter() - started
        log.info(
            "detector %s scored %d rows in %.1f s", detector.name, features.height, seconds[detector.name]
        )
        if progress:
            progress(detector.name, 1.0)
    tails = _calibrate(raw)
    ensemble, rank = _combine_calibrated(tails, {d.name: getattr(d, "family", "value") for d in detectors})
    started = time.perf_counter()
    table = scores_frame(features, detectors, raw, tails, ensemble, rank, explain_top).sort("rank")
    seconds["reasons"] = time.perf_counter() - started
    return table, seconds


def scores_frame(
    features: pl.DataFrame,
    detectors: Sequence[Detector],
    raw: dict[str, np.ndarray],
    tails: dict[str, np.ndarray],
    ensemble: np.ndarray,
    rank: np.ndarray,
    explain_top: int,
) -> pl.DataFrame:
    """The scores table of `features` rows (in their order) from their raw scores, tail probabilities,
    ensemble score and rank; rows ranked within `explain_top` get reasons (also per partition)."""
    top = np.flatnonzero(rank <= explain_top)
    top = top[np.argsort(rank[top])]
    reasons: dict[int, list[dict]] = {int(row): [] for row in top}
    for detector in detectors:
        rows = top[tails[detector.name][top] <= REASON_P]
        for row, row_reasons in zip(rows, detector.explain(features, rows), strict=True):
            reasons[int(row)].extend(r.as_dict() for r in row_reasons)
    return features.select(*KEY_COLUMNS, "flow_id").with_columns(
        pl.Series("score", ensemble),
        pl.Series("rank", rank),
        *[pl.Series(f"score_{name}", values) for name, values in raw.items()],
        _reasons_column(reasons, top, features.height),
    )


def _reasons_column(reasons: dict[int, list[dict]], rows: np.ndarray, height: int) -> pl.Series:
    """The reasons column: each of `rows`' reasons, strongest first, empty lists elsewhere. Built from
    the explained rows only: a Series of millions of (mostly empty) Python lists takes a minute."""
    explained = pl.Series(
        "reasons",
        [*(sorted(reasons[int(r)], key=lambda x: -x["magnitude"]) for r in rows), []],
        dtype=REASON_DTYPE,
    )
    where = np.full(height, len(rows), dtype=np.int64)  # the empty list appended last
    where[rows] = np.arange(len(rows))
    return explained.gather(where)
