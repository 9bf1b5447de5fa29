"""Anomaly injection for the demo world: one function per kind, each returning a new panel and its events.

The panel holds both sides' reports of every corridor (exporter -> importer of one HS code) as
[side, corridor, month] arrays: side 0 is the exporter's X report, side 1 the importer's M report.
Every injector only touches corridors no earlier injector touched, so each labelled row carries
exactly one kind, and it only labels rows that are reported.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from itertools import takewhile

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


@dataclass
class _Draft:
    """An injector's work in progress: writable copies of the panel's value, weight and touched arrays, and
    the events injected so far (the prologue and epilogue every injector shares)."""

    panel: Panel
    n: int  # events wanted
    value: np.ndarray = field(init=False)
    weight: np.ndarray = field(init=False)
    touched: np.ndarray = field(init=False)
    events: list[Event] = field(init=False, default_factory=list)

    def __post_init__(self) -> None:
        self.value = self.panel.value.copy()
        self.weight = self.panel.weight.copy()
        self.touched = self.panel.touched.copy()

    @property
    def n_months(self) -> int:
        return self.panel.value.shape[2]

    def corridors(self, rng: np.random.Generator, min_present: int, cap: int | None = None) -> Iterator[int]:
        """Untouched corridors with at least `min_present` reported months on both sides, in random order
        (the first `cap` of them), until `n` events are injected."""
        order = _candidates(self.panel, rng, min_present)[:cap]
        return takewhile(lambda _: len(self.events) < self.n, order)

    def add(self, corridor: int, event: Event) -> None:
        """Record `event` on `corridor`, which no later injector touches again."""
        self.touched[corridor] = True
        self.events.append(event)

    def result(self) -> tuple[Panel, list[Event]]:
        """The edited panel and its events."""
        return replace(self.panel, value=self.value, weight=self.weight, touched=self.touched), self.events


def inject_spikes(panel: Panel, rng: np.random.Generator, n: int) -> tuple[Panel, list[Event]]:
    """One reported flow surges x3-x10 for one month (value and weight together), the other side does not."""
    draft = _Draft(panel, n)
    for c in draft.corridors(rng, 12, cap=n * 3):
        s = int(rng.integers(2))
        m = int(rng.choice(np.flatnonzero(panel.present[s, c])))
        factor = _log_uniform(rng, 3.0, 10.0)
        draft.value[s, c, m] *= factor
        draft.weight[s, c, m] *= factor
        draft.add(c, _event("spike", s, c, m))
    return draft.result()


def inject_unit_price(panel: Panel, rng: np.random.Generator, n: int) -> tuple[Panel, list[Event]]:
    """Over/under-invoicing: unit value x5 or x0.2 for 1-3 months, by changing value or weight but not both.

    Half the events change one side's declaration; the other half both sides (one invoice seen by both customs).
    """
    draft = _Draft(panel, n)
    for c in draft.corridors(rng, 12):
        sides = np.array([0, 1]) if rng.random() < 0.5 else np.array([rng.integers(2)])
        length = int(rng.integers(1, 4))
        m0 = int(rng.integers(0, draft.n_months - length + 1))
        window = np.arange(m0, m0 + length)
        rows = np.ix_(sides, [c], window)
        if not (panel.present[rows].all() and np.isfinite(panel.weight[rows]).all()):
            continue
        factor = (5.0 if rng.random() < 0.5 else 0.2) * float(rng.lognormal(0.0, 0.1))
        if rng.random() < 0.5:
            draft.value[rows] *= factor
        else:
            draft.weight[rows] /= factor
        grid_s, grid_m = np.meshgrid(sides, window, indexing="ij")
        draft.add(c, _event("unit_price", grid_s, c, grid_m))
    return draft.result()


def inject_mirror_under(panel: Panel, rng: np.random.Generator, n: int) -> tuple[Panel, list[Event]]:
    """The importer declares 30-70% less than the exporter reports for 3-8 consecutive months."""
    draft = _Draft(panel, n)
    for c in draft.corridors(rng, 12):
        length = int(rng.integers(3, 9))
        m0 = int(rng.integers(0, draft.n_months - length + 1))
        window = np.arange(m0, m0 + length)
        if not panel.present[1, c, window].all() or panel.present[0, c, window].sum() < length - 1:
            continue
        factor = 1.0 - rng.uniform(0.3, 0.7)
        draft.value[1, c, window] *= factor
        if rng.random() < 0.5:  # quantity under-declared too, not only the price
            draft.weight[1, c, window] *= factor
        draft.add(c, _event("mirror_under", np.ones(length), c, window))
    return draft.result()


def inject_level_shift(panel: Panel, rng: np.random.Generator, n: int) -> tuple[Panel, list[Event]]:
    """The trade steps up (or down) x2.5-x5 from one month to the series end; the first 3 months are labelled."""
    draft = _Draft(panel, n)
    for c in draft.corridors(rng, 18):
        k = int(rng.integers(12, draft.n_months - 3))
        first = panel.present[:, c, k : k + 3]
        if first.sum() < 3 or panel.present[:, c, :k].sum() < 12:
            continue
        factor = _log_uniform(rng, 2.5, 5.0)
        factor = 1.0 / factor if rng.random() < 0.35 else factor
        draft.value[:, c, k:] *= factor
        draft.weight[:, c, k:] *= factor
        s, m = np.nonzero(first)
        draft.add(c, _event("level_shift", s, c, m + k))
    return draft.result()


def inject_unit_errors(panel: Panel, rng: np.random.Generator, n: int) -> tuple[Panel, list[Event]]:
    """A units mistake in one reported row: value or weight x1000 (or /1000: tonnes for kg, thousands for USD)."""
    draft = _Draft(panel, n)
    for c in draft.corridors(rng, 6, cap=n * 3):
        s = int(rng.integers(2))
        m = int(rng.choice(np.flatnonzero(panel.present[s, c])))
        factor = 1000.0 if rng.random() < 0.7 else 0.001
        if rng.random() < 0.5 and np.isfinite(draft.weight[s, c, m]):
            draft.weight[s, c, m] *= factor
        else:
            draft.value[s, c, m] *= factor
        draft.add(c, _event("unit_error", s, c, m))
    return draft.result()


def _reference_level(panel: Panel, hs: int) -> float:
    """A typical monthly export value for one HS code (median over its reported exporter rows)."""
    rows = panel.present[0] & (panel.hs == hs)[:, None]
    values = panel.value[0][rows]
    return float(np.median(values if values.size else panel.value[0][panel.present[0]]))


@dataclass(frozen=True)
class _Roles:
    """Who can take part in a diversion scheme, as indices into the world's country and HS lists."""

    hubs: list[int]
    sources: np.ndarray  # big exporters of controlled goods
    p_source: np.ndarray  # a source's chance, by economic size
    controlled: np.ndarray  # controlled HS codes
    target: int  # the sanctioned country
    start: int  # first month under sanctions


