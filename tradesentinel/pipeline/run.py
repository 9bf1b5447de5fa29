"""The pipeline stages (ingest, features, the demo world): each reads its inputs from the store, calls pure
functions, writes atomically. Scoring and evaluation are the detectors' stages (detectors.stages)."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl

from tradesentinel import reference
from tradesentinel.config import Settings
from tradesentinel.pipeline.features import CANONICAL_ORDER, build_features
from tradesentinel.pipeline.ingest_sources import ingest_flow_files
from tradesentinel.storage import read_table, write_table

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
    notes: list[str] = field(default_factory=list)


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
    """Read a flows file into the flows table: the import CSV, or any other layout `ingest file`
    knows (told by its content); bad rows go to quarantine with their reason.

    New rows replace stored rows with the same key (an upsert); `replace` drops the stored table
    instead. Nothing is written unless at least one row is valid.
    """
    report = ingest_flow_files(settings, [path], replace=replace)
    if report.quarantine_path:
        log.warning("%s: %d row(s) quarantined in %s", path, report.n_quarantined, report.quarantine_path)
    return IngestReport(
        file=str(path),
        n_rows=report.n_read,
        n_kept=report.n_kept,
        n_quarantined=report.n_quarantined,
        n_flows_total=report.n_total,
        quarantine_path=report.quarantine_path,
        notes=report.notes,
    )


def programmes_table(settings: Settings) -> pl.DataFrame:
    """Country sanctions programmes the features use: the settings' CSV, else the built-in list."""
    if settings.country_programmes_file:
        frame = reference.load_reference_csv(settings.country_programmes_file, ("iso3", "programme", "since"))
        return frame.with_columns(pl.col("since").str.to_date())
    return reference.country_programmes()


def controlled_table(settings: Settings) -> pl.DataFrame:
    """Controlled HS codes the features use: the settings' CSV, else the built-in list."""
    if settings.controlled_hs_file:
        return reference.load_reference_csv(settings.controlled_hs_file, ("hs_code",))
    return reference.controlled_hs()


def build_feature_table(settings: Settings) -> FeatureReport:
    """Build the features table from the stored flows table."""
    flows = read_table(settings.table_path("flows"), "flows").collect()
    started = time.perf_counter()
    features = build_features(
        flows,
        programmes=programmes_table(settings),
        controlled=controlled_table(settings),
        cif_fob_ratio=settings.cif_fob_ratio,
    )
    path = write_table(features, settings.table_path("features"), "features")
    return FeatureReport(n_rows=flows.height, seconds=time.perf_counter() - started, path=path)


def build_demo(settings: Settings, *, scale: float = 1.0, progress: Progress | None = None) -> DemoReport:
    """Generate the labelled demo world, store flows, labels and evidence, and build its features.

    Scoring is the detectors' stage (`detectors.stages.score_flows`), run after this by `tradesentinel demo`.
    """
    from tradesentinel.pipeline import demo, demo_evidence  # only the demo command needs the generator

    world = demo.build_demo_world(settings.demo_seed, scale=scale, progress=progress)
    write_table(_canonical(world.flows), settings.table_path("flows"), "flows")
    stale = settings.table_path("scores")  # scores of a previous world would not match these flows
    if stale.exists():
        stale.unlink()
        log.info("removed %s: it scored the previous flows; run `tradesentinel score`", stale)
    write_table(world.labels, settings.table_path("labels"), "labels")
    demo_evidence.write_demo_evidence(settings, world.labels)  # fictitious sanctions and news, HS codes
    if progress:
        progress("features", 0.0)
    features = build_feature_table(settings)
    if progress:
        progress("features", 1.0)
    counts = world.labels.group_by("kind").len().sort("kind")
    return DemoReport(n_flows=world.flows.height, labels_by_kind=dict(counts.iter_rows()), features=features)
