"""Diversion found from trade patterns, even when no list names the parties (issue #15).

The detector reads corridors (detectors.corridors) and finds the deflection and two-legs patterns
(detectors.patterns). Every flow of a flagged corridor in the periods it stands above its level
before the pattern gets a score and a `diversion` reason that says which pattern, through which
country, to which destination, and how much the trade grew; the rest score 0. The findings are
kept per corridor as the diversion table (schema.DIVERSION, written by `score` to
data/diversion.parquet), the table the assistant's evasion-patterns tool reads.

Score of a flagged flow: the surprisal of its pattern (-log10 of how often normal trade would
show it, read from every corridor and window of the table: the chance of a surge at least as
strong times the chance of the other leg moving as much, see `_chance`), times the destination's
weight (sanctioned 1, a hub passing on to one 0.8, other 0.5; a listed-parties hub 0.6) and the
goods' controlled weight (CHPL tier 1: 1 ... uncontrolled 0.3). The score is calibrated already
(`calibrated`): the ensemble reads it as a tail probability, 10^-score.
"""

from __future__ import annotations

import numpy as np
import polars as pl

from tradesentinel.detectors.base import BaseDetector
from tradesentinel.detectors.calibration import surprisal
from tradesentinel.detectors.corridors import Panel, build_panel
from tradesentinel.detectors.diversion_table import diversion_table
from tradesentinel.detectors.exposure import Exposure, build_exposure, controlled_weights
from tradesentinel.detectors.patterns import Moves, deflection, two_legs
from tradesentinel.detectors.series_signals import MATERIAL_USD
from tradesentinel.detectors.signals import Signal
from tradesentinel.errors import InvalidArgumentError
from tradesentinel.schema import DIVERSION

REASON_COLUMNS = {"label": pl.String, "expected": pl.Float64, "comparison": pl.String}


class DiversionDetector(BaseDetector):
    """Deflection and two-legs patterns over corridors (see the module docstring).

    `exposure`: the reference lists (None: the shipped ones); `floor_usd`: the least change per
    month that counts (x12 for annual rows); `min_growth`: the multiple a surge needs (and its
    inverse, a collapse); `cif_fob_ratio`: to bring import reports to FOB."""

    name = "diversion"
    family = "diversion"
    calibrated = True  # its score is already a surprisal: -log10 of the chance of the pattern
    fits_locally = True  # corridors, hubs' inflows and destinations' collapses lie within one HS code

    def __init__(
        self,
        exposure: Exposure | None = None,
        *,
        floor_usd: float = MATERIAL_USD,
        min_growth: float = 2.0,
        cif_fob_ratio: float = 1.06,
    ) -> None:
        self.exposure = exposure
        self.floor_usd = floor_usd
        self.min_growth = min_growth
        self.cif_fob_ratio = cif_fob_ratio

    def _validate(self) -> None:
        if not self.min_growth > 1.0:
            raise InvalidArgumentError("min_growth", f"must be above 1, got {self.min_growth}")
        if not self.floor_usd > 0:
            raise InvalidArgumentError("floor_usd", f"must be positive, got {self.floor_usd}")

    def _fit(self, features: pl.DataFrame) -> None:
        exposure = self.exposure or build_exposure()
        ids = features.select("flow_id", "value_usd").with_row_index("row").cast({"row": pl.Int64})
        flagged, tables = [], []
        for freq in ("M", "A"):
            panel = build_panel(features, freq, self.cif_fob_ratio)
            if panel is None or panel.value.shape[1] <= panel.windows.lag:
                continue
            floor = self.floor_usd * 12 / panel.windows.per_year
            moves = Moves.of(panel.value, panel, floor)
            found = _findings(panel, moves, exposure, np.log(self.min_growth), floor)
            if found.height == 0:
                continue
            rows = _flagged_rows(panel, moves, found, self.min_growth, floor).join(ids, on="row")
            flagged.append(rows)
            tables.append(diversion_table(panel, moves, found, rows, exposure))
        if not flagged:
            self.flagged_ = pl.DataFrame(schema={"flow_id": pl.String, "score": pl.Float64, **REASON_COLUMNS})
            self.corridors_ = pl.DataFrame(schema=DIVERSION)
            return
        best = pl.concat(flagged).sort("score", descending=True).unique("flow_id", keep="first")
        self.flagged_ = best.select("flow_id", "score", *REASON_COLUMNS)
        self.corridors_ = pl.concat(tables).sort("score", descending=True)

    def _score(self, features: pl.DataFrame) -> np.ndarray:
        scores = self.flagged_.select("flow_id", "score")
        joined = features.select("flow_id").join(scores, on="flow_id", how="left", maintain_order="left")
        return joined["score"].fill_null(0.0).to_numpy()

    def _reasons(self, features: pl.DataFrame, rows: np.ndarray) -> pl.DataFrame:
        asked = features.select("flow_id", "value_usd").with_row_index("row").cast({"row": pl.Int64})[rows]
        return asked.join(self.flagged_, on="flow_id").select(
            "row",
            pl.lit(self.name).alias("detector"),
            pl.lit(Signal.DIVERSION.value).alias("signal"),
            "label",
            pl.lit("value_usd").alias("feature"),
            pl.col("value_usd").alias("observed"),
            "expected",
            pl.lit("USD").alias("unit"),
            "comparison",
            pl.col("score").alias("magnitude"),
        )


