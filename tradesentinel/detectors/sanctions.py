"""The sanctions-exposure rule: controlled goods going into a sanctioned destination, into a country
that ships the same goods on to one, or into one of its neighbours and known hubs, weighted by the
goods' tier and ranked by how new or how much grown the corridor's trade is. (Goods on no list are
the diversion detector's: it finds re-routing of anything from trade patterns.)

Built from the lists the user has (detectors.exposure: programmes, ingested sanctions lists,
controlled goods with tiers, hubs), never from the demo. A row's weight is its exposure (direct 1,
onward 0.8, hub 0.5 times the hub's relation weight) times its goods' controlled weight (CHPL tier
1: 1 ... tier 4: 0.6); its novelty is 3 (log units) for a corridor opened for the exposure
(first traded less than 12 months before its first exposed month), else its log growth over the
corridor's median before exposure, between -2 and 3. Score = weight x (2.2 + novelty) / 5.2, so
steady exposed trade still scores and a collapsed one barely does.
"""

from __future__ import annotations

import numpy as np
import polars as pl

from tradesentinel.detectors.base import BaseDetector
from tradesentinel.detectors.exposure import UNCONTROLLED_WEIGHT, Exposure, build_exposure, controlled_weights
from tradesentinel.detectors.patterns import RELATION_WEIGHT
from tradesentinel.detectors.series_signals import SERIES
from tradesentinel.detectors.signals import Signal

NEW_MONTHS = 12
NEW_CORRIDOR = 3.0
WEIGHTS = {"direct": 1.0, "onward": 0.8, "hub": 0.5}
EXPORTS = ("X", "RX")


