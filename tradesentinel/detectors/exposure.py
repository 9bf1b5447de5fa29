"""Who is sanctioned, which goods are controlled, and which third countries goods pass through:
the reference lists the sanctions-side detectors (`sanctions`, `diversion`) read, built from what
the user has ingested and configured, never from the demo.

- destinations: countries under a country-wide programme: the programme list (built in, or
  TRADESENTINEL_COUNTRY_PROGRAMMES_FILE) plus every country the ingested sanctions lists (the
  `sanctions` table of OFAC, EU, UN) hold a country programme against, with at least
  `MIN_DESIGNATIONS` designations: programme codes are mapped to the country they target
  (RUSSIA-EO14024 -> RUS, IFSR -> IRN, DPRK3 -> PRK, an EU code RUS -> RUS), from the earliest
  designation date seen (or from the start when no date is given);
- controlled: the Common High Priority List with its tiers (reference_data/controlled_goods.csv,
  or TRADESENTINEL_CONTROLLED_HS_FILE, whose codes count as tier 2);
- hubs: per destination, its neighbours and known hubs (reference_data/transit_hubs.csv, or
  TRADESENTINEL_TRANSIT_HUBS_FILE), plus countries where the lists place at least
  `MIN_DESIGNATIONS` parties designated under a programme against that destination (front
  companies abroad).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np
import polars as pl

from tradesentinel import reference

MIN_DESIGNATIONS = 5
"""Designations a list needs against a country (or in a third country) before it counts."""

PROGRAMME_TOKENS: dict[str, str] = {
    "RUSSIA": "RUS",
    "BELARUS": "BLR",
    "IRAN": "IRN",
    "IFSR": "IRN",
    "IRGC": "IRN",
    "ITSR": "IRN",
    "DPRK": "PRK",
    "NKSR": "PRK",
    "SYRIA": "SYR",
    "CUBA": "CUB",
    "VENEZUELA": "VEN",
    "BURMA": "MMR",
    "MYANMAR": "MMR",
}
"""Words in a programme code that name the country it targets (a code may also be that ISO3)."""
TARGET_CODES = frozenset(PROGRAMME_TOKENS.values())

TIER_WEIGHT = {"1": 1.0, "2": 0.9, "3A": 0.75, "3B": 0.75, "4": 0.6}
"""How much a controlled tier raises a sanctions-side score (tier 1: integrated circuits)."""
UNCONTROLLED_WEIGHT = 0.3
"""Weight of goods on no list: diversion of anything still counts, less."""


@dataclass(frozen=True)
class Exposure:
    """Reference tables of the sanctions-side detectors (see the module docstring)."""

    destinations: pl.DataFrame  # iso3, programme, since (Date), source
    controlled: pl.DataFrame  # hs_code, tier
    hubs: pl.DataFrame  # destination, hub, relation, source


def programme_target() -> pl.Expr:
    """The ISO3 a programme code (column `programme`) targets, or null: an ISO3 code itself, or a
    word of the code (split at non-letters) in PROGRAMME_TOKENS, DPRK2/DPRK3 counting as DPRK."""
    code = pl.col("programme").str.to_uppercase().str.strip_chars()
    words = code.str.replace_all(r"[^A-Z]+", " ").str.strip_chars().str.split(" ")
    hit = (
        words.list.eval(pl.element().replace_strict(PROGRAMME_TOKENS, default=None))
        .list.drop_nulls()
        .list.first()
    )
    return pl.when(code.is_in(list(TARGET_CODES))).then(code).otherwise(hit)


def _from_lists(sanctions: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(destinations, hubs) the ingested lists imply (see the module docstring)."""
    listed_on = pl.col("listed_on") if "listed_on" in sanctions.columns else pl.lit(None, dtype=pl.Date)
    targets = (
        sanctions.select(pl.col("programmes").alias("programme"), listed_on.alias("listed_on"), "countries")
        .explode("programme")
        .drop_nulls("programme")
        .with_columns(programme_target().alias("target"))
        .drop_nulls("target")
    )
    destinations = (
        targets.group_by("target")
        .agg(
            pl.len().alias("n"),
            pl.col("listed_on").min().alias("since"),
            pl.col("programme").unique().sort().head(4).str.join(", ").alias("programme"),
        )
        .filter(pl.col("n") >= MIN_DESIGNATIONS)
        .select(
            pl.col("target").alias("iso3"), "programme", "since", pl.lit("sanctions lists").alias("source")
        )
    )
    hubs = (
        targets.explode("countries")
        .filter(pl.col("countries").is_not_null() & (pl.col("countries") != pl.col("target")))
        .group_by("target", "countries")
        .len()
        .filter(pl.col("len") >= MIN_DESIGNATIONS)
        .select(
            pl.col("target").alias("destination"),
            pl.col("countries").alias("hub"),
            pl.lit("listed parties").alias("relation"),
            pl.lit("sanctions lists").alias("source"),
        )
    )
    return destinations, hubs


