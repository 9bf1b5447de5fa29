"""Anomaly injection for the demo world: one function per kind, each returning a new panel and its events.

The panel holds both sides' reports of every corridor (exporter -> importer of one HS code) as
[side, corridor, month] arrays: side 0 is the exporter's X report, side 1 the importer's M report.
Every injector only touches corridors no earlier injector touched, so each labelled row carries
exactly one kind, and it only labels rows that are reported.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace

import numpy as np

KINDS = ("diversion", "spike", "unit_price", "mirror_under", "level_shift", "unit_error")
DIVERSION_SOURCES = ("DEU", "USA", "JPN", "KOR", "CHN")
DIVERSION_HUBS = ("KAZ", "KGZ", "ARM", "GEO", "UZB", "ARE", "TUR")
SANCTIONED = "RUS"
Leg = tuple[str, int, int, int]
Grown = tuple[Leg, float] | None
"""A diversion leg and the monthly value it adds (None where the corridor already carries an anomaly)."""

Series = Callable[[np.random.Generator, np.ndarray, np.ndarray, np.ndarray], np.ndarray]
"""(rng, level[k], start[k], end[k]) -> true FOB value [k, months], 0 where there is no trade."""
Report = Callable[
    [np.random.Generator, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray],
    tuple[np.ndarray, np.ndarray, np.ndarray],
]
"""(rng, exporter, importer, hs, fob[k, months], markup[k]) -> value, weight, present, each [2, k, months]."""


@dataclass(frozen=True)
class Panel:
    """Both sides' reports of every corridor and month; `touched` marks corridors carrying an anomaly."""

    exporter: np.ndarray  # int [C], index into the country list
    importer: np.ndarray  # int [C]
    hs: np.ndarray  # int [C], index into the HS list
    value: np.ndarray  # float [2, C, M], USD
    weight: np.ndarray  # float [2, C, M], kg, NaN where not reported
    present: np.ndarray  # bool [2, C, M], the row is in the flows table
    touched: np.ndarray  # bool [C]


@dataclass(frozen=True)
class Event:
    """One injected anomaly and the (side, corridor, month) rows it labels."""

    kind: str
    side: np.ndarray
    corridor: np.ndarray
    month: np.ndarray


@dataclass(frozen=True)
class WorldFacts:
    """What the diversion injector needs to know about the world, and how to add trade that fits in."""

    countries: tuple[str, ...]
    sizes: np.ndarray  # relative economic size per country
    hs_controlled: np.ndarray  # bool [H]
    sanction_month: int | None  # first month index under the sanctions programme, None if out of range
    series: Series
    report: Report


def _event(kind: str, side: object, corridor: object, month: object) -> Event:
    """An event from array-likes broadcast against each other (a scalar corridor is repeated), as flat ints."""
    side_a, corridor_a, month_a = (
        np.array(a, dtype=np.int64).ravel() for a in np.broadcast_arrays(side, corridor, month)
    )
    return Event(kind, side_a, corridor_a, month_a)


def _candidates(panel: Panel, rng: np.random.Generator, min_present: int) -> np.ndarray:
    """Untouched corridors with at least `min_present` reported months on both sides, in random order."""
    counts = panel.present.sum(axis=2).min(axis=0)
    return rng.permutation(np.flatnonzero(~panel.touched & (counts >= min_present)))


def _log_uniform(rng: np.random.Generator, low: float, high: float) -> float:
    return float(np.exp(rng.uniform(np.log(low), np.log(high))))


def inject_spikes(panel: Panel, rng: np.random.Generator, n: int) -> tuple[Panel, list[Event]]:
    """One reported flow surges x3-x10 for one month (value and weight together), the other side does not."""
    value, weight, touched = panel.value.copy(), panel.weight.copy(), panel.touched.copy()
    events: list[Event] = []
    for c in _candidates(panel, rng, 12)[: n * 3]:
        if len(events) == n:
            break
        s = int(rng.integers(2))
        m = int(rng.choice(np.flatnonzero(panel.present[s, c])))
        factor = _log_uniform(rng, 3.0, 10.0)
        value[s, c, m] *= factor
        weight[s, c, m] *= factor
        touched[c] = True
        events.append(_event("spike", s, c, m))
    return replace(panel, value=value, weight=weight, touched=touched), events