def _diversion_roles(facts: WorldFacts, n_months: int) -> _Roles | None:
    """The hubs, sources and controlled codes of this world; None where no scheme fits (no sanctioned
    country, hub, source or controlled code, or fewer than 6 months under sanctions)."""
    index = {code: i for i, code in enumerate(facts.countries)}
    hubs = [index[c] for c in DIVERSION_HUBS if c in index]
    sources = np.array([index[c] for c in DIVERSION_SOURCES if c in index])
    controlled = np.flatnonzero(facts.hs_controlled)
    start = facts.sanction_month
    if start is None or n_months - start < 6 or SANCTIONED not in index:
        return None
    if not hubs or not sources.size or not controlled.size:
        return None
    p_source = facts.sizes[sources] / facts.sizes[sources].sum()
    return _Roles(hubs, sources, p_source, controlled, index[SANCTIONED], start)


@dataclass
class _DiversionPlan:
    """Diversion schemes being planned: existing corridors are grown in `draft`, corridors to open are
    listed in `new`, and each scheme keeps its legs."""

    draft: _Draft
    rng: np.random.Generator
    roles: _Roles
    corridor_of: dict[tuple[int, int, int], int]  # (exporter, importer, hs) -> corridor, or -k for new[k-1]
    # corridors to open: exporter, importer, hs, level, start, end, markup
    new: list[tuple[int, int, int, float, int, int, float]] = field(default_factory=list)
    # per scheme, its legs: ("old" | "new", corridor or index into `new`, first month, end month)
    schemes: list[list[Leg]] = field(default_factory=list)
    used: set[tuple[int, int]] = field(default_factory=set)  # (hub, hs) already in a scheme

    def _takeable(self, c: int, d: int) -> bool:
        """Whether existing corridor `c` is free of anomalies and reported at least 3 times before month d."""
        return c >= 0 and not self.draft.touched[c] and self.draft.panel.present[0, c, :d].sum() >= 3

    def leg(
        self, exporter: int, importer: int, hs: int, level: float, d: int, end: int, markup: float
    ) -> Grown:
        """Grow an existing corridor x3-x12 from month d, or open a new one; None if it already carries an anomaly."""
        c = self.corridor_of.get((exporter, importer, hs))
        if c is None:
            self.new.append((exporter, importer, hs, level, d, end, markup))
            self.corridor_of[(exporter, importer, hs)] = -len(self.new)
            return ("new", len(self.new) - 1, d, end), level
        if not self._takeable(c, d):
            return None
        panel = self.draft.panel
        base = float(np.median(panel.value[0, c, :d][panel.present[0, c, :d]]))
        surge = _log_uniform(self.rng, 3.0, 12.0)
        ramp = 1.0 + (surge - 1.0) * np.minimum(1.0, (np.arange(end - d) + 1) / 3.0)
        self.draft.value[:, c, d:end] *= ramp
        self.draft.weight[:, c, d:end] *= ramp
        self.draft.touched[c] = True
        return ("old", c, d, end), base * float(np.mean(ramp - 1.0))

    def _inflow(self, hub: int, hs: int, d: int, end: int) -> tuple[list[Leg], float]:
        """The legs from one or two source countries into the hub, and the monthly value they add."""
        rng = self.rng
        chosen = rng.choice(
            self.roles.sources, size=int(rng.integers(1, 3)), replace=False, p=self.roles.p_source
        )
        legs: list[Leg] = []
        inflow = 0.0
        for exporter in chosen:
            level = _reference_level(self.draft.panel, hs) * rng.uniform(0.3, 1.5)
            done = self.leg(int(exporter), hub, hs, level, d, end, 1.0)
            if done is not None:
                legs.append(done[0])
                inflow += done[1]
        return legs, inflow

    def attempt(self) -> None:
        """One try at a scheme: a hub and a controlled code, the inflow legs from the sources, then the
        onward leg to the sanctioned country; nothing is planned where a corridor it needs is taken."""
        rng, roles, n_months = self.rng, self.roles, self.draft.n_months
        hub, hs = int(rng.choice(roles.hubs)), int(rng.choice(roles.controlled))
        allow_existing = rng.random() < 0.2
        onward_key = (hub, roles.target, hs)
        if (hub, hs) in self.used or (onward_key in self.corridor_of and not allow_existing):
            return
        d = min(roles.start + int(rng.integers(0, 10)), n_months - 6)
        c_onward = self.corridor_of.get(onward_key)
        if c_onward is not None and not self._takeable(c_onward, d):
            return  # checked first, so that a scheme never leaves an unlabelled surge behind
        end = n_months if rng.random() < 0.6 else min(n_months, d + int(rng.integers(12, 31)))
        legs, inflow = self._inflow(hub, hs, d, end)
        if not legs:
            return
        markup = rng.uniform(1.05, 1.3)
        level = inflow * rng.uniform(0.5, 0.9) * markup
        onward = self.leg(hub, roles.target, hs, level, min(d + 1, end - 1), end, markup)
        if onward is None:  # cannot happen: the onward corridor was checked above
            raise RuntimeError("demo world: diversion onward corridor already taken")
        self.used.add((hub, hs))
        self.schemes.append([*legs, onward[0]])


