"""The two diversion patterns, found on a corridor panel (detectors.corridors) with array masks.

- deflection (one leg, what most users have): an exporter's trade of one HS code with a
  sanctioned destination collapses while its trade of the same code with that destination's
  neighbours or known hubs surges, in the same windows; its own collapse, or where it never
  traded with the destination, the collapse of everyone's trade of that code with it (weaker);
- two_legs: a third country's imports of one HS code surge while its exports of that code to
  one destination surge by a comparable amount in the same windows (passing goods on). Any
  destination counts, one on no list only with twice the growth (both legs at least
  min_growth squared); a sanctioned one, or a hub that itself passes the goods to one (a chain of
  hops), weighs more.

A window surges when its trimmed level is at least `min_growth` times the same window a year
earlier and up by at least `floor` USD per period; it collapses when it fell to at most
1 / `min_growth` of a level of at least `floor`. Each finding is one flagged corridor with its
pattern, countries, strength (log growth, the weaker of its two legs) and the windows it held in.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl

from tradesentinel.detectors.corridors import Panel, growth, sums_by, window_level
from tradesentinel.detectors.exposure import Exposure

RELATION_WEIGHT = {"neighbour": 1.0, "hub": 1.0, "listed parties": 0.6}
AGGREGATE_WEIGHT = 0.7  # deflection read from everyone's collapse, not the exporter's own
OTHER_DESTINATION = 0.5  # two legs into a destination on no list
CHAIN_DESTINATION = 0.8  # two legs into a hub that passes the goods on to a sanctioned destination


@dataclass(frozen=True)
class Moves:
    """Per series and window end: level, log growth over a year before, that earlier level, and
    the change (USD per period)."""

    level: np.ndarray
    growth: np.ndarray
    before: np.ndarray
    change: np.ndarray

    @staticmethod
    def of(value: np.ndarray, panel: Panel, floor: float) -> Moves:
        level = window_level(value, panel.windows.width)
        g, before, change = growth(level, panel.windows.lag, floor)
        return Moves(level, g, before, change)

    def surges(self, min_log: float, floor: float) -> np.ndarray:
        with np.errstate(invalid="ignore"):
            return (self.growth >= min_log) & (self.change >= floor)

    def collapses(self, min_log: float, floor: float) -> np.ndarray:
        with np.errstate(invalid="ignore"):
            return (self.growth <= -min_log) & (self.before >= floor)


def sanctioned_at(panel: Panel, destinations: pl.DataFrame, countries: pl.Series) -> np.ndarray:
    """[len(countries), T]: the country is under a programme in that period (from the period in
    which the programme began: an annual row counts from the year it began)."""
    since = countries.to_frame("iso3").join(
        destinations.group_by("iso3").agg(pl.col("since").min()), on="iso3", how="left", maintain_order="left"
    )["since"]
    start = since.dt.year() * 12 + since.dt.month() - 1 if panel.windows.per_year == 12 else since.dt.year()
    steps = panel.periods.dt.year() * panel.windows.per_year
    if panel.windows.per_year == 12:
        steps = steps + panel.periods.dt.month() - 1
    start = start.fill_null(np.iinfo(np.int32).max).to_numpy()
    return steps.to_numpy()[None, :] >= start[:, None]


def _findings(mask: np.ndarray, frame: pl.DataFrame, **arrays: np.ndarray) -> pl.DataFrame:
    """One row per pair of `frame` whose `mask` [P, T] holds somewhere: the first and last window
    end it holds in, and each named [P, T] array's largest value over those windows."""
    idx = np.flatnonzero(mask.any(axis=1)) if mask.size else np.zeros(0, dtype=np.int64)
    m = mask[idx]
    if idx.size == 0:
        columns = {"t_first": pl.Int64, "t_last": pl.Int64, **{k: pl.Float64 for k in arrays}}
        return frame.head(0).with_columns(pl.lit(None, dtype=t).alias(k) for k, t in columns.items())
    return frame[idx].with_columns(
        pl.Series("t_first", m.argmax(axis=1), dtype=pl.Int64),
        pl.Series("t_last", m.shape[1] - 1 - m[:, ::-1].argmax(axis=1), dtype=pl.Int64),
        *[pl.Series(k, np.where(m, v[idx], -np.inf).max(axis=1)) for k, v in arrays.items()],
    )


