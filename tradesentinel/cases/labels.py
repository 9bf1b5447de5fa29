"""Analyst feedback as evaluation labels: the flows of cases with a disposition, kept apart from the
DEMO world's injected labels (`tradesentinel evaluate --labels cases`)."""

from __future__ import annotations

import polars as pl

from tradesentinel.cases.store import CaseStore
from tradesentinel.errors import NotFoundError
from tradesentinel.schema import KEY_COLUMNS


def case_labels(cases: CaseStore) -> tuple[pl.DataFrame, dict[str, int]]:
    """Labels (flow_id, key columns, kind = `analyst_true_hit`) for the flows of cases dispositioned
    true hit, and how many flows each disposition has (false positives and needs-data stay unlabelled:
    evaluation counts only positives)."""
    pairs = cases.dispositions()
    counts: dict[str, int] = {}
    for _, disposition in pairs:
        counts[disposition] = counts.get(disposition, 0) + 1
    hits = sorted({flow_id for flow_id, disposition in pairs if disposition == "true_hit"})
    if not hits:
        raise NotFoundError(
            "no case has the disposition true_hit yet",
            hint="disposition cases in the Cases tab or PATCH /cases",
        )
    frame = cases.tables.snapshot().anomalies
    labels = frame.filter(pl.col("flow_id").is_in(hits)).select(
        "flow_id", *KEY_COLUMNS, pl.lit("analyst_true_hit").alias("kind")
    )
    return labels, counts