class SanctionsExposureDetector(BaseDetector):
    """Exposure of each flow to a sanctioned destination (see the module docstring)."""

    name = "sanctions"
    family = "sanctions"
    weighs = "diversion"  # beside the pattern test, exposure is a prior (detectors.ensemble, step 4)

    def __init__(self, exposure: Exposure | None = None) -> None:
        self.exposure = exposure

    def _fit(self, features: pl.DataFrame) -> None:
        self.exposure_ = self.exposure or build_exposure()

    def exposures(self, features: pl.DataFrame) -> pl.DataFrame:
        """Per row: how exposed (`how`: direct, onward, hub or null), to which destination, its
        weight, novelty, level before (log), first month, first exposed month and score."""
        e = self.exposure_
        since = e.destinations.group_by("iso3").agg(pl.col("since").min())
        into = pl.when(pl.col("flow").is_in(EXPORTS)).then(pl.col("partner")).otherwise(pl.col("reporter"))
        annual = (pl.col("freq") == "A").fill_null(False) if "freq" in features.columns else pl.lit(False)
        frame = features.select(
            *SERIES,
            "period",
            "log_value",
            into.alias("into"),
            annual.alias("annual"),
            pl.col("onward_to_sanctioned").fill_null(False).alias("onward"),
        ).with_row_index("_row")

        def active(column: str) -> pl.Expr:
            started = pl.col(column)
            return (
                pl.when(pl.col("annual"))
                .then(started.dt.year() <= pl.col("period").dt.year())
                .otherwise(started <= pl.col("period").dt.month_end())
                .fill_null(False)
            )

        frame = frame.join(since.rename({"iso3": "into", "since": "s_direct"}), on="into", how="left")
        hubs = e.hubs.join(since.rename({"iso3": "destination"}), on="destination").with_columns(
            pl.col("relation")
            .replace_strict(RELATION_WEIGHT, default=0.6, return_dtype=pl.Float64)
            .alias("r")
        )
        best_hub = (  # a hub of several destinations names them all, the latest programme first
            hubs.sort("since", descending=True)
            .group_by("hub")
            .agg(pl.col("since").min(), pl.col("r").max(), pl.col("destination").str.join(", "))
        )
        frame = frame.join(
            best_hub.rename({"hub": "into", "since": "s_hub", "destination": "hub_of"}), on="into", how="left"
        )
        frame = frame.sort("_row").with_columns(
            controlled_weights(e, frame.sort("_row")["hs_code"]).alias("ctrl")
        )
        how = (
            pl.when(active("s_direct"))
            .then(pl.lit("direct"))
            .when(pl.col("onward"))
            .then(pl.lit("onward"))
            .when(active("s_hub"))
            .then(pl.lit("hub"))
        )
        frame = frame.with_columns(pl.when(pl.col("ctrl") > UNCONTROLLED_WEIGHT).then(how).alias("how"))
        weight = pl.col("how").replace_strict(WEIGHTS, default=0.0, return_dtype=pl.Float64)
        weight = weight * pl.when(pl.col("how") == "hub").then(pl.col("r")).otherwise(1.0) * pl.col("ctrl")
        exposed = pl.col("how").is_not_null()
        month = pl.col("period").dt.year().cast(pl.Int32) * 12 + pl.col("period").dt.month().cast(pl.Int32)
        frame = frame.with_columns(
            weight.fill_null(0.0).alias("weight"),
            pl.col("log_value").filter(~exposed).median().over(SERIES).alias("before"),
            ((month.filter(exposed).min() - month.min()).over(SERIES) < NEW_MONTHS)
            .fill_null(False)
            .alias("opened"),
            pl.col("period").min().over(SERIES).alias("first"),
            pl.col("period").filter(exposed).min().over(SERIES).alias("first_exposed"),
            pl.when(pl.col("how") == "hub")
            .then(pl.col("hub_of"))
            .otherwise(pl.col("into"))
            .alias("destination"),
        )
        growth = (pl.col("log_value") - pl.col("before")).clip(-2.0, NEW_CORRIDOR).fill_null(NEW_CORRIDOR)
        novelty = pl.when(pl.col("opened")).then(NEW_CORRIDOR).otherwise(growth)
        return frame.with_columns(
            novelty.alias("novelty"),
            pl.when(exposed).then(pl.col("weight") * (2.2 + novelty) / 5.2).otherwise(0.0).alias("score"),
        )

    def _score(self, features: pl.DataFrame) -> np.ndarray:
        return self.exposures(features)["score"].fill_null(0.0).to_numpy()

    def _reasons(self, features: pl.DataFrame, rows: np.ndarray) -> pl.DataFrame:
        frame = self.exposures(features).with_columns(features["value_usd"])[rows]
        frame = frame.with_columns(pl.Series("row", rows, dtype=pl.Int64)).filter(pl.col("score") > 0)
        what = (
            pl.when(pl.col("how") == "direct")
            .then(pl.format("goods to {}, under a sanctions programme", "destination"))
            .when(pl.col("how") == "onward")
            .then(pl.lit("goods to a country that ships the same code on to a sanctioned one"))
            .otherwise(pl.format("goods to {}, a neighbour or hub of sanctioned {}", "into", "destination"))
        )
        goods = pl.lit("controlled ")
        first = (
            pl.when(pl.col("annual"))
            .then(pl.col("first").dt.strftime("%Y"))
            .otherwise(pl.col("first").dt.strftime("%Y-%m"))
        )
        since = (
            pl.when(pl.col("annual"))
            .then(pl.col("first_exposed").dt.strftime("%Y"))
            .otherwise(pl.col("first_exposed").dt.strftime("%Y-%m"))
        )
        return frame.select(
            "row",
            pl.lit(self.name).alias("detector"),
            pl.when(pl.col("opened"))
            .then(pl.lit(Signal.NEW_CORRIDOR.value))
            .otherwise(pl.lit(Signal.SANCTIONS_EXPOSURE.value))
            .alias("signal"),
            (
                goods
                + what
                + pl.when(pl.col("opened")).then(pl.lit("; corridor opened for it")).otherwise(pl.lit(""))
            ).alias("label"),
            pl.lit("sanctions_exposure").alias("feature"),
            pl.col("value_usd").alias("observed"),
            pl.when(pl.col("opened")).then(None).otherwise(pl.col("before").exp()).alias("expected"),
            pl.lit("USD").alias("unit"),
            pl.when(pl.col("opened"))
            .then(pl.format("vs no trade before: the corridor opened in {}, exposed since {}", first, since))
            .otherwise(pl.format("vs the corridor's median period before its exposure began in {}", since))
            .alias("comparison"),
            pl.col("score").alias("magnitude"),
        )
