"""Labelled anomalies for the independent worlds, one function per kind (diversion: `chains.py`).

Mechanics deliberately unlike the demo's (`pipeline/demo_anomalies.py`, no code shared): level
shifts are multiplicative, additive or gradual ramps and end after 3 to 12 months; spikes hit the
true trade (both sides) or one report; price manipulation changes the invoice both sides declare;
unit errors are x1000 or x0.001 of the value or the weight. `difficulty` in [0, 1] shrinks every
magnitude (0: obvious, 1: near the noise), and magnitudes are stretched for noisy series (`scaled`),
so difficulty means the same margin over a series' own noise everywhere. Periods are months, or years in an annual world
(`per_year` 1): durations are converted. Every injector edits the panel in place, uses only
corridors no injector touched, and labels only reported rows.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from benchmarks.worlds.panel import Panel


@dataclass(frozen=True)
class Event:
    """One injected anomaly: its kind and the (side, corridor, period) rows it labels."""

    kind: str
    side: np.ndarray
    corridor: np.ndarray
    period: np.ndarray


def magnitude(
    rng: np.random.Generator, difficulty: float, easy: tuple[float, float], hard: tuple[float, float]
) -> float:
    """A log-uniform factor between the `easy` range (difficulty 0) and the `hard` range (difficulty 1)."""
    lo = np.exp(np.interp(difficulty, [0, 1], np.log([easy[0], hard[0]])))
    hi = np.exp(np.interp(difficulty, [0, 1], np.log([easy[1], hard[1]])))
    return float(np.exp(rng.uniform(np.log(lo), np.log(hi))))


def scaled(factor: float, noise: float, reference: float = 0.15) -> float:
    """`factor` stretched for a series noisier than `reference` (log units): its log times
    noise / reference, so an anomaly stands out of its own series' noise by a similar margin."""
    return float(np.exp(np.log(factor) * max(1.0, noise / reference)))


def periods(per_year: int, months: tuple[int, int]) -> tuple[int, int]:
    """A duration range in months as a range of periods (at least one year in an annual world)."""
    if per_year == 12:
        return months
    return max(1, round(months[0] / 12)), max(1, round(months[1] / 12)) + 1


def candidates(panel: Panel, rng: np.random.Generator, min_present: int, both: bool = True) -> np.ndarray:
    """Untouched corridors with at least `min_present` reported periods (on both sides), shuffled."""
    counts = panel.present.sum(axis=2)
    enough = counts.min(axis=0) if both else counts.max(axis=0)
    return rng.permutation(np.flatnonzero(~panel.touched & (enough >= min_present)))


def _label(kind: str, panel: Panel, sides: np.ndarray, c: int, window: np.ndarray) -> Event:
    s, p = np.meshgrid(sides, window, indexing="ij")
    keep = panel.present[s, c, p]
    return Event(kind, s[keep].ravel(), np.full(int(keep.sum()), c), p[keep].ravel())


def level_shifts(
    panel: Panel, rng: np.random.Generator, n: int, difficulty: float, per_year: int
) -> list[Event]:
    """The true trade departs for 3-12 months (1-2 years annually) and comes back: x f or / f
    (multiplicative), + a multiple of its median (additive), or a ramp up to x f over 2-4 periods."""
    n_periods = panel.value.shape[2]
    history = 12 if per_year == 12 else 3
    low, high = periods(per_year, (3, 12))
    events: list[Event] = []
    for c in candidates(panel, rng, 2 * history):
        if len(events) == n:
            break
        hold = int(rng.integers(low, high + 1))
        if n_periods - hold <= history:
            continue
        t0 = int(rng.integers(history, n_periods - hold + 1))
        window = np.arange(t0, t0 + hold)
        if panel.present[:, c, window].sum() < max(2, hold):
            continue
        mode = rng.choice(["multiplicative", "additive", "ramp"], p=[0.45, 0.3, 0.25])
        before = panel.value[0, c, :t0][panel.present[0, c, :t0]]
        if mode == "additive" and before.size:
            bump = scaled(1 + magnitude(rng, difficulty, (2.5, 5.0), (0.8, 1.6)), panel.noise[c]) - 1
            factor = 1.0 + bump * float(np.median(before)) / np.maximum(panel.value[0, c, window], 1e-9)
        else:
            f = scaled(magnitude(rng, difficulty, (3.0, 6.0), (1.5, 2.2)), panel.noise[c])
            factor = np.full(hold, f if rng.random() < 0.65 else 1.0 / f)
            if mode == "ramp":
                steps = min(hold, int(rng.integers(2, 5)))
                factor[:steps] = np.exp(np.log(factor[:steps]) * (np.arange(1, steps + 1) / steps))
        panel.value[:, c, window] *= factor
        panel.weight[:, c, window] *= factor
        panel.touched[c] = True
        events.append(_label("level_shift", panel, np.array([0, 1]), c, window))
    return events