def build_exposure(
    programmes: pl.DataFrame | None = None,
    controlled: pl.DataFrame | None = None,
    hubs: pl.DataFrame | None = None,
    sanctions: pl.DataFrame | None = None,
) -> Exposure:
    """The reference tables from the programme list (iso3, programme, since), the controlled list
    (hs_code, optional tier), the hubs list (destination, hub, relation) and the ingested
    sanctions table; each missing one falls back to the shipped list (no sanctions table: none)."""
    programmes = reference.country_programmes() if programmes is None else programmes
    destinations = programmes.select(
        "iso3", "programme", pl.col("since").cast(pl.Date), pl.lit("programme list").alias("source")
    )
    controlled = reference.controlled_goods() if controlled is None else controlled
    if "tier" not in controlled.columns:
        controlled = controlled.with_columns(pl.lit("2").alias("tier"))
    hubs = reference.transit_hubs() if hubs is None else hubs
    hubs = hubs.select("destination", "hub", "relation", pl.lit("hubs list").alias("source"))
    if sanctions is not None and sanctions.height:
        listed, listed_hubs = _from_lists(sanctions)
        destinations = pl.concat(
            [destinations, listed.filter(~pl.col("iso3").is_in(destinations["iso3"].implode()))]
        )
        hubs = pl.concat([hubs, listed_hubs.join(hubs, on=["destination", "hub"], how="anti")])
    return Exposure(
        destinations=destinations.with_columns(pl.col("since").fill_null(date(1900, 1, 1))),
        controlled=controlled.select(
            pl.col("hs_code").cast(pl.String), pl.col("tier").cast(pl.String)
        ).unique("hs_code"),
        hubs=hubs.unique(["destination", "hub"], keep="first"),
    )


def controlled_weights(exposure: Exposure, hs_codes: pl.Series) -> pl.Series:
    """Per HS code: the weight of its controlled tier (an HS2/HS4 aggregate takes the best tier of
    the codes it contains), UNCONTROLLED_WEIGHT when on no list."""
    tiers = exposure.controlled.with_columns(
        pl.col("tier").replace_strict(TIER_WEIGHT, default=0.8, return_dtype=pl.Float64).alias("w")
    )
    by_prefix = (
        pl.concat([tiers.select(pl.col("hs_code").str.slice(0, n).alias("code"), "w") for n in (2, 4, 6)])
        .group_by("code")
        .agg(pl.col("w").max())
    )
    frame = pl.DataFrame({"code": hs_codes.cast(pl.String)})
    joined = frame.join(by_prefix, on="code", how="left", maintain_order="left")
    return joined["w"].fill_null(UNCONTROLLED_WEIGHT).alias("controlled_weight")


def sanctioned_relation(exposure: Exposure, features: pl.DataFrame) -> np.ndarray:
    """Per row: the reporter or the partner is a destination under a programme in that period (for
    an annual row, from the year the programme began): where trade is meant to fall."""
    since = exposure.destinations.group_by("iso3").agg(pl.col("since").min())
    annual = (pl.col("freq") == "A").fill_null(False) if "freq" in features.columns else pl.lit(False)
    frame = features.select("reporter", "partner", "period", annual.alias("annual"))
    for side in ("reporter", "partner"):
        frame = frame.join(
            since.rename({"iso3": side, "since": f"since_{side}"}), on=side, how="left", maintain_order="left"
        )

    def active(column: str) -> pl.Expr:
        started = pl.col(column)
        yearly = started.dt.year() <= pl.col("period").dt.year()
        monthly = started <= pl.col("period").dt.month_end()
        return pl.when(pl.col("annual")).then(yearly).otherwise(monthly).fill_null(False)

    return frame.select(active("since_reporter") | active("since_partner")).to_series().to_numpy()
