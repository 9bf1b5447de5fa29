"""The one anomaly-kind taxonomy: what a reason points at (`Signal`) and the kind of a whole flow.

Every detector's reason carries a `Signal`; the API, the UI, the evidence index and the assistant
all name a flow's kind with `classify` (one rule, in Python for a few rows and as a polars
expression for a whole table), so the same flow never gets two kinds. The demo's label kinds and
the API's older filter values map onto the same members here, so nothing parses display text.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from enum import StrEnum
from typing import Any

import polars as pl

from tradesentinel.errors import InvalidArgumentError


class Signal(StrEnum):
    """What a reason points at; the values are what the tables, the API and the index store."""

    LEVEL_SHIFT = "level_shift"
    SPIKE = "spike"
    PEER_OUTLIER = "peer_outlier"
    UNIT_PRICE = "unit_price"
    MIRROR_GAP = "mirror_gap"
    UNIT_ERROR = "unit_error"
    NEW_CORRIDOR = "new_corridor"
    SANCTIONS_EXPOSURE = "sanctions_exposure"
    DIVERSION = "diversion"
    MODEL_RESIDUAL = "model_residual"
    MULTIVARIATE_OUTLIER = "multivariate_outlier"
    CONTEXT = "context"


DESCRIPTIONS: dict[Signal, str] = {
    Signal.LEVEL_SHIFT: "sustained departure from its own level",
    Signal.SPIKE: "value jump vs its own history",
    Signal.PEER_OUTLIER: "value far from its HS-month peers",
    Signal.UNIT_PRICE: "unusual unit price",
    Signal.MIRROR_GAP: "mirror gap: the partner reports a different value",
    Signal.UNIT_ERROR: "likely units mistake (x1000 or /1000)",
    Signal.NEW_CORRIDOR: "sanctions exposure on a corridor opened for it",
    Signal.SANCTIONS_EXPOSURE: "sanctions exposure",
    Signal.DIVERSION: "diversion through a third country",
    Signal.MODEL_RESIDUAL: "value far from what a model of its context expects",
    Signal.MULTIVARIATE_OUTLIER: "unusual combination of signals",
    Signal.CONTEXT: "context behind a model's expectation",
}
"""Each signal in the words a reader sees (documents, narratives, tables)."""

UNEXPLAINED = "unexplained"
"""The kind of a flow with no reason other than context (e.g. ranked below the explained top)."""

SANCTIONS_SIDE: tuple[Signal, ...] = (Signal.SANCTIONS_EXPOSURE, Signal.NEW_CORRIDOR, Signal.DIVERSION)
"""Sanctions-side signals, in this order, name a flow's kind whatever their magnitude: an analyst
must see a sanctions exposure even when a value deviation of the same flow is stronger. The
sanctions rule says `new_corridor` for an exposure on a corridor opened for it, so it is here too."""

KINDS: tuple[str, ...] = (*(s.value for s in Signal if s is not Signal.CONTEXT), UNEXPLAINED)
"""Every kind `classify` can return."""

LABEL_SIGNALS: dict[str, Signal] = {
    "spike": Signal.SPIKE,
    "unit_price": Signal.UNIT_PRICE,
    "mirror_under": Signal.MIRROR_GAP,
    "level_shift": Signal.LEVEL_SHIFT,
    "unit_error": Signal.UNIT_ERROR,
    "diversion": Signal.DIVERSION,
}
"""The demo's injected-anomaly kinds (labels table `kind`) as signals."""

KIND_ALIASES: dict[str, tuple[str, ...]] = {
    "sanctions": tuple(s.value for s in SANCTIONS_SIDE),
    "surge": (Signal.SPIKE.value, Signal.LEVEL_SHIFT.value),
    "peer_outlier": (Signal.PEER_OUTLIER.value,),
    "model_residual": (Signal.MODEL_RESIDUAL.value,),
    "value_outlier": (
        Signal.PEER_OUTLIER.value,
        Signal.MODEL_RESIDUAL.value,
        Signal.MULTIVARIATE_OUTLIER.value,
    ),
}
"""Group names ("sanctions": every sanctions-side kind) and kind names of earlier versions (the API's
`kind=` filter, the index's `value_outlier`) -> kinds now, so saved links and filters keep working."""