def spikes(panel: Panel, rng: np.random.Generator, n: int, difficulty: float, per_year: int) -> list[Event]:
    """One period (sometimes two) x3-x8 (/ in a fifth of cases): in the true trade, so both sides
    see it, or in one side's report only (a booking error)."""
    events: list[Event] = []
    n_periods = panel.value.shape[2]
    for c in candidates(panel, rng, 6 if per_year == 12 else 4):
        if len(events) == n:
            break
        length = 2 if rng.random() < 0.2 and per_year == 12 else 1
        t0 = int(rng.integers(1, n_periods - length + 1))
        window = np.arange(t0, t0 + length)
        sides = np.array([0, 1]) if rng.random() < 0.6 else np.array([int(rng.integers(2))])
        if not panel.present[np.ix_(sides, [c], window)].all():
            continue
        f = scaled(magnitude(rng, difficulty, (4.0, 10.0), (2.0, 3.0)), panel.noise[c])
        f = f if rng.random() < 0.8 else 1.0 / f
        rows = np.ix_(sides, [c], window)
        panel.value[rows] *= f
        if rng.random() < 0.7:
            panel.weight[rows] *= f
        panel.touched[c] = True
        events.append(_label("spike", panel, sides, c, window))
    return events


def price_manipulation(
    panel: Panel, rng: np.random.Generator, n: int, difficulty: float, per_year: int
) -> list[Event]:
    """Mis-invoicing both sides declare (one invoice): for 1-6 periods the value moves x f or / f while
    the goods (weight) stay, or the declared weight moves while the value stays; the mirror gap
    stays normal, only the unit price tells."""
    events: list[Event] = []
    n_periods = panel.value.shape[2]
    low, high = periods(per_year, (1, 6))
    for c in candidates(panel, rng, 6 if per_year == 12 else 4):
        if len(events) == n:
            break
        length = int(rng.integers(low, high + 1))
        t0 = int(rng.integers(0, n_periods - length + 1))
        window = np.arange(t0, t0 + length)
        rows = np.ix_([0, 1], [c], window)
        if not panel.present[rows].all() or not np.isfinite(panel.weight[rows]).any():
            continue
        f = magnitude(rng, difficulty, (3.0, 6.0), (1.6, 2.4))
        f = f if rng.random() < 0.5 else 1.0 / f
        if rng.random() < 0.6:
            panel.value[rows] *= f
        else:
            panel.weight[rows] /= f
        panel.touched[c] = True
        events.append(_label("unit_price", panel, np.array([0, 1]), c, window))
    return events


def mirror_under(
    panel: Panel, rng: np.random.Generator, n: int, difficulty: float, per_year: int
) -> list[Event]:
    """The importer declares 25-60% less (10-30% when hard) than the exporter ships for 2-9
    periods (1-2 years), the quantity too in half the cases."""
    events: list[Event] = []
    n_periods = panel.value.shape[2]
    low, high = periods(per_year, (2, 9))
    for c in candidates(panel, rng, 6 if per_year == 12 else 4):
        if len(events) == n:
            break
        length = int(rng.integers(low, high + 1))
        t0 = int(rng.integers(0, n_periods - length + 1))
        window = np.arange(t0, t0 + length)
        if not (panel.present[1, c, window].all() and panel.present[0, c, window].all()):
            continue
        noise = panel.noise[c] if panel.late[c] else 0.07  # a late booker's gap moves with its series
        cut = min(0.9, 1.0 - 1.0 / scaled(magnitude(rng, difficulty, (1.6, 2.5), (1.15, 1.4)), noise, 0.07))
        panel.value[1, c, window] *= 1.0 - cut
        if rng.random() < 0.5:
            panel.weight[1, c, window] *= 1.0 - cut
        panel.touched[c] = True
        events.append(_label("mirror_under", panel, np.array([1]), c, window))
    return events


def unit_errors(
    panel: Panel, rng: np.random.Generator, n: int, difficulty: float, per_year: int
) -> list[Event]:
    """One reported row's value or weight x1000 or x0.001 (tonnes or thousands taken for units)."""
    events: list[Event] = []
    for c in candidates(panel, rng, 3, both=False):
        if len(events) == n:
            break
        side = int(rng.integers(2))
        reported = np.flatnonzero(panel.present[side, c])
        if reported.size == 0:
            continue
        t = int(rng.choice(reported))
        factor = 1000.0 if rng.random() < 0.6 else 0.001
        if np.isfinite(panel.weight[side, c, t]) and rng.random() < 0.4:
            panel.weight[side, c, t] *= factor
        else:
            panel.value[side, c, t] *= factor
        panel.touched[c] = True
        events.append(Event("unit_error", np.array([side]), np.array([c]), np.array([t])))
    return events
