"""The diversion table (schema.DIVERSION): one row per finding per corridor, with its flows.

A deflection finding is one corridor (origin -> hub). A two-legs finding joins each surging
origin -> hub corridor with the hub -> destination corridor it feeds (both legs' flows in one row);
a hub leg with no single surging origin gets a row of its own with origin null.
"""

from __future__ import annotations

import numpy as np
import polars as pl

from tradesentinel.detectors.corridors import Panel
from tradesentinel.detectors.exposure import Exposure
from tradesentinel.detectors.patterns import Moves
from tradesentinel.schema import DIVERSION

LEG = ["hub", "destination", "hs_code"]


def _per_finding(rows: pl.DataFrame) -> pl.DataFrame:
    return rows.group_by("finding").agg(
        pl.len().alias("n_flows"),
        pl.col("value_usd").sum(),
        pl.col("flow_id").sort().alias("flow_ids"),
        pl.col("t").min().alias("w_first"),
        pl.col("t").max().alias("w_last"),
        pl.col("score").max(),
    )


def diversion_table(
    panel: Panel, moves: Moves, found: pl.DataFrame, rows: pl.DataFrame, exposure: Exposure
) -> pl.DataFrame:
    """The findings of one panel and their flagged flows as DIVERSION rows."""
    c, first = found["c"].to_numpy(), found["t_first"].to_numpy()
    lag, width, last = panel.windows.lag, panel.windows.width, len(panel.periods) - 1
    found = found.with_columns(
        pl.Series("baseline_usd", np.nan_to_num(moves.before[c, first])),
        pl.Series("b_first", np.clip(first - lag - width + 1, 0, last)),
        pl.Series("b_last", np.clip(first - lag, 0, last)),
    )
    flows = found.join(_per_finding(rows), on="finding")
    legs = flows.filter((pl.col("pattern") == "two_legs") & pl.col("origin").is_null())
    origins = flows.filter((pl.col("pattern") == "two_legs") & pl.col("origin").is_not_null())
    hub_leg = legs.select(
        *LEG,
        pl.col("n_flows").alias("n_hub"),
        pl.col("value_usd").alias("v_hub"),
        pl.col("flow_ids").alias("ids_hub"),
        pl.col("w_first").alias("f_hub"),
        pl.col("w_last").alias("l_hub"),
    )
    origins = origins.join(hub_leg, on=LEG, how="left").with_columns(
        pl.col("n_flows") + pl.col("n_hub").fill_null(0),
        pl.col("value_usd") + pl.col("v_hub").fill_null(0.0),
        pl.concat_list("flow_ids", pl.col("ids_hub").fill_null(pl.lit([], dtype=pl.List(pl.String)))).alias(
            "flow_ids"
        ),
        pl.min_horizontal("w_first", "f_hub"),
        pl.max_horizontal("w_last", "l_hub"),
    )
    table = pl.concat(
        [
            flows.filter(pl.col("pattern") == "deflection"),
            origins.select(flows.columns),
            legs.join(origins.select(LEG).unique(), on=LEG, how="anti"),
        ],
        how="vertical_relaxed",
    )
    periods = pl.lit(panel.periods)
    tiers = exposure.controlled.select("hs_code", pl.col("tier").alias("controlled_tier"))
    return (
        table.join(tiers, on="hs_code", how="left")
        .select(
            "pattern",
            "origin",
            "hub",
            "destination",
            pl.col("destination").is_in(exposure.destinations["iso3"].implode()).alias("destination_listed"),
            "hs_code",
            "controlled_tier",
            pl.lit("M" if panel.windows.per_year == 12 else "A").alias("freq"),
            periods.gather("w_first").alias("window_start"),
            periods.gather("w_last").alias("window_end"),
            periods.gather("b_first").alias("baseline_start"),
            periods.gather("b_last").alias("baseline_end"),
            "n_flows",
            "value_usd",
            "baseline_usd",
            pl.col("growth").exp(),
            pl.col("destination_change").exp(),
            pl.col("inflow_growth").exp(),
            "score",
            "flow_ids",
        )
        .cast(DIVERSION)
    )
