"""The anomaly-free trade of an independent world: corridors, true monthly trade, sanctions regime,
and both sides' reports (exporter FOB, importer CIF, with their own noise, lags and gaps).

Arrays are indexed [corridor, month] for true trade and [side, corridor, month] for reports
(side 0: the exporter's X report, side 1: the importer's M report). Months always; an annual
world sums them into years when it writes its flows.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from benchmarks.worlds.catalogue import COUNTRIES, FRIENDLY, SANCTIONING, Catalogue


@dataclass
class Panel:
    """True trade and its reports for every corridor (exporter -> importer, one HS code) and month.

    Mutable on purpose: the injectors of `benchmarks.worlds.inject` edit the arrays in place and
    mark the corridors they used in `touched`."""

    codes: list[str]  # country ISO3
    exporter: np.ndarray  # [C]
    importer: np.ndarray  # [C]
    hs: np.ndarray  # [C] index into the catalogue
    level: np.ndarray  # [C] typical monthly FOB value, USD
    value: np.ndarray  # [2, C, M] reported USD (0 where not traded)
    weight: np.ndarray  # [2, C, M] reported kg, NaN where not reported
    present: np.ndarray  # [2, C, M] the row is in the flows table
    touched: np.ndarray  # [C] carries an injected anomaly
    noise: np.ndarray  # [C] month-to-month noise of the true trade, log units
    late: np.ndarray  # [C] the importer books a month after the exporter


def corridors(
    rng: np.random.Generator, catalogue: Catalogue, n: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Exporter, importer, HS and monthly level of about `n` distinct corridors.

    Each HS code gets a number of corridors by its popularity; exporters are drawn by size and a
    per-country specialisation, importers by size; levels are heavy-tailed (Pareto-like)."""
    sizes = np.array([s for _, s, _ in COUNTRIES])
    k, n_hs = len(sizes), len(catalogue.codes)
    popularity = rng.pareto(1.5, n_hs) + 1.0
    per_hs = np.maximum(2, np.round(n * popularity / popularity.sum())).astype(int)
    spec = rng.gamma(0.6, 1.0, (k, n_hs))
    out_e, out_i, out_h = [], [], []
    for h in range(n_hs):
        p_e = sizes * spec[:, h]
        p_e /= p_e.sum()
        e = rng.choice(k, per_hs[h], p=p_e)
        i = rng.choice(k, per_hs[h], p=sizes**0.8 / (sizes**0.8).sum())
        out_e.append(e)
        out_i.append(i)
        out_h.append(np.full(per_hs[h], h))
    exporter, importer, hs = (np.concatenate(a) for a in (out_e, out_i, out_h))
    keep = exporter != importer
    key = (exporter * k + importer) * n_hs + hs
    _, first = np.unique(np.where(keep, key, -1), return_index=True)
    first = first[keep[first]]
    exporter, importer, hs = exporter[first], importer[first], hs[first]
    level = 4e5 * np.sqrt(sizes[exporter] * sizes[importer]) / 10 * (rng.pareto(1.3, len(hs)) + 0.3)
    return exporter, importer, hs, np.clip(level, 2e3, 5e9)


def noise_of(level: np.ndarray, noise: float) -> np.ndarray:
    """Month-to-month noise (log units) of corridors of these levels: small corridors are lumpier."""
    return noise * np.clip(0.1 + 0.06 * np.log(2e6 / level), 0.06, 0.45)


def true_trade(
    rng: np.random.Generator,
    level: np.ndarray,
    hs: np.ndarray,
    catalogue: Catalogue,
    n_months: int,
    first_month: int,
    noise: float,
) -> np.ndarray:
    """True monthly FOB values [C, M]: level, a smooth trend, the HS code's seasonality, heavy-tailed
    AR(1) noise (lumpier for small corridors), a common downturn, corridors that open or close,
    and months without trade for the smallest corridors."""
    c = len(level)
    t = np.arange(n_months)
    calendar = (first_month + t) % 12
    trend = rng.normal(0.02, 0.06, c)[:, None] * (t - n_months / 2) / 12
    curve = rng.normal(0, 0.02, c)[:, None] * ((t - n_months / 2) / 12) ** 2
    season = catalogue.season[hs][:, calendar] * rng.uniform(0.5, 1.5, c)[:, None]
    sigma = noise_of(level, noise)
    shocks = rng.standard_t(6, (c, n_months)) * np.sqrt(4 / 6)
    ar = np.empty((c, n_months))
    ar[:, 0] = shocks[:, 0]
    for m in range(1, n_months):
        ar[:, m] = 0.5 * ar[:, m - 1] + np.sqrt(0.75) * shocks[:, m]
    downturn = np.zeros(n_months)
    at = int(rng.integers(6, max(7, n_months - 12)))
    downturn[at : at + 4] = -np.array([0.15, 0.25, 0.15, 0.05])[: len(downturn[at : at + 4])]
    log_value = np.log(level)[:, None] + trend + curve + season + sigma[:, None] * ar + downturn
    opens = np.where(rng.random(c) < 0.08, rng.integers(1, max(2, n_months - 6), c), 0)
    closes = np.where(rng.random(c) < 0.04, rng.integers(opens + 6, n_months + 1), n_months)
    window = (t >= opens[:, None]) & (t < closes[:, None])
    p_zero = np.clip(0.25 * (3e4 / level) ** 0.5, 0, 0.6)
    active = window & (rng.random((c, n_months)) >= p_zero[:, None])
    return np.where(active, np.exp(log_value), 0.0)


