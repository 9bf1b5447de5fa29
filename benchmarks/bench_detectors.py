"""Detection quality on every evaluation world, and the time of the whole pipeline at 1.5M rows.

Quality (issue #15): each world of `benchmarks.worlds` (the demo and tuning worlds, the held-out
worlds of the independent generator, the real-shaped deflection world) goes through features,
every detector, the ensemble and its reasons, with the world's own sanctions programme
(`World.programmes`, what its analyst would configure), and `detectors.evaluate` scores them against the
world's labels: average precision and recall at a 1% budget (5% too for the deflection world), per
anomaly kind, for every detector, the ensemble and a simple baseline measured in the same run
(robust z of the log value within its series, what one would try first). Time: the same pipeline
on the demo world at 1.7x (about 1.5M rows), stage by stage.
"""

from __future__ import annotations

import time

import numpy as np
import polars as pl

from benchmarks.worlds import load_world
from tradesentinel.detectors.ensemble import score_table
from tradesentinel.detectors.evaluate import evaluate
from tradesentinel.detectors.exposure import build_exposure
from tradesentinel.detectors.registry import DEFAULT, build_detectors
from tradesentinel.pipeline.features import CANONICAL_ORDER, build_features
from tradesentinel.reference import controlled_hs, country_programmes

WORLD_ORDER = (
    "demo",
    "tune",
    "tune-a",
    "indep-m",
    "indep-a",
    "indep-h",
    "indep-a2",
    "indep-a3",
    "deflection",
)
HELD_OUT = ("indep-m", "indep-a", "indep-h", "indep-a2", "indep-a3", "deflection")
BUDGETS = {"deflection": (0.01, 0.05)}


def robust_z_baseline(features: pl.DataFrame) -> np.ndarray:
    """|robust z| of the log value within its series (the feature z_series): the simple baseline."""
    return features["z_series"].cast(pl.Float64).fill_null(0.0).abs().to_numpy()


def _features(flows: pl.DataFrame, programmes: pl.DataFrame | None = None) -> pl.DataFrame:
    programmes = country_programmes() if programmes is None else programmes
    return build_features(
        flows.sort(CANONICAL_ORDER), programmes=programmes, controlled=controlled_hs()
    ).collect()


def world_quality(name: str, names: tuple[str, ...] = DEFAULT) -> tuple[pl.DataFrame, dict]:
    """Evaluation of one world at each of its budgets (one frame), and its facts (rows, labels, seconds)."""
    world = load_world(name)
    features = _features(world.flows, world.programmes)  # the world's own sanctions programme
    started = time.perf_counter()
    scored = score_table(features, build_detectors(names, exposure=build_exposure(world.programmes)))
    seconds = time.perf_counter() - started
    table = scored.table.join(features.select("flow_id"), on="flow_id").join(
        pl.DataFrame(
            {"flow_id": features["flow_id"], "score_baseline_robust_z": robust_z_baseline(features)}
        ),
        on="flow_id",
    )
    frames = [
        evaluate(table, world.labels, budget=b).with_columns(pl.lit(name).alias("world"))
        for b in BUDGETS.get(name, (0.01,))
    ]
    facts = {
        "rows": features.height,
        "labels": world.labels.height,
        "seconds": seconds,
        "notes": scored.notes,
    }
    return pl.concat(frames), facts


def _pipeline_seconds(scale: float, names: tuple[str, ...]) -> dict[str, float]:
    """Seconds of each stage, from flows in memory to the scores table, at one demo-world scale."""
    flows = load_world("demo", scale).flows.sort(CANONICAL_ORDER)
    started = time.perf_counter()
    features = _features(flows)
    seconds = {"rows": float(features.height), "features": time.perf_counter() - started}
    scored = score_table(features, build_detectors(names))
    return seconds | scored.seconds | {"total": time.perf_counter() - started}


def run(
    worlds: tuple[str, ...] = WORLD_ORDER,
    scales: tuple[float, ...] = (1.7,),
    names: tuple[str, ...] = DEFAULT,
) -> dict:
    """Quality on every world, then the pipeline time at each demo scale."""
    quality, facts = [], {}
    for name in worlds:
        table, facts[name] = world_quality(name, names)
        quality.append(table)
    timings = [_pipeline_seconds(scale, names) for scale in scales]
    return {"quality": pl.concat(quality, how="diagonal"), "facts": facts, "timings": timings}
