"""An anomaly's kind, derived from its reasons (stand-in until the detectors' signal taxonomy lands)."""

from __future__ import annotations

import polars as pl

KINDS = (
    "sanctions_exposure",
    "mirror_gap",
    "unit_price",
    "peer_outlier",
    "model_residual",
    "surge",
    "unexplained",
)
"""The kinds a flow can be filtered on."""


def signal_of(reasons: list[dict] | None) -> str:
    """The kind of anomaly a flow's strongest reason points at (works on real data, unlike labels)."""
    for reason in reasons or []:
        feature = reason["feature"]
        if reason["detector"] == "sanctions":
            return "sanctions_exposure"
        if feature.startswith("context "):
            continue
        if "mirror" in feature:
            return "mirror_gap"
        if feature.startswith("unit_value"):
            return "unit_price"
        if "HS-month peers" in feature:
            return "peer_outlier"
        if "model of its context" in feature:
            return "model_residual"
        return "surge"
    return "unexplained"


def kind_column(reasons: pl.Series) -> pl.Series:
    """The `kind` column of a scores table from its `reasons` column (only explained rows are classified)."""
    explained = (reasons.list.len() > 0).to_numpy().nonzero()[0]
    kinds = pl.Series("kind", ["unexplained"] * len(reasons), dtype=pl.String)
    if len(explained):
        found = [signal_of(r) for r in reasons.gather(explained).to_list()]
        kinds = kinds.scatter(explained, found)
    return kinds