def _findings(panel: Panel, moves: Moves, exposure: Exposure, min_log: float, floor: float) -> pl.DataFrame:
    """Every finding of both patterns on one panel, one row per flagged corridor: finding id,
    pattern, c, origin (null: the hub's outflow leg), hub, destination, hs_code, t_first, t_last,
    strength, change_usd, weight, growth, destination_change, inflow_growth (log units)."""
    columns = ["pattern", "c", "origin", "hub", "destination", "hs_code", "t_first", "t_last", "strength"]
    columns += ["change_usd", "weight", "growth", "destination_change", "inflow_growth"]
    found = deflection(panel, moves, exposure, min_log, floor).select(
        *columns[:-3],
        pl.col("surge").alias("growth"),
        (-pl.col("drop")).alias("destination_change"),
        pl.lit(None, dtype=pl.Float64).alias("inflow_growth"),
    )
    out, inflows = two_legs(panel, moves, exposure, min_log, floor)
    surge = (
        pl.Series(moves.growth[out["c"].to_numpy(), out["t_first"].to_numpy()])
        if out.height
        else pl.Series([], dtype=pl.Float64)
    )
    out = out.with_columns(pl.lit(None, dtype=pl.String).alias("origin"), surge.alias("growth"))
    out = out.select(*columns[:-3], "growth", pl.col("growth").alias("destination_change"), "inflow_growth")
    inflows = inflows.join(
        out.select("hub", "destination", "hs_code", "destination_change", "inflow_growth"),
        on=["hub", "destination", "hs_code"],
    )
    inflows = inflows.select(
        *columns[:-3], pl.col("strength").alias("growth"), "destination_change", "inflow_growth"
    )
    found = pl.concat([found, out, inflows], how="vertical_relaxed")
    weights = controlled_weights(exposure, found["hs_code"])
    return found.with_columns(weights, pl.int_range(pl.len(), dtype=pl.Int64).alias("finding"))


def _chance(moves: Moves, strength: np.ndarray, pattern: np.ndarray, floor: float) -> np.ndarray:
    """How often normal trade would show a pattern this strong, read from every corridor and window
    of the table: P(a window surges by at least `strength`) x P(the other leg moves as much: a
    second surge for two legs, a collapse for deflection), the legs independent under the null."""
    known = np.isfinite(moves.growth)
    n = max(int(known.sum()), 1)
    with np.errstate(invalid="ignore"):
        rises = np.sort(moves.growth[known & (moves.change >= floor)])
        falls = np.sort(-moves.growth[known & (moves.before >= floor) & (moves.growth < 0)])
    p_rise = (len(rises) - np.searchsorted(rises, strength, side="left") + 1) / n
    p_fall = (len(falls) - np.searchsorted(falls, strength, side="left") + 1) / n
    return np.clip(p_rise * np.where(pattern == "deflection", p_fall, p_rise), 1e-300, 1.0)


def _flagged_rows(
    panel: Panel, moves: Moves, found: pl.DataFrame, min_growth: float, floor: float
) -> pl.DataFrame:
    """Per finding, the features rows of its corridor in every period, from its first window on,
    where the corridor stands above its level before the pattern (x min_growth and + floor):
    row, finding, score and the reason's words."""
    c, first = found["c"].to_numpy(), found["t_first"].to_numpy()
    baseline = np.nan_to_num(moves.before[c, first])
    start = np.maximum(first - panel.windows.width + 1, 0)
    threshold = np.maximum(min_growth * baseline, baseline + floor)
    t = np.arange(panel.value.shape[1])[None, :]
    mask = (t >= start[:, None]) & (panel.value[c] >= threshold[:, None]) & (panel.value[c] > 0)
    f, u = np.nonzero(mask)
    cells = pl.DataFrame({"finding": f.astype(np.int64), "c": c[f].astype(np.int64), "t": u.astype(np.int64)})
    evidence = surprisal(_chance(moves, found["strength"].to_numpy(), found["pattern"].to_numpy(), floor))
    score = found["weight"] * found["controlled_weight"] * evidence
    words = found.with_columns(score.alias("score"), pl.Series("expected", baseline), *_words(panel))
    return cells.join(panel.rows, on=["c", "t"]).join(
        words.select("finding", "score", *REASON_COLUMNS), on="finding"
    )


def _words(panel: Panel) -> list[pl.Expr]:
    """The reason's label and comparison of each finding, in words."""
    fmt = "%Y-%m" if panel.windows.per_year == 12 else "%Y"
    periods = panel.periods.dt.strftime(fmt)
    lag, width = panel.windows.lag, panel.windows.width
    since = pl.col("t_first") - lag
    baseline = (
        pl.lit(periods).gather((since - width + 1).clip(0, len(periods) - 1))
        + pl.lit(".." if width > 1 else "")
        + (pl.lit(periods).gather(since.clip(0, len(periods) - 1)) if width > 1 else pl.lit(""))
    )
    times = lambda col: pl.format("x{}", pl.col(col).exp().round(2))
    deflection_label = pl.format(
        "{} exports of HS {} to {} surged while its exports to {} collapsed (deflection)",
        "origin",
        "hs_code",
        "hub",
        "destination",
    )
    two_legs_label = pl.format(
        "{} passes HS {} on to {}: its imports and its exports of it surged together (two legs)",
        "hub",
        "hs_code",
        "destination",
    )
    return [
        pl.when(pl.col("pattern") == "deflection")
        .then(deflection_label)
        .otherwise(two_legs_label)
        .alias("label"),
        pl.when(pl.col("pattern") == "deflection")
        .then(
            pl.format(
                "vs {}: {}; exports to {} {} over the same " + ("months" if fmt == "%Y-%m" else "years"),
                baseline,
                times("growth"),
                "destination",
                times("destination_change"),
            )
        )
        .otherwise(
            pl.format(
                "vs {}: {}; {} imports of HS {} {}",
                baseline,
                times("growth"),
                "hub",
                "hs_code",
                times("inflow_growth"),
            )
        )
        .alias("comparison"),
    ]
