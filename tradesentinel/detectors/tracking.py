"""MLflow run tracking: every scoring or evaluation run logs params, metrics, tables and artifacts.

The store is a sqlite database under the data dir (MLflow 3 refuses the plain file store by
default); a tracking server can be used instead by setting TRADESENTINEL_MLFLOW_URI.
"""

from __future__ import annotations

import logging
import math
import tempfile
from pathlib import Path

import polars as pl

from tradesentinel.config import Settings

log = logging.getLogger(__name__)
EXPERIMENT = "tradesentinel-detectors"


def tracking_uri(settings: Settings) -> str:
    """The MLflow tracking URI from settings, or the sqlite store under the data dir."""
    if settings.mlflow_uri:
        return settings.mlflow_uri
    return f"sqlite:///{(settings.data_dir / 'mlflow.db').resolve()}"


def log_run(
    settings: Settings,
    run_name: str,
    *,
    params: dict[str, object],
    metrics: dict[str, float],
    tables: dict[str, pl.DataFrame] | None = None,
    artifacts: list[Path] | None = None,
) -> str:
    """Log one run and return its id. MLflow is imported here: it is slow to import and optional at runtime."""
    import mlflow

    settings.data_dir.mkdir(parents=True, exist_ok=True)
    mlflow.set_tracking_uri(tracking_uri(settings))
    if mlflow.get_experiment_by_name(EXPERIMENT) is None:
        mlflow.create_experiment(
            EXPERIMENT, artifact_location=(settings.data_dir / "mlruns").resolve().as_uri()
        )
    mlflow.set_experiment(EXPERIMENT)
    with mlflow.start_run(run_name=run_name) as run:
        mlflow.log_params({k: str(v) for k, v in params.items()})
        mlflow.log_metrics({k: float(v) for k, v in metrics.items() if not math.isnan(float(v))})
        with tempfile.TemporaryDirectory() as tmp:
            for name, table in (tables or {}).items():
                path = Path(tmp) / f"{name}.csv"
                table.write_csv(path)
                mlflow.log_artifact(str(path))
        for artifact in artifacts or []:
            if artifact.is_dir():
                mlflow.log_artifacts(str(artifact), artifact_path=artifact.name)
            else:
                mlflow.log_artifact(str(artifact))
        log.info("MLflow run %s logged to %s", run.info.run_id, tracking_uri(settings))
        return run.info.run_id


def save_detectors(detectors: list, directory: Path) -> Path:
    """Write each fitted detector's model to `directory`: the transformer's weights (torch state
    dict), the boosted models in their libraries' own formats, the rest with joblib."""
    import joblib

    from tradesentinel.detectors.boosted import BoostedDetector
    from tradesentinel.detectors.transformer import SeriesTransformerDetector

    directory.mkdir(parents=True, exist_ok=True)
    for detector in detectors:
        if isinstance(detector, SeriesTransformerDetector):
            detector.save(directory / "transformer.pt")
        elif isinstance(detector, BoostedDetector):
            suffix = "txt" if detector.backend == "lightgbm" else "json"
            for target, models in detector.models_.items():
                for fold, model in enumerate(models):
                    model.save_model(str(directory / f"{detector.name}_{target}_fold{fold}.{suffix}"))
        else:
            joblib.dump(detector, directory / f"{detector.name}.joblib")
    return directory
