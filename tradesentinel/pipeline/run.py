"""The pipeline stages: each reads its inputs from the store, calls pure functions, writes atomically."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from tradesentinel.config import Settings
from tradesentinel.errors import InputError
from tradesentinel.pipeline import reference
from tradesentinel.pipeline.clean import clean_flows
from tradesentinel.pipeline.features import CANONICAL_ORDER, build_features
from tradesentinel.pipeline.sources.csv import read_import_csv
from tradesentinel.pipeline.store import append_table, read_table, write_table

log = logging.getLogger(__name__)
Progress = Callable[[str, float], None]


@dataclass(frozen=True)
class IngestReport:
    """What an ingest did: rows read, kept, quarantined, and the flows table size after it."""

    file: str
    n_rows: int
    n_kept: int
    n_quarantined: int
    n_flows_total: int
    quarantine_path: Path | None


@dataclass(frozen=True)
class FeatureReport:
    """Rows featurised, seconds spent, and where the table went."""

    n_rows: int
    seconds: float
    path: Path


@dataclass(frozen=True)
class DemoReport:
    """The demo world written: flows and labels per kind, then its features."""

    n_flows: int
    labels_by_kind: dict[str, int]
    features: FeatureReport


def _canonical(flows: pl.DataFrame) -> pl.DataFrame:
    """Flows in the order features are computed in (HS, flow, reporter, partner, period)."""
    return flows.sort(CANONICAL_ORDER)


def ingest_csv(settings: Settings, path: Path, *, replace: bool = False) -> IngestReport:
    """Read an import CSV into the flows table: bad rows go to quarantine with their reason.

    New rows replace stored rows with the same key (an upsert); `replace` drops the stored table
    instead. Nothing is written unless at least one row is valid.
    """
    raw = read_import_csv(path)
    result = clean_flows(raw, file=str(path), source="csv")
    quarantine_path = None
    if result.quarantine.height:
        quarantine_path = append_table(result.quarantine, settings.table_path("quarantine"), "quarantine")
        log.warning(
            "%s: %d row(s) quarantined in %s", path, result.quarantine["row"].n_unique(), quarantine_path
        )
    if result.flows.height == 0:
        raise InputError(path, f"no valid row among {result.n_rows}; see {quarantine_path} for the reasons")
    flows_path = settings.table_path("flows")
    combined = result.flows
    if flows_path.exists() and not replace:
        stored = read_table(flows_path, "flows").collect()
        combined = pl.concat([stored.filter(~pl.col("flow_id").is_in(result.flows["flow_id"])), result.flows])
    write_table(_canonical(combined), flows_path, "flows")
    return IngestReport(
        file=str(path),
        n_rows=result.n_rows,
        n_kept=result.flows.height,
        n_quarantined=result.quarantine["row"].n_unique() if result.quarantine.height else 0,
        n_flows_total=combined.height,
        quarantine_path=quarantine_path,
    )


def _programmes(settings: Settings) -> pl.DataFrame:
    if settings.country_programmes_file:
        frame = reference.load_reference_csv(settings.country_programmes_file, ("iso3", "programme", "since"))
        return frame.with_columns(pl.col("since").str.to_date())
    return reference.country_programmes()


def _controlled(settings: Settings) -> pl.DataFrame:
    if settings.controlled_hs_file:
        return reference.load_reference_csv(settings.controlled_hs_file, ("hs_code",))
    return reference.controlled_hs()


def build_feature_table(settings: Settings) -> FeatureReport:
    """Build the features table from the stored flows table."""
    flows = read_table(settings.table_path("flows"), "flows").collect()
    started = time.perf_counter()
    features = build_features(
        flows,
        programmes=_programmes(settings),
        controlled=_controlled(settings),
        cif_fob_ratio=settings.cif_fob_ratio,
    )
    path = write_table(features, settings.table_path("features"), "features")
    return FeatureReport(n_rows=flows.height, seconds=time.perf_counter() - started, path=path)


def build_demo(settings: Settings, *, scale: float = 1.0, progress: Progress | None = None) -> DemoReport:
    """Generate the labelled demo world, store flows and labels, and build its features."""
    from tradesentinel.pipeline import demo  # only the demo command needs the generator

    world = demo.build_demo_world(settings.demo_seed, scale=scale, progress=progress)
    write_table(_canonical(world.flows), settings.table_path("flows"), "flows")
    write_table(world.labels, settings.table_path("labels"), "labels")
    if progress:
        progress("features", 0.0)
    features = build_feature_table(settings)
    if progress:
        progress("features", 1.0)
    counts = world.labels.group_by("kind").len().sort("kind")
    return DemoReport(
        n_flows=world.flows.height,
        labels_by_kind=dict(counts.iter_rows()),
        features=features,
    )