def describe(signal: str) -> str:
    """The reader's words for a signal or kind ("sanctions exposure", "value jump vs its own history")."""
    if signal == UNEXPLAINED:
        return "no reason recorded"
    return DESCRIPTIONS[Signal(signal)]


def kinds_for(value: str) -> tuple[str, ...]:
    """The kinds a `kind` filter value selects: itself if it is a kind, its members if an old alias."""
    if value in KINDS:
        return (value,)
    if value in KIND_ALIASES:
        return KIND_ALIASES[value]
    raise InvalidArgumentError.choice("kind", value, [*KINDS, *KIND_ALIASES])


def _field(reason: Any, name: str) -> Any:
    return reason.get(name) if isinstance(reason, Mapping) else getattr(reason, name, None)


def _strength(reason: Any) -> float:
    magnitude = _field(reason, "magnitude")
    return -math.inf if magnitude is None or math.isnan(magnitude) else float(magnitude)


def classify(reasons: Iterable[Any] | None) -> str:
    """A flow's kind from its reasons (stored dicts or `Reason`s): the first SANCTIONS_SIDE signal present,
    else the signal of the strongest non-context reason (the first of equals), else UNEXPLAINED."""
    found = [r for r in (reasons or []) if _field(r, "signal") not in (None, Signal.CONTEXT)]
    signals = {str(_field(r, "signal")) for r in found}
    for signal in SANCTIONS_SIDE:
        if signal in signals:
            return signal.value
    if not found:
        return UNEXPLAINED
    return str(_field(max(found, key=_strength), "signal"))


def classify_expr(reasons: str | pl.Expr = "reasons") -> pl.Expr:
    """`classify` as a polars expression over a reasons list column (REASON_DTYPE): no Python loop,
    so a table of millions of flows gets its kinds in one pass. Returns a String expression."""
    column = pl.col(reasons) if isinstance(reasons, str) else reasons
    signal, magnitude = pl.element().struct.field("signal"), pl.element().struct.field("magnitude")
    has = {s: column.list.eval(signal == s.value).list.any().fill_null(False) for s in SANCTIONS_SIDE}
    valid = signal.is_not_null() & (signal != Signal.CONTEXT.value)
    strength = magnitude.fill_nan(None).fill_null(-math.inf)  # as _strength: a missing one ties with -inf
    top = (
        column.list.eval(
            pl.element()
            .sort_by([valid, strength], descending=True, nulls_last=True, maintain_order=True)
            .first()
        )
        .list.first()
        .struct.field("signal")
    )
    strongest = (
        pl.when(top.is_not_null() & (top != Signal.CONTEXT.value)).then(top).otherwise(pl.lit(UNEXPLAINED))
    )
    kind = pl.when(has[SANCTIONS_SIDE[0]]).then(pl.lit(SANCTIONS_SIDE[0].value))
    for s in SANCTIONS_SIDE[1:]:
        kind = kind.when(has[s]).then(pl.lit(s.value))
    return kind.otherwise(strongest).alias("kind")


def ratio_signal(observed: float | None, expected: float | None, otherwise: Signal) -> Signal:
    """UNIT_ERROR where observed/expected is within a factor ~3 of a power of 1000 (x1000, /1000:
    tonnes for kg, thousands for USD), else `otherwise`; a real price or volume move is rarely that."""
    if observed is None or expected is None or not (observed > 0 and expected > 0):
        return otherwise
    if not (math.isfinite(observed) and math.isfinite(expected)):
        return otherwise
    thousands = math.log10(observed / expected) / 3.0
    near = round(thousands)
    return Signal.UNIT_ERROR if near != 0 and abs(thousands - near) * 3.0 <= 0.5 else otherwise
