"""Build an independent labelled world from a `Spec`: base trade, sanctions regime, reports, then
the anomalies of `inject` and `chains`; flows (schema.FLOWS) and labels (schema.LABELS) out.

An annual world is simulated in months and summed into calendar years before the anomalies are
injected, at the year level, so its series are what annual Comtrade data look like.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from functools import partial

import numpy as np
import polars as pl

from benchmarks.worlds import chains, inject
from benchmarks.worlds.catalogue import COUNTRIES, hs_catalogue
from benchmarks.worlds.panel import Panel, corridors, noise_of, reports, sanctions_regime, true_trade
from tradesentinel import schema
from tradesentinel.pipeline import ids
from tradesentinel.reference import country_programmes

KINDS = ("diversion", "level_shift", "spike", "unit_price", "mirror_under", "unit_error")


@dataclass(frozen=True)
class Spec:
    """One world: seed and difficulty (0 obvious .. 1 near the noise), monthly or annual, size, the
    sanctioned destination and when its programme began, and events per kind at scale 1."""

    name: str
    seed: int
    difficulty: float
    freq: str  # "M" or "A"
    first_year: int
    n_years: int
    n_corridors: int
    target: str
    sanction: date
    events: dict[str, int] = field(default_factory=dict)
    weightless_share: float = 0.15  # share of countries that never report weights


@dataclass(frozen=True)
class World:
    """A generated world: its flows, the labels of its injected anomalies, and its spec."""

    spec: Spec
    flows: pl.DataFrame
    labels: pl.DataFrame

    @property
    def programmes(self) -> pl.DataFrame:
        """The country programmes an analyst of this world works with (iso3, programme, since): the
        shipped list, with the world's own programme against its target from the day it began. A
        world whose target was sanctioned earlier than the shipped list says (RUS from 2014) is
        judged with its own date, as a user would configure it (TRADESENTINEL_COUNTRY_PROGRAMMES_FILE)."""
        shipped = country_programmes()
        target, since = self.spec.target, self.spec.sanction
        if shipped.filter((pl.col("iso3") == target) & (pl.col("since") == since)).height:
            return shipped
        own = pl.DataFrame(
            {
                "iso3": [target],
                "programme": [f"{target} programme of world {self.spec.name}"],
                "since": [since],
            }
        )
        return pl.concat([shipped.filter(pl.col("iso3") != target), own])


def _annual(panel: Panel) -> Panel:
    """Monthly reports summed into calendar years, as annual statistics are published: a year's
    total is the whole year's trade, reported when the reporter covered at least half of the
    months that had trade (a country that stopped publishing early in a year does not report it);
    its weight only if every month has one."""

    def by_year(a: np.ndarray, how) -> np.ndarray:
        return how(a.reshape(a.shape[0], a.shape[1], -1, 12), axis=3)

    traded = by_year(panel.value > 0, np.sum)
    covered = by_year(panel.present, np.sum)
    present = (covered > 0) & (covered >= 0.5 * traded)
    value = by_year(panel.value, np.sum)
    weight = by_year(np.where(panel.value > 0, panel.weight, 0.0), np.sum)
    complete = by_year((panel.value <= 0) | np.isfinite(panel.weight), np.all)
    weight = np.where(complete & present, weight, np.nan)
    noise = panel.noise / np.sqrt(12)  # a year averages twelve months of noise
    return Panel(
        panel.codes,
        panel.exporter,
        panel.importer,
        panel.hs,
        panel.level * 12,
        value,
        weight,
        present,
        panel.touched,
        noise,
        panel.late,
    )


def _rows(
    panel: Panel,
    side: np.ndarray,
    c: np.ndarray,
    p: np.ndarray,
    periods: pl.Series,
    freq: str,
    hs_codes: list[str],
) -> pl.DataFrame:
    codes = pl.Series(panel.codes)
    frame = pl.DataFrame(
        {
            "period": periods.gather(p),
            "freq": freq,
            "reporter": codes.gather(np.where(side == 0, panel.exporter[c], panel.importer[c])),
            "partner": codes.gather(np.where(side == 0, panel.importer[c], panel.exporter[c])),
            "flow": pl.Series(["X", "M"]).gather(side),
            "hs_code": pl.Series(hs_codes).gather(panel.hs[c]),
        }
    )
    return frame.with_columns(ids.flow_ids(frame))


def build_world(spec: Spec, scale: float = 1.0) -> World:
    """Generate `spec`'s world (`scale` shrinks corridors and events alike, for quick tests)."""
    rng_hs, rng_c, rng_t, rng_r, rng_rep, *rng_kinds = np.random.default_rng(spec.seed).spawn(5 + len(KINDS))
    catalogue = hs_catalogue(rng_hs, max(20, round(160 * min(1.0, scale * 2))))
    codes = [c for c, _, _ in COUNTRIES]
    exporter, importer, hs, level = corridors(rng_c, catalogue, max(200, round(spec.n_corridors * scale)))
    n_months = 12 * spec.n_years
    start = (spec.sanction.year - spec.first_year) * 12 + spec.sanction.month  # first full month
    noise = 0.8 + 0.5 * spec.difficulty
    fob = true_trade(rng_t, level, hs, catalogue, n_months, 0, noise)
    fob = sanctions_regime(
        rng_r, fob, exporter, importer, catalogue.controlled[hs], codes, spec.target, start
    )
    silent = {codes.index(spec.target): start}  # the sanctioned country stops publishing
    late = rng_rep.random(len(hs)) < 0.1
    value, weight, present = reports(
        rng_rep,
        fob,
        exporter,
        importer,
        hs,
        catalogue,
        codes,
        weightless_share=spec.weightless_share,
        silent=silent,
        late=late,
    )
    untouched = np.zeros(len(hs), dtype=bool)
    panel = Panel(
        codes, exporter, importer, hs, level, value, weight, present, untouched, noise_of(level, noise), late
    )
    per_year = 12
    if spec.freq == "A":
        panel, per_year = _annual(panel), 1
        start = start // 12  # the year the programme began
        silent = {k: v // 12 + 1 for k, v in silent.items()}
    injectors = {
        "diversion": partial(
            chains.diversion, catalogue=catalogue, target=spec.target, start=start, silent=silent
        ),
        "level_shift": inject.level_shifts,
        "spike": inject.spikes,
        "unit_price": inject.price_manipulation,
        "mirror_under": inject.mirror_under,
        "unit_error": inject.unit_errors,
    }
    events: list[inject.Event] = []
    for kind, rng_kind in zip(KINDS, rng_kinds, strict=True):
        count = max(2, round(spec.events.get(kind, 0) * scale)) if spec.events.get(kind) else 0
        events += injectors[kind](panel, rng_kind, count, spec.difficulty, per_year)
    n_periods = panel.value.shape[2]
    if per_year == 12:
        periods = pl.Series([date(spec.first_year + m // 12, m % 12 + 1, 1) for m in range(n_periods)])
    else:
        periods = pl.Series([date(spec.first_year + y, 1, 1) for y in range(n_periods)])
    side, c, p = np.nonzero(panel.present)
    flows = _rows(panel, side, c, p, periods, spec.freq, catalogue.codes).with_columns(
        pl.lit("H6").alias("hs_version"),
        pl.Series("value_usd", panel.value[side, c, p]),
        pl.Series("net_weight_kg", panel.weight[side, c, p], nan_to_null=True),
        pl.lit(None, dtype=pl.Float64).alias("qty"),
        pl.lit(None, dtype=pl.String).alias("qty_unit"),
        pl.lit(f"world:{spec.name}").alias("source"),
    )
    labels = _labels(panel, events, periods, spec.freq, catalogue.codes)
    return World(spec, schema.conform(flows, "flows").collect(), schema.conform(labels, "labels").collect())


def _labels(
    panel: Panel, events: list[inject.Event], periods: pl.Series, freq: str, hs_codes: list[str]
) -> pl.DataFrame:
    """One row per labelled flow (the first kind wins where two events share a row), with an event id."""
    kinds, event_ids, parts = [], [], []
    counter: dict[str, int] = {}
    for e in events:
        counter[e.kind] = counter.get(e.kind, 0) + 1
        kinds += [e.kind] * e.side.size
        event_ids += [f"{e.kind}-{counter[e.kind]:04d}"] * e.side.size
        parts.append((e.side, e.corridor, e.period))
    if not parts:
        return pl.DataFrame(schema=schema.LABELS)
    side, c, p = (np.concatenate(x).astype(np.int64) for x in zip(*parts, strict=True))
    if not panel.present[side, c, p].all():
        raise RuntimeError("world generator: a labelled row is not among the reported flows")
    frame = _rows(panel, side, c, p, periods, freq, hs_codes).with_columns(
        pl.Series("kind", kinds, dtype=pl.String), pl.Series("anomaly_id", event_ids, dtype=pl.String)
    )
    return frame.unique("flow_id", keep="first", maintain_order=True)
