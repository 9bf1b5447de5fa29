"""Diversion in the independent worlds: controlled goods reach a sanctioned destination through a
chain of 1 to 3 third countries, each hop with its own lag, after the programme began.

Unlike the demo (a hub with 1-2 sources and one onward corridor), a scheme here is a chain
origin -> hub1 [-> hub2 [-> hub3]] -> destination: each leg adds the diverted goods on top of the
corridor's own trade (or opens the corridor), 0-2 months after the leg before it, passing on
70-95% of the value at a 5-30% markup; the diverted value is a multiple of the largest existing
leg's own level, so every leg grows visibly; hubs are drawn from a wide set of third countries, not
only the usual ones. Every reported row of every leg from its start is labelled `diversion`.
"""

from __future__ import annotations

from itertools import pairwise

import numpy as np

from benchmarks.worlds.catalogue import COUNTRIES, SANCTIONING, Catalogue
from benchmarks.worlds.inject import Event, magnitude, scaled
from benchmarks.worlds.panel import Panel

HUBS = ("ARE", "TUR", "KAZ", "ARM", "KGZ", "GEO", "UZB", "AZE", "MNG", "OMN", "SRB", "HKG", "MYS", "THA")
"""Third countries a chain may pass through (wider than any list a detector ships)."""


def _leg_values(
    rng: np.random.Generator, level: float, start: int, end: int, n_periods: int, per_year: int
) -> np.ndarray:
    """The diverted FOB value per period of one leg: ramps up over 3 months, noisy, 0 outside."""
    out = np.zeros(n_periods)
    t = np.arange(end - start)
    ramp = np.minimum(1.0, (t + 1) / (3.0 if per_year == 12 else 1.0))
    out[start:end] = level * ramp * rng.lognormal(0, 0.25, end - start)
    return out


def _add_leg(
    panel: Panel,
    rng: np.random.Generator,
    exporter: int,
    importer: int,
    hs: int,
    fob: np.ndarray,
    uv: float,
    silent: dict[int, int],
) -> int:
    """Add `fob` (diverted value per period) to the corridor exporter -> importer of `hs`, opening it
    if it does not exist; both sides report it (unless the reporter is silent then). Its index."""
    found = np.flatnonzero((panel.exporter == exporter) & (panel.importer == importer) & (panel.hs == hs))
    n_periods = len(fob)
    weight = fob / (uv * rng.lognormal(0, 0.05, n_periods))
    cif = rng.uniform(1.02, 1.12)
    added_value = np.stack([fob, fob * cif])
    added_weight = np.stack([weight, weight])
    traded = fob > 0
    reporting = np.ones((2, n_periods), dtype=bool)
    for side, country in ((0, exporter), (1, importer)):
        if country in silent:
            reporting[side, silent[country] :] = False
    if found.size:
        c = int(found[0])
        panel.value[:, c] += added_value
        panel.weight[:, c] = np.where(
            np.isfinite(panel.weight[:, c]), panel.weight[:, c] + added_weight, panel.weight[:, c]
        )
        panel.present[:, c] |= traded & reporting
        panel.touched[c] = True
        return c
    panel.exporter = np.append(panel.exporter, exporter)
    panel.importer = np.append(panel.importer, importer)
    panel.hs = np.append(panel.hs, hs)
    panel.level = np.append(panel.level, float(fob[traded].mean()) if traded.any() else 0.0)
    panel.value = np.concatenate([panel.value, added_value[:, None]], axis=1)
    panel.weight = np.concatenate([panel.weight, added_weight[:, None]], axis=1)
    panel.present = np.concatenate([panel.present, (traded & reporting)[:, None]], axis=1)
    panel.touched = np.append(panel.touched, True)
    return len(panel.exporter) - 1


def diversion(
    panel: Panel,
    rng: np.random.Generator,
    n: int,
    difficulty: float,
    per_year: int,
    *,
    catalogue: Catalogue,
    target: str,
    start: int,
    silent: dict[int, int],
) -> list[Event]:
    """`n` chains into `target` starting after period `start` (see the module docstring)."""
    codes = panel.codes
    t = codes.index(target)
    hubs = np.array([codes.index(h) for h in HUBS if h in codes and h != target])
    sizes = np.array([s for _, s, _ in COUNTRIES])
    origins = np.array([i for i, c in enumerate(codes) if c in SANCTIONING])
    p_origin = sizes[origins] / sizes[origins].sum()
    controlled = np.flatnonzero(catalogue.controlled)
    n_periods = panel.value.shape[2]
    if n_periods - start < (6 if per_year == 12 else 2):
        return []
    typical = np.median(panel.level)
    index = {
        key: c
        for c, key in enumerate(
            zip(panel.exporter.tolist(), panel.importer.tolist(), panel.hs.tolist(), strict=True)
        )
    }
    events: list[Event] = []
    for _ in range(n):
        hs = int(rng.choice(controlled)) if rng.random() < 0.8 else int(rng.integers(len(catalogue.codes)))
        hops = int(rng.choice([1, 2, 3], p=[0.5, 0.3, 0.2]))
        chain = [int(rng.choice(origins, p=p_origin)), *rng.choice(hubs, hops, replace=False).tolist(), t]
        begin = start + int(rng.integers(0, 10 if per_year == 12 else 2))
        begin = min(begin, n_periods - (4 if per_year == 12 else 1))
        end = (
            n_periods
            if rng.random() < 0.6
            else min(n_periods, begin + int(rng.integers(12, 31)) // (12 // per_year))
        )
        legs = [index.get((a, b, hs)) for a, b in pairwise(chain)]
        existing = [c for c in legs if c is not None]
        base = max([typical, *(panel.level[c] for c in existing)])
        noise = max([0.15, *(panel.noise[c] for c in existing)])
        level = (
            base
            * (scaled(1 + magnitude(rng, difficulty, (3.0, 10.0), (0.6, 1.5)), noise) - 1)
            * (12 // per_year)
        )
        uv = catalogue.unit_value[hs] * rng.uniform(1.0, 1.5)
        parts = []
        for hop, (a, b) in enumerate(pairwise(chain)):
            lag = 0 if per_year == 1 or hop == 0 else int(rng.integers(0, 3))
            begin = min(begin + lag, n_periods - 1)
            fob = _leg_values(rng, level, begin, end, n_periods, per_year)
            c = _add_leg(panel, rng, a, b, hs, fob, uv, silent)
            s, p = np.nonzero(panel.present[:, c, begin:end] & (fob[begin:end] > 0))
            parts.append((s, np.full(s.size, c), p + begin))
            level *= rng.uniform(0.7, 0.95) * rng.uniform(1.05, 1.3)
            uv *= rng.uniform(1.05, 1.3)
        s, c, p = (np.concatenate(x) for x in zip(*parts, strict=True))
        if s.size:
            events.append(Event("diversion", s, c, p))
    return events
