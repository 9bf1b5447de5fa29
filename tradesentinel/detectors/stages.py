"""What `tradesentinel score` and `evaluate` run: the detectors' stages over the stored features.

Both engines share one setup (the detectors named, built from the registry with the settings'
seed) and one MLflow path (params, metrics, the fitted models as artifacts): in-process, the
features table is read and scored whole (`ensemble.score_table`); on Dask, the partitioned features
dataset is scored on the cluster (`detectors.distributed`). Either way the ranked `scores` table is
written where the app reads it.
"""

from __future__ import annotations

import logging
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Literal

import polars as pl

from tradesentinel.config import Settings
from tradesentinel.detectors.base import BaseDetector
from tradesentinel.detectors.exposure import Exposure, build_exposure
from tradesentinel.detectors.tracking import log_run, save_detectors
from tradesentinel.errors import InputError, TableNotFoundError
from tradesentinel.pipeline.ids import flow_ids
from tradesentinel.reference import WORLD, load_reference_csv
from tradesentinel.storage import read_if_stored, read_table, write_table

if TYPE_CHECKING:
    from distributed import Client

log = logging.getLogger(__name__)
Progress = Callable[[str, float], None]
Engine = Literal["local", "dask"]
LABEL_COLUMNS = ("period", "reporter", "partner", "flow", "hs_code", "kind")


@dataclass(frozen=True)
class ScoreReport:
    """A scoring run: rows, seconds per detector (on Dask: worker-seconds, fit + scoring; and the wall
    seconds of "rank": calibration and rank, "write": reasons and the scores) and wall seconds in
    total, where the scores went, the MLflow run; on Dask also parts, workers, dataset; `notes`:
    detectors left out and why (a table they cannot learn from); `context_rows`: world totals
    (partner WLD) kept as context for the features, not scored."""

    n_rows: int
    seconds: dict[str, float]
    total_seconds: float
    path: Path
    run_id: str | None
    engine: Engine = "local"
    n_parts: int = 1
    n_workers: int = 1
    url: str | None = None
    notes: dict[str, str] = field(default_factory=dict)
    context_rows: int = 0


def exposure_from(settings: Settings) -> Exposure:
    """The sanctions-side reference lists from what the user has: the programme and controlled-goods
    lists the features use, the hubs list (TRADESENTINEL_TRANSIT_HUBS_FILE or the shipped one) and
    the ingested sanctions table when there is one."""
    from tradesentinel.pipeline.run import controlled_table, programmes_table

    hubs = None
    if settings.transit_hubs_file:
        hubs = load_reference_csv(settings.transit_hubs_file, ("destination", "hub", "relation"))
    sanctions = read_if_stored(settings.table_path("sanctions"), "sanctions")
    return build_exposure(programmes_table(settings), controlled_table(settings), hubs, sanctions)


def build_chosen(settings: Settings, detectors: list[str] | None) -> list[BaseDetector]:
    """The detectors named (default: every registered one), seeded from the settings and built with
    the user's reference lists: the one setup both engines score with."""
    from tradesentinel.detectors.registry import DEFAULT, build_detectors  # torch: imported only to score

    return build_detectors(
        list(detectors or DEFAULT), seed=settings.demo_seed, exposure=exposure_from(settings)
    )


def score_flows(
    settings: Settings,
    detectors: list[str] | None = None,
    *,
    engine: Engine = "local",
    scheduler: str | None = None,
    progress: Progress | None = None,
    track: bool = True,
) -> ScoreReport:
    """Fit and run the detectors on the stored features, write the scores table, log to MLflow.

    `engine="dask"` scores the partitioned features dataset on the cluster at `scheduler` (or
    settings.dask_scheduler, else a LocalCluster)."""
    if engine == "dask":
        from tradesentinel.pipeline.distributed import dask_client

        with dask_client(settings, scheduler) as client:
            return score_on_client(settings, client, detectors, progress=progress, track=track)
    from tradesentinel.detectors.ensemble import score_table

    chosen = build_chosen(settings, detectors)
    started = time.perf_counter()
    features = read_table(settings.table_path("features"), "features").collect()
    if features.height == 0:
        raise TableNotFoundError(
            "features", settings.table_path("features"), "tradesentinel ingest", reason="has no rows"
        )
    corridors, context_rows = scorable(features)
    if corridors.height == 0:
        raise TableNotFoundError(
            "features",
            settings.table_path("features"),
            "tradesentinel ingest",
            reason="has only world totals (partner WLD): no corridor to score",
        )
    scored = score_table(corridors, chosen, explain_top=settings.explain_top, progress=progress)
    path = write_table(scored.table, settings.table_path("scores"))
    write_diversion(settings, [d for d in chosen if d.is_fitted])
    report = ScoreReport(
        corridors.height,
        scored.seconds,
        time.perf_counter() - started,
        path,
        None,
        notes=scored.notes,
        context_rows=context_rows,
    )
    fitted = [d for d in chosen if d.name not in scored.notes]
    return _tracked(settings, report, fitted) if track else report


def corridors_only(features: pl.DataFrame) -> pl.DataFrame:
    """The rows a scoring run ranks: a reporter's total with the world (partner WLD, data-sources.md
    "Special partners") feeds the features (partner shares) but is no corridor to investigate, so it
    is neither scored nor ranked among the corridors. Both engines score through this."""
    return features.filter(pl.col("partner") != WORLD)


def scorable(features: pl.DataFrame) -> tuple[pl.DataFrame, int]:
    """The rows a scoring run ranks (`corridors_only`), and how many it leaves as context."""
    corridors = corridors_only(features)
    if context := features.height - corridors.height:
        log.info("%d world-total rows (partner WLD) kept as context, not scored", context)
    return corridors, context


