"""A fast synthetic trade panel of any size for benchmarks (the demo world is richer but slower to build)."""

from __future__ import annotations

from datetime import date

import numpy as np
import polars as pl

from tradesentinel.reference import CONTROLLED_HS6

COUNTRIES = [
    "USA",
    "CHN",
    "DEU",
    "JPN",
    "GBR",
    "FRA",
    "IND",
    "KOR",
    "ITA",
    "NLD",
    "CAN",
    "MEX",
    "BRA",
    "ESP",
    "AUS",
    "CHE",
    "TUR",
    "POL",
    "BEL",
    "SWE",
    "SGP",
    "ARE",
    "SAU",
    "IDN",
    "THA",
    "VNM",
    "MYS",
    "ZAF",
    "NGA",
    "EGY",
    "ARG",
    "CHL",
    "KAZ",
    "KGZ",
    "ARM",
    "GEO",
    "UZB",
    "HKG",
    "ISR",
    "NOR",
    "PAK",
    "BGD",
    "RUS",
    "IRN",
]


def synthetic_flows(n_rows: int, *, n_months: int = 60, seed: int = 0) -> pl.DataFrame:
    """About `n_rows` monthly flows: corridors x months, both mirror sides, ~3% missing months."""
    rng = np.random.default_rng(seed)
    n_corridors = max(1, n_rows // (2 * n_months))
    n_hs = max(50, n_corridors // 200)
    hs_pool = np.array(
        list(CONTROLLED_HS6) + [f"{c:06d}" for c in rng.choice(np.arange(10000, 970000), n_hs)]
    )
    exporter = rng.integers(0, len(COUNTRIES), n_corridors)
    importer = (exporter + rng.integers(1, len(COUNTRIES), n_corridors)) % len(COUNTRIES)
    hs = rng.integers(0, len(hs_pool), n_corridors)
    # de-duplicate corridors so keys stay unique
    key = (exporter * len(COUNTRIES) + importer) * len(hs_pool) + hs
    _, keep = np.unique(key, return_index=True)
    exporter, importer, hs = exporter[keep], importer[keep], hs[keep]
    n_corridors = len(keep)
    months = np.arange(n_months)
    level = rng.normal(13, 2, n_corridors)
    uv = rng.normal(2.5, 1.2, n_corridors)
    season = rng.uniform(0, 0.3, n_corridors)
    log_value = (
        level[:, None]
        + season[:, None]
        * np.sin(2 * np.pi * (months[None, :] + rng.integers(0, 12, n_corridors)[:, None]) / 12)
        + rng.normal(0, 0.15, (n_corridors, n_months))
    )
    value = np.exp(log_value).ravel()
    weight = value / np.exp(uv.repeat(n_months) + rng.normal(0, 0.05, value.size))
    period = np.tile(months, n_corridors)
    exp_c, imp_c, hs_c = (np.repeat(a, n_months) for a in (exporter, importer, hs))
    start = date(2020, 1, 1)
    sides = []
    for flow, rep, par, factor in (("X", exp_c, imp_c, 1.0), ("M", imp_c, exp_c, 1.06)):
        present = rng.random(value.size) > 0.03
        sides.append(
            pl.DataFrame(
                {
                    "_month": period[present],
                    "reporter": np.array(COUNTRIES)[rep[present]],
                    "partner": np.array(COUNTRIES)[par[present]],
                    "flow": flow,
                    "hs_code": hs_pool[hs_c[present]],
                    "value_usd": value[present] * factor * rng.lognormal(0, 0.03, present.sum()),
                    "net_weight_kg": weight[present],
                }
            )
        )
    frame = pl.concat(sides)
    return frame.select(
        pl.lit(start).dt.offset_by(pl.format("{}mo", pl.col("_month"))).alias("period"),
        pl.lit("M").alias("freq"),
        "reporter",
        "partner",
        "flow",
        "hs_code",
        pl.lit("H6").alias("hs_version"),
        "value_usd",
        "net_weight_kg",
        pl.col("net_weight_kg").alias("qty"),
        pl.lit("kg").alias("qty_unit"),
        pl.lit("synthetic").alias("source"),
        pl.format("{}-{}-{}-{}-{}", "_month", "reporter", "partner", "flow", "hs_code").alias("flow_id"),
    )