def sanctions_regime(
    rng: np.random.Generator,
    fob: np.ndarray,
    exporter: np.ndarray,
    importer: np.ndarray,
    controlled: np.ndarray,
    codes: list[str],
    target: str,
    start: int,
) -> np.ndarray:
    """`fob` after a sanctions programme on `target` from month `start`: sanctioning countries' exports
    to it collapse (controlled goods to 2-15% of before, the rest to 30-80%), its exports to them
    shrink, friendly countries' exports to it grow. Unlabelled: the expected effect, not an anomaly."""
    out = fob.copy()
    t = codes.index(target)
    group = np.isin(codes, list(SANCTIONING))
    friendly = np.isin(codes, list(FRIENDLY))
    factor = np.ones(len(exporter))
    into = (importer == t) & group[exporter]
    factor[into] = np.where(
        controlled[into], rng.uniform(0.02, 0.15, into.sum()), rng.uniform(0.3, 0.8, into.sum())
    )
    back = (exporter == t) & group[importer]
    factor[back] = rng.uniform(0.4, 0.9, back.sum())
    more = (importer == t) & friendly[exporter]
    factor[more] = rng.uniform(1.0, 1.6, more.sum())
    ramp = np.minimum(1.0, (np.arange(fob.shape[1] - start) + 1) / 2.0)  # two months to bite
    out[:, start:] *= 1.0 + (factor[:, None] - 1.0) * ramp
    return out


def reports(
    rng: np.random.Generator,
    fob: np.ndarray,
    exporter: np.ndarray,
    importer: np.ndarray,
    hs: np.ndarray,
    catalogue: Catalogue,
    codes: list[str],
    *,
    weightless_share: float,
    silent: dict[int, int],
    late: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Both sides' reports of `fob` [C, M]: exporter FOB and importer CIF (freight by region pair),
    each with its own noise; some countries never report
    weights, some rows lack them; countries skip months, and `silent` {country: month} stop
    reporting from that month; `late` corridors' importers book a month after the exporter.
    Returns value, weight, present, each [2, C, M]."""
    c, n_months = fob.shape
    regions = np.array([r for _, _, r in COUNTRIES])
    far = regions[exporter] != regions[importer]
    cif = np.where(far, rng.uniform(1.04, 1.14, c), rng.uniform(1.01, 1.06, c))[:, None]
    booked = np.where(late[:, None], np.roll(fob, 1, axis=1), fob)
    booked[late, 0] = fob[late, 0]
    uv = catalogue.unit_value[hs] * rng.lognormal(0, 0.35, c)
    drift = np.exp(rng.normal(0.02, 0.03, c)[:, None] * np.arange(n_months) / 12)
    true_weight = fob / (uv[:, None] * drift * rng.lognormal(0, 0.06, fob.shape))
    value = np.stack(
        [fob * rng.lognormal(0, 0.03, fob.shape), booked * cif * rng.lognormal(0, 0.06, fob.shape)]
    )
    booked_weight = np.where(late[:, None], np.roll(true_weight, 1, axis=1), true_weight)
    booked_weight[late, 0] = true_weight[late, 0]  # the first month has no month before it to book
    weight = np.stack(
        [true_weight * rng.lognormal(0, 0.04, fob.shape), booked_weight * rng.lognormal(0, 0.07, fob.shape)]
    )
    reporter = np.stack([exporter, importer])
    skip_rate = rng.uniform(0.0, 0.04, len(codes))
    skips = rng.random((len(codes), n_months)) < skip_rate[:, None]
    never = rng.random(len(codes)) < 0.05  # a few countries publish nothing at all
    for country, month in silent.items():
        skips[country, month:] = True
    present = (np.stack([fob, booked]) > 0) & ~skips[reporter] & ~never[reporter][..., None]
    no_weights = rng.random(len(codes)) < weightless_share
    weight[no_weights[reporter]] = np.nan
    weight[rng.random(weight.shape) < 0.04] = np.nan
    return value, weight, present