def _with_new_corridors(
    panel: Panel,
    new: list[tuple[int, int, int, float, int, int, float]],
    facts: WorldFacts,
    rng: np.random.Generator,
) -> Panel:
    """`panel` with the `new` corridors appended (all touched): their series and both sides' reports are
    drawn like every other corridor's."""
    if not new:
        return panel
    exporter, importer, hs, level, start, end, markup = (np.array(col) for col in zip(*new, strict=True))
    fob = facts.series(rng, level.astype(float), start.astype(np.int64), end.astype(np.int64))
    value, weight, present = facts.report(
        rng, exporter.astype(np.int64), importer.astype(np.int64), hs.astype(np.int64), fob, markup
    )
    return Panel(
        exporter=np.concatenate([panel.exporter, exporter]),
        importer=np.concatenate([panel.importer, importer]),
        hs=np.concatenate([panel.hs, hs]),
        value=np.concatenate([panel.value, value], axis=1),
        weight=np.concatenate([panel.weight, weight], axis=1),
        present=np.concatenate([panel.present, present], axis=1),
        touched=np.concatenate([panel.touched, np.ones(len(new), dtype=bool)]),
    )


def _diversion_events(grown: Panel, schemes: list[list[Leg]], offset: int) -> list[Event]:
    """One event per scheme, labelling every reported row of its legs from each leg's first month
    (new corridors sit from `offset` on)."""
    events: list[Event] = []
    for legs in schemes:
        parts = []
        for status, c, d, end in legs:
            corridor = c if status == "old" else offset + c
            s, m = np.nonzero(grown.present[:, corridor, d:end])
            parts.append((s, np.full(s.size, corridor), m + d))
        s, c, m = (np.concatenate(col) for col in zip(*parts, strict=True))
        if s.size:
            events.append(_event("diversion", s, c, m))
    return events


def inject_diversion(
    panel: Panel, rng: np.random.Generator, n: int, facts: WorldFacts
) -> tuple[Panel, list[Event]]:
    """Controlled goods re-routed to the sanctioned country through third countries after sanctions begin.

    Big exporters' shipments of a controlled HS code to a hub country surge (or start), and the hub
    re-exports the same code to the sanctioned country, mostly on a corridor that did not exist before.
    Labels cover every reported row of both legs from the scheme's start.
    """
    roles = _diversion_roles(facts, panel.value.shape[2])
    if roles is None:
        return panel, []
    corridor_of = {key: c for c, key in enumerate(zip(panel.exporter, panel.importer, panel.hs, strict=True))}
    plan = _DiversionPlan(_Draft(panel, n), rng, roles, corridor_of)
    for _ in range(n * 10):
        if len(plan.schemes) == n:
            break
        plan.attempt()
    grown = _with_new_corridors(plan.draft.result()[0], plan.new, facts, rng)
    return grown, _diversion_events(grown, plan.schemes, panel.exporter.size)
