"""An anomaly's kind in the service's tables: the detectors' one taxonomy (detectors/signals.py),
applied to a whole scores table at once and resolved for filters (old kind names stay valid)."""

from __future__ import annotations

import polars as pl

from tradesentinel.detectors.signals import KIND_ALIASES, KINDS, classify_expr, kinds_for

FILTER_KINDS: tuple[str, ...] = (*KINDS, *KIND_ALIASES)
"""Every value a `kind` filter accepts: the kinds, then the group and legacy names."""

__all__ = ["FILTER_KINDS", "KINDS", "kind_column", "kinds_for"]


def kind_column(scores: pl.DataFrame) -> pl.Series:
    """The `kind` column of a scores table, classified from its `reasons` column in one pass."""
    return scores.select(classify_expr("reasons")).to_series()
