"""The pipeline stages: each reads its inputs from the store, calls pure functions, writes atomically."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from tradesentinel import reference
from tradesentinel.config import Settings
from tradesentinel.errors import InputError
from tradesentinel.pipeline.clean import clean_flows
from tradesentinel.pipeline.features import CANONICAL_ORDER, build_features
from tradesentinel.pipeline.ingest import store_quarantine, upsert_flows
from tradesentinel.pipeline.sources.csv import read_import_csv
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


@dataclass(frozen=True)
class FeatureReport:
    """Rows featurised, seconds spent, and where the table went."""

    n_rows: int
    seconds: float
    path: Path


@dataclass(frozen=True)
class ScoreReport:
    """A scoring run: rows, seconds per detector and in total, where the scores went, the MLflow run."""

    n_rows: int
    seconds: dict[str, float]
    total_seconds: float
    path: Path
    run_id: str | None


@dataclass(frozen=True)
class DemoReport:
    """The demo world written: flows and labels per kind, then its features and (unless skipped) scores."""

    n_flows: int
    labels_by_kind: dict[str, int]
    features: FeatureReport
    scores: ScoreReport | None


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
    n_quarantined = result.quarantine["row"].n_unique() if result.quarantine.height else 0
    quarantine_path = store_quarantine(settings, result.quarantine)
    if quarantine_path:
        log.warning("%s: %d row(s) quarantined in %s", path, n_quarantined, quarantine_path)
    if result.flows.height == 0:
        raise InputError(path, f"no valid row among {result.n_rows}; see {quarantine_path} for the reasons")
    combined, _ = upsert_flows(settings, result.flows, replace=replace)
    return IngestReport(
        file=str(path),
        n_rows=result.n_rows,
        n_kept=result.flows.height,
        n_quarantined=n_quarantined,
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


def build_demo(
    settings: Settings,
    *,
    scale: float = 1.0,
    progress: Progress | None = None,
    detectors: list[str] | None = None,
    score: bool = True,
) -> DemoReport:
    """Generate the labelled demo world, store flows and labels, build its features and score them."""
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
    scores = score_flows(settings, detectors, progress=progress) if score else None
    counts = world.labels.group_by("kind").len().sort("kind")
    return DemoReport(
        n_flows=world.flows.height,
        labels_by_kind=dict(counts.iter_rows()),
        features=features,
        scores=scores,
    )


def score_flows(
    settings: Settings,
    detectors: list[str] | None = None,
    *,
    progress: Progress | None = None,
    track: bool = True,
) -> ScoreReport:
    """Fit and run the detectors on the stored features, write the scores table, log to MLflow."""
    from tradesentinel.detectors.ensemble import score_table
    from tradesentinel.detectors.registry import DEFAULT, build_detectors

    names = list(detectors or DEFAULT)
    chosen = build_detectors(names, seed=settings.demo_seed)
    features = read_table(settings.table_path("features"), "features").collect()
    started = time.perf_counter()
    table, seconds = score_table(features, chosen, explain_top=settings.explain_top, progress=progress)
    total = time.perf_counter() - started
    path = write_table(table, settings.table_path("scores"))
    run_id = None
    if track:
        import tempfile

        from tradesentinel.detectors.tracking import log_run, save_detectors

        with tempfile.TemporaryDirectory() as tmp:
            models = save_detectors(chosen, Path(tmp) / "models")
            run_id = log_run(
                settings,
                "score",
                params={
                    "detectors": ",".join(names),
                    "rows": features.height,
                    "explain_top": settings.explain_top,
                    "seed": settings.demo_seed,
                },
                metrics={"seconds_total": total, **{f"seconds_{k}": v for k, v in seconds.items()}},
                artifacts=[models],
            )
    return ScoreReport(features.height, seconds, total, path, run_id)


def evaluate_scores(
    settings: Settings, labels_file: Path | None = None, *, budget: float = 0.01, track: bool = True
) -> tuple[pl.DataFrame, str | None]:
    """Metrics of every detector and the ensemble against labels (the demo's, or a CSV of key columns + kind)."""
    from tradesentinel.detectors.evaluate import evaluate

    scores = read_table(settings.table_path("scores"), "scores").collect()
    labels = (
        _labels_from_csv(labels_file)
        if labels_file
        else read_table(settings.table_path("labels"), "labels").collect()
    )
    table = evaluate(scores, labels, budget=budget)
    run_id = None
    if track:
        from tradesentinel.detectors.tracking import log_run

        overall = table.filter(pl.col("kind") == "all")
        metrics = {
            f"{r['detector']}_{m}": r[m]
            for r in overall.iter_rows(named=True)
            for m in ("average_precision", "recall_at_budget", "precision_at_1000")
        }
        run_id = log_run(
            settings,
            "evaluate",
            params={"budget": budget, "labels": str(labels_file or "demo")},
            metrics=metrics,
            tables={"evaluation": table},
        )
    return table, run_id


def _labels_from_csv(path: Path) -> pl.DataFrame:
    """Labels from a CSV of key columns (period YYYY-MM, reporter, partner, flow, hs_code) plus kind."""
    from tradesentinel.pipeline.ids import flow_ids

    frame = pl.read_csv(path, infer_schema=False).with_row_index("_row", offset=1)
    missing = [
        c for c in ("period", "reporter", "partner", "flow", "hs_code", "kind") if c not in frame.columns
    ]
    if missing:
        raise InputError(path, f"labels file lacks column(s) {', '.join(missing)}", field=missing[0])
    frame = frame.with_columns(pl.col("period").str.slice(0, 7).str.to_date("%Y-%m", strict=False))
    bad = frame.filter(pl.col("period").is_null())
    if bad.height:
        raise InputError(
            path, "unparsable period (expected YYYY-MM)", row=int(bad["_row"][0]), field="period"
        )
    return frame.drop("_row").with_columns(flow_ids(frame))