def inject_unit_price(panel: Panel, rng: np.random.Generator, n: int) -> tuple[Panel, list[Event]]:
    """Over/under-invoicing: unit value x5 or x0.2 for 1-3 months, by changing value or weight but not both.

    Half the events change one side's declaration; the other half both sides (one invoice seen by both customs).
    """
    value, weight, touched = panel.value.copy(), panel.weight.copy(), panel.touched.copy()
    n_months = panel.value.shape[2]
    events: list[Event] = []
    for c in _candidates(panel, rng, 12):
        if len(events) == n:
            break
        sides = np.array([0, 1]) if rng.random() < 0.5 else np.array([rng.integers(2)])
        length = int(rng.integers(1, 4))
        m0 = int(rng.integers(0, n_months - length + 1))
        window = np.arange(m0, m0 + length)
        rows = np.ix_(sides, [c], window)
        if not (panel.present[rows].all() and np.isfinite(panel.weight[rows]).all()):
            continue
        factor = (5.0 if rng.random() < 0.5 else 0.2) * float(rng.lognormal(0.0, 0.1))
        if rng.random() < 0.5:
            value[rows] *= factor
        else:
            weight[rows] /= factor
        touched[c] = True
        grid_s, grid_m = np.meshgrid(sides, window, indexing="ij")
        events.append(_event("unit_price", grid_s, c, grid_m))
    return replace(panel, value=value, weight=weight, touched=touched), events


def inject_mirror_under(panel: Panel, rng: np.random.Generator, n: int) -> tuple[Panel, list[Event]]:
    """The importer declares 30-70% less than the exporter reports for 3-8 consecutive months."""
    value, weight, touched = panel.value.copy(), panel.weight.copy(), panel.touched.copy()
    n_months = panel.value.shape[2]
    events: list[Event] = []
    for c in _candidates(panel, rng, 12):
        if len(events) == n:
            break
        length = int(rng.integers(3, 9))
        m0 = int(rng.integers(0, n_months - length + 1))
        window = np.arange(m0, m0 + length)
        if not panel.present[1, c, window].all() or panel.present[0, c, window].sum() < length - 1:
            continue
        factor = 1.0 - rng.uniform(0.3, 0.7)
        value[1, c, window] *= factor
        if rng.random() < 0.5:  # quantity under-declared too, not only the price
            weight[1, c, window] *= factor
        touched[c] = True
        events.append(_event("mirror_under", np.ones(length), c, window))
    return replace(panel, value=value, weight=weight, touched=touched), events


def inject_level_shift(panel: Panel, rng: np.random.Generator, n: int) -> tuple[Panel, list[Event]]:
    """The trade steps up (or down) x2.5-x5 from one month to the series end; the first 3 months are labelled."""
    value, weight, touched = panel.value.copy(), panel.weight.copy(), panel.touched.copy()
    n_months = panel.value.shape[2]
    events: list[Event] = []
    for c in _candidates(panel, rng, 18):
        if len(events) == n:
            break
        k = int(rng.integers(12, n_months - 3))
        first = panel.present[:, c, k : k + 3]
        if first.sum() < 3 or panel.present[:, c, :k].sum() < 12:
            continue
        factor = _log_uniform(rng, 2.5, 5.0)
        factor = 1.0 / factor if rng.random() < 0.35 else factor
        value[:, c, k:] *= factor
        weight[:, c, k:] *= factor
        touched[c] = True
        s, m = np.nonzero(first)
        events.append(_event("level_shift", s, c, m + k))
    return replace(panel, value=value, weight=weight, touched=touched), events


def inject_unit_errors(panel: Panel, rng: np.random.Generator, n: int) -> tuple[Panel, list[Event]]:
    """A units mistake in one reported row: value or weight x1000 (or /1000: tonnes for kg, thousands for USD)."""
    value, weight, touched = panel.value.copy(), panel.weight.copy(), panel.touched.copy()
    events: list[Event] = []
    for c in _candidates(panel, rng, 6)[: n * 3]:
        if len(events) == n:
            break
        s = int(rng.integers(2))
        m = int(rng.choice(np.flatnonzero(panel.present[s, c])))
        factor = 1000.0 if rng.random() < 0.7 else 0.001
        if rng.random() < 0.5 and np.isfinite(weight[s, c, m]):
            weight[s, c, m] *= factor
        else:
            value[s, c, m] *= factor
        touched[c] = True
        events.append(_event("unit_error", s, c, m))
    return replace(panel, value=value, weight=weight, touched=touched), events


def _reference_level(panel: Panel, hs: int) -> float:
    """A typical monthly export value for one HS code (median over its reported exporter rows)."""
    rows = panel.present[0] & (panel.hs == hs)[:, None]
    values = panel.value[0][rows]
    return float(np.median(values if values.size else panel.value[0][panel.present[0]]))


