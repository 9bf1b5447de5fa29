"""Small flows tables for the feature tests, built from tuples, and lookups into their features."""

from __future__ import annotations

import math
from datetime import date

import numpy as np
import polars as pl

from benchmarks.pandas_features import pandas_features
from tradesentinel.pipeline.features import build_features
from tradesentinel.pipeline.ids import flow_ids
from tradesentinel.reference import controlled_hs, country_programmes
from tradesentinel.schema import FEATURE_COLUMNS

RATIO = 1.06


def period_of(period: int, freq: str) -> date:
    """A month index from 2020-01 (freq M) or a year (freq A) as the flows `period` date."""
    return date(2020 + period // 12, period % 12 + 1, 1) if freq == "M" else date(period, 1, 1)


def flows_table(rows: list[tuple], freq: str = "M") -> pl.DataFrame:
    """Flows of rows (period, reporter, partner, flow, hs, value, weight); see `period_of`."""
    frame = pl.DataFrame(
        {
            "period": [period_of(r[0], freq) for r in rows],
            "freq": freq,
            "reporter": [r[1] for r in rows],
            "partner": [r[2] for r in rows],
            "flow": [r[3] for r in rows],
            "hs_code": [r[4] for r in rows],
            "hs_version": "H3",
            "value_usd": [float(r[5]) for r in rows],
            "net_weight_kg": [None if r[6] is None else float(r[6]) for r in rows],
            "qty": None,
            "qty_unit": None,
            "source": "test",
        },
        schema_overrides={"period": pl.Date, "qty": pl.Float64, "qty_unit": pl.String},
    )
    return frame.with_columns(flow_ids(frame))


def features_of(flows: pl.DataFrame) -> pl.DataFrame:
    """The features of `flows` with the built-in reference lists."""
    return build_features(flows, programmes=country_programmes(), controlled=controlled_hs()).collect()


def row_of(
    features: pl.DataFrame, period: int, reporter: str, partner: str, flow: str, *, freq: str, hs: str = ""
) -> dict:
    """The one feature row of that flow (hs: a prefix that tells HS codes apart where needed)."""
    hit = features.filter(
        (pl.col("freq") == freq)
        & (pl.col("period") == period_of(period, freq))
        & (pl.col("reporter") == reporter)
        & (pl.col("partner") == partner)
        & (pl.col("flow") == flow)
        & pl.col("hs_code").str.starts_with(hs)
    )
    assert hit.height == 1, hit
    return hit.row(0, named=True)


def bad_floats(features: pl.DataFrame) -> dict[str, int]:
    """Per float feature column: how many NaN or infinite values it holds (a missing value must be null)."""
    counts = {}
    for column, dtype in FEATURE_COLUMNS.items():
        if dtype == pl.Float64:
            values = features[column].drop_nulls().to_numpy()
            counts[column] = int((~np.isfinite(values)).sum())
    return {c: n for c, n in counts.items() if n}


def assert_matches_reference(flows: pl.DataFrame) -> None:
    """Every feature column equals the pandas reference's, row by row (flow_id), to 1e-9."""
    fast = features_of(flows).sort("flow_id")
    ref = pl.from_pandas(pandas_features(flows.to_pandas(), country_programmes(), controlled_hs(), RATIO))
    ref = ref.sort("flow_id")
    assert fast.height == ref.height == flows.height
    assert fast["flow_id"].to_list() == ref["flow_id"].to_list()
    for column, dtype in FEATURE_COLUMNS.items():
        a, b = fast[column], ref[column]
        if dtype == pl.Boolean:
            assert a.to_list() == b.cast(pl.Boolean).to_list(), column
        else:
            a, b = a.to_numpy().astype(float), b.to_numpy().astype(float)
            np.testing.assert_allclose(a, b, rtol=1e-9, atol=1e-9, equal_nan=True, err_msg=column)


def log_median(*values: float) -> float:
    """The median of the logs of `values` (the mean of the middle two when even)."""
    logs = sorted(math.log(v) for v in values)
    half = len(logs) // 2
    return logs[half] if len(logs) % 2 else (logs[half - 1] + logs[half]) / 2