def write_diversion(settings: Settings, detectors: list[BaseDetector]) -> Path | None:
    """The diversion detector's findings as data/diversion.parquet (schema.DIVERSION), where the
    assistant's evasion-patterns tool reads them; a stale table is removed when it did not run."""
    path = settings.table_path("diversion")
    found = [d for d in detectors if getattr(d, "corridors_", None) is not None]
    if not found:
        path.unlink(missing_ok=True)
        return None
    return write_table(found[0].corridors_, path, "diversion")


def score_on_client(
    settings: Settings,
    client: Client,
    detectors: list[str] | None = None,
    *,
    progress: Progress | None = None,
    track: bool = True,
) -> ScoreReport:
    """`score_flows` on the Dask engine with a client the caller holds (and keeps open)."""
    from tradesentinel.detectors.distributed import score_on_dask

    chosen = build_chosen(settings, detectors)
    started = time.perf_counter()
    done = score_on_dask(settings, client, chosen, seed=settings.demo_seed, progress=progress)
    if done.diversion is not None:
        write_table(done.diversion, settings.table_path("diversion"), "diversion")
    else:
        settings.table_path("diversion").unlink(missing_ok=True)
    report = ScoreReport(
        done.n_rows,
        done.seconds,
        time.perf_counter() - started,
        done.path,
        None,
        engine="dask",
        n_parts=done.n_parts,
        n_workers=done.n_workers,
        url=done.url,
    )
    return _tracked(settings, report, done.models) if track else report


def _tracked(settings: Settings, report: ScoreReport, models: list[BaseDetector]) -> ScoreReport:
    """The report with the id of its MLflow run: params, timings, and the fitted models as artifacts."""
    params: dict[str, object] = {
        "detectors": ",".join(d.name for d in models),
        "rows": report.n_rows,
        "engine": report.engine,
        "explain_top": settings.explain_top,
        "seed": settings.demo_seed,
        **{f"skipped_{name}": reason for name, reason in report.notes.items()},
    }
    if report.engine == "dask":
        params |= {"parts": report.n_parts, "sample_rows": settings.sample_rows}
    metrics = {
        "seconds_total": report.total_seconds,
        **{f"seconds_{k}": v for k, v in report.seconds.items()},
    }
    with tempfile.TemporaryDirectory() as tmp:
        saved = save_detectors(models, Path(tmp) / "models")
        run_id = log_run(settings, "score", params=params, metrics=metrics, artifacts=[saved])
    return replace(report, run_id=run_id)


def evaluate_scores(
    settings: Settings,
    labels_file: Path | pl.DataFrame | None = None,
    *,
    budget: float = 0.01,
    track: bool = True,
    labels_name: str | None = None,
) -> tuple[pl.DataFrame, str | None]:
    """Metrics of every detector and the ensemble against labels (the demo's, a CSV of key columns +
    kind as `python -m benchmarks.worlds` writes, or a table of flow_id + kind such as the analysts' case dispositions, named `labels_name`)."""
    from tradesentinel.detectors.evaluate import evaluate

    if isinstance(labels_file, pl.DataFrame):
        labels = labels_file
    else:  # the user's file first: its mistakes are theirs to fix whatever else is missing
        labels = (
            labels_from_csv(labels_file)
            if labels_file
            else read_table(settings.table_path("labels"), "labels").collect()
        )
    scores = read_table(settings.table_path("scores"), "scores").collect()
    table = evaluate(scores, labels, budget=budget)
    if not track:
        return table, None
    overall = table.filter(pl.col("kind") == "all")
    metrics = {
        f"{r['detector']}_{m}": r[m]
        for r in overall.iter_rows(named=True)
        for m in ("average_precision", "recall_at_budget", "precision_at_1000")
    }
    run_id = log_run(
        settings,
        "evaluate",
        params={"budget": budget, "labels": labels_name or str(labels_file or "demo")},
        metrics=metrics,
        tables={"evaluation": table},
    )
    return table, run_id


def labels_from_csv(path: Path) -> pl.DataFrame:
    """Labels from a CSV of key columns (period YYYY-MM, or YYYY for an annual flow; reporter,
    partner, flow, hs_code) plus kind. Ids are computed as the flows' are, so an annual label
    matches its annual flow, never the January of that year."""
    if not Path(path).is_file():
        raise InputError(path, "file not found", hint="give a labels CSV of " + ", ".join(LABEL_COLUMNS))
    try:
        frame = pl.read_csv(path, infer_schema=False).with_row_index("_row", offset=1)
    except pl.exceptions.PolarsError as exc:
        first_line = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise InputError(path, f"not a readable CSV ({first_line})") from exc
    missing = [c for c in LABEL_COLUMNS if c not in frame.columns]
    if missing:
        raise InputError(path, f"labels file lacks column(s) {', '.join(missing)}", field=missing[0])
    text = pl.col("period").str.strip_chars()
    annual = text.str.len_chars() == 4
    frame = frame.with_columns(
        pl.when(annual).then(pl.lit("A")).otherwise(pl.lit("M")).alias("freq"),
        pl.when(annual)
        .then((text + "-01").str.to_date("%Y-%m", strict=False))
        .otherwise(text.str.slice(0, 7).str.to_date("%Y-%m", strict=False))
        .alias("period"),
    )
    bad = frame.filter(pl.col("period").is_null())
    if bad.height:
        raise InputError(
            path, "unparsable period (expected YYYY-MM or YYYY)", row=int(bad["_row"][0]), field="period"
        )
    return frame.drop("_row").with_columns(flow_ids(frame))