def inject_diversion(
    panel: Panel, rng: np.random.Generator, n: int, facts: WorldFacts
) -> tuple[Panel, list[Event]]:
    """Controlled goods re-routed to the sanctioned country through third countries after sanctions begin.

    Big exporters' shipments of a controlled HS code to a hub country surge (or start), and the hub
    re-exports the same code to the sanctioned country, mostly on a corridor that did not exist before.
    Labels cover every reported row of both legs from the scheme's start.
    """
    index = {code: i for i, code in enumerate(facts.countries)}
    hubs = [index[c] for c in DIVERSION_HUBS if c in index]
    sources = np.array([index[c] for c in DIVERSION_SOURCES if c in index])
    controlled = np.flatnonzero(facts.hs_controlled)
    n_months = panel.value.shape[2]
    start = facts.sanction_month
    if start is None or n_months - start < 6 or SANCTIONED not in index or not hubs or not sources.size:
        return panel, []
    if not controlled.size:
        return panel, []
    target = index[SANCTIONED]
    corridor_of = {key: c for c, key in enumerate(zip(panel.exporter, panel.importer, panel.hs))}
    value, weight, touched = panel.value.copy(), panel.weight.copy(), panel.touched.copy()
    # corridors to open: exporter, importer, hs, level, start, end, markup
    new: list[tuple[int, int, int, float, int, int, float]] = []
    # per scheme, its legs: ("old" | "new", corridor or index into `new`, first month, end month)
    plans: list[list[Leg]] = []
    used: set[tuple[int, int]] = set()
    p_source = facts.sizes[sources] / facts.sizes[sources].sum()

    def leg(exporter: int, importer: int, hs: int, level: float, d: int, end: int, markup: float) -> Grown:
        """Grow an existing corridor x3-x12 from month d, or open a new one; None if it already carries an anomaly."""
        c = corridor_of.get((exporter, importer, hs))
        if c is None:
            new.append((exporter, importer, hs, level, d, end, markup))
            corridor_of[(exporter, importer, hs)] = -len(new)
            return ("new", len(new) - 1, d, end), level
        if c < 0 or touched[c] or panel.present[0, c, :d].sum() < 3:
            return None
        base = float(np.median(panel.value[0, c, :d][panel.present[0, c, :d]]))
        surge = _log_uniform(rng, 3.0, 12.0)
        ramp = 1.0 + (surge - 1.0) * np.minimum(1.0, (np.arange(end - d) + 1) / 3.0)
        value[:, c, d:end] *= ramp
        weight[:, c, d:end] *= ramp
        touched[c] = True
        return ("old", c, d, end), base * float(np.mean(ramp - 1.0))

    for _ in range(n * 10):
        if len(plans) == n:
            break
        hub, hs = int(rng.choice(hubs)), int(rng.choice(controlled))
        allow_existing = rng.random() < 0.2
        if (hub, hs) in used or ((hub, target, hs) in corridor_of and not allow_existing):
            continue
        d = min(start + int(rng.integers(0, 10)), n_months - 6)
        c_onward = corridor_of.get((hub, target, hs))
        if c_onward is not None and (
            c_onward < 0 or touched[c_onward] or panel.present[0, c_onward, :d].sum() < 3
        ):
            continue  # checked first, so that a scheme never leaves an unlabelled surge behind
        end = n_months if rng.random() < 0.6 else min(n_months, d + int(rng.integers(12, 31)))
        chosen = rng.choice(sources, size=int(rng.integers(1, 3)), replace=False, p=p_source)
        plan, inflow = [], 0.0
        for exporter in chosen:
            level = _reference_level(panel, hs) * rng.uniform(0.3, 1.5)
            done = leg(int(exporter), hub, hs, level, d, end, 1.0)
            if done is not None:
                plan.append(done[0])
                inflow += done[1]
        if not plan:
            continue
        markup = rng.uniform(1.05, 1.3)
        onward = leg(
            hub, target, hs, inflow * rng.uniform(0.5, 0.9) * markup, min(d + 1, end - 1), end, markup
        )
        if onward is None:  # cannot happen: the onward corridor was checked above
            raise RuntimeError("demo world: diversion onward corridor already taken")
        used.add((hub, hs))
        plans.append([*plan, onward[0]])

    grown = replace(panel, value=value, weight=weight, touched=touched)
    if new:
        exp_, imp_, hs_, level, st, en, mk = (np.array(col) for col in zip(*new))
        fob = facts.series(rng, level.astype(float), st.astype(np.int64), en.astype(np.int64))
        v, w, p = facts.report(
            rng, exp_.astype(np.int64), imp_.astype(np.int64), hs_.astype(np.int64), fob, mk
        )
        grown = Panel(
            exporter=np.concatenate([panel.exporter, exp_]),
            importer=np.concatenate([panel.importer, imp_]),
            hs=np.concatenate([panel.hs, hs_]),
            value=np.concatenate([value, v], axis=1),
            weight=np.concatenate([weight, w], axis=1),
            present=np.concatenate([panel.present, p], axis=1),
            touched=np.concatenate([touched, np.ones(len(new), dtype=bool)]),
        )
    events: list[Event] = []
    offset = panel.exporter.size
    for plan in plans:
        parts = []
        for status, c, d, end in plan:
            c = c if status == "old" else offset + c
            s, m = np.nonzero(grown.present[:, c, d:end])
            parts.append((s, np.full(s.size, c), m + d))
        s, c, m = (np.concatenate(col) for col in zip(*parts))
        if s.size:
            events.append(_event("diversion", s, c, m))
    return grown, events