def deflection(panel: Panel, moves: Moves, exposure: Exposure, min_log: float, floor: float) -> pl.DataFrame:
    """Deflection findings: c (the surging exporter -> hub corridor), origin, hub, destination,
    hs_code, relation, d (the exporter -> destination corridor, -1 if none), t_first, t_last,
    strength, change_usd, drop (the destination's log fall), own (its own collapse), weight."""
    keys = panel.keys
    pairs = (
        keys.rename({"importer": "hub"})
        .join(exposure.hubs.select("destination", "hub", "relation"), on="hub")
        .join(
            keys.select(
                pl.col("c").alias("d"), "exporter", pl.col("importer").alias("destination"), "hs_code"
            ),
            on=["exporter", "destination", "hs_code"],
            how="left",
        )
        .filter(pl.col("destination").is_in(exposure.destinations["iso3"].implode()))
    )
    groups, totals = sums_by(panel, ["importer", "hs_code"])
    everyone = Moves.of(totals, panel, floor)
    pairs = pairs.join(
        groups.select(pl.col("g").alias("a"), pl.col("importer").alias("destination"), "hs_code"),
        on=["destination", "hs_code"],
        how="left",
    ).filter(pl.col("a").is_not_null())  # a destination that imports none of the code cannot collapse
    pairs = pairs.with_columns(pl.col("d").fill_null(-1))
    s, d, a = (pairs[k].to_numpy() for k in ("c", "d", "a"))
    has_d, d0 = (d >= 0)[:, None], np.maximum(d, 0)
    own = has_d & moves.collapses(min_log, floor)[d0]
    # everyone's collapse counts only where the exporter had no trade with the destination to lose
    had = has_d & (np.nan_to_num(moves.before[d0]) >= floor)
    agg = everyone.collapses(min_log, floor)[a] & ~had
    active = sanctioned_at(panel, exposure.destinations, pairs["destination"])
    mask = moves.surges(min_log, floor)[s] & (own | agg) & active
    with np.errstate(invalid="ignore"):
        drop = np.where(own, -moves.growth[d0], -everyone.growth[a])
        strength = np.minimum(moves.growth[s], drop) * np.where(own, 1.0, AGGREGATE_WEIGHT)
    found = _findings(
        mask,
        pairs,
        strength=strength,
        change_usd=moves.change[s],
        surge=moves.growth[s],
        drop=drop,
        own=own.astype(float),
    )
    return found.with_columns(
        pl.col("exporter").alias("origin"),
        pl.lit("deflection").alias("pattern"),
        pl.col("relation")
        .replace_strict(RELATION_WEIGHT, default=0.6, return_dtype=pl.Float64)
        .alias("weight"),
    )


def two_legs(
    panel: Panel, moves: Moves, exposure: Exposure, min_log: float, floor: float
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(outflow findings: c (the hub -> destination corridor), hub, destination, hs_code, t_first,
    t_last, strength, change_usd, inflow_growth, weight; inflow findings: c (an origin -> hub
    corridor that surged meanwhile), origin, hub, destination, hs_code, t_first, t_last, strength,
    change_usd, weight), for the two-legs pattern."""
    groups, totals = sums_by(panel, ["importer", "hs_code"])
    inflow = Moves.of(totals, panel, floor)
    pairs = panel.keys.rename({"exporter": "hub", "importer": "destination"}).join(
        groups.select(pl.col("g").alias("a"), pl.col("importer").alias("hub"), "hs_code"),
        on=["hub", "hs_code"],
    )
    o, a = pairs["c"].to_numpy(), pairs["a"].to_numpy()
    with np.errstate(invalid="ignore", divide="ignore"):
        ratio = moves.change[o] / inflow.change[a]
        mask = (
            moves.surges(min_log, floor)[o]
            & inflow.surges(min_log, floor)[a]
            & (ratio >= 0.2)
            & (ratio <= 5.0)
        )
        strength = np.minimum(moves.growth[o], inflow.growth[a])
    listed = sanctioned_at(panel, exposure.destinations, pairs["destination"])
    with np.errstate(invalid="ignore"):
        mask &= listed | (strength >= 2 * min_log)  # into a destination on no list: twice the growth
    weight = np.where(listed, 1.0, OTHER_DESTINATION)
    out = _findings(
        mask,
        pairs,
        strength=strength,
        change_usd=moves.change[o],
        inflow_growth=inflow.growth[a],
        weight=weight,
    )
    # a chain: passing the goods to a hub that passes them on to a sanctioned destination
    onward = (
        out.filter(pl.col("weight") >= 1.0).select(pl.col("hub").alias("destination"), "hs_code").unique()
    )
    known = exposure.hubs.select(pl.col("hub").alias("destination")).unique()
    out = out.with_columns(
        pl.when(pl.col("weight") >= 1.0)
        .then(1.0)
        .when(
            pl.struct("destination", "hs_code").is_in(
                onward.select(pl.struct("destination", "hs_code")).to_series().implode()
            )
            | pl.col("destination").is_in(known["destination"].implode())
        )
        .then(CHAIN_DESTINATION)
        .otherwise(pl.col("weight"))
        .alias("weight"),
        pl.lit("two_legs").alias("pattern"),
    )
    return out, _inflows(panel, moves, out, min_log, floor)


def _inflows(panel: Panel, moves: Moves, out: pl.DataFrame, min_log: float, floor: float) -> pl.DataFrame:
    """The corridors into each two-legs hub that surged while its pattern held."""
    legs = (
        panel.keys.rename({"importer": "hub", "exporter": "origin"})
        .join(
            out.select(
                "hub",
                "destination",
                "hs_code",
                pl.col("t_first").alias("o_first"),
                pl.col("t_last").alias("o_last"),
                pl.col("strength").alias("o_strength"),
                "weight",
            ),
            on=["hub", "hs_code"],
        )
        .filter(pl.col("origin") != pl.col("destination"))
    )
    c = legs["c"].to_numpy()
    t = np.arange(panel.value.shape[1])[None, :]
    first, last = legs["o_first"].to_numpy()[:, None], legs["o_last"].to_numpy()[:, None]
    mask = moves.surges(min_log, floor)[c] & (t >= first - panel.windows.width) & (t <= last)
    strength = np.minimum(moves.growth[c], legs["o_strength"].to_numpy()[:, None])
    found = _findings(mask, legs, strength=strength, change_usd=moves.change[c])
    return found.drop("o_first", "o_last", "o_strength").with_columns(pl.lit("two_legs").alias("pattern"))
