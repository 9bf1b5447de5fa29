"""Detection quality and scoring time on the demo world (issue: detectors).

Quality: every detector, the ensemble, and a naive baseline (IsolationForest on the raw log value
and log weight columns, what one would try first) on the default demo world, scored by
`detectors.evaluate` against its labels. Time: the whole pipeline (features + all detectors +
ensemble + reasons) at two sizes of the demo world, to show how it grows with rows.
"""

from __future__ import annotations

import time

import numpy as np
import polars as pl

from tradesentinel.detectors.ensemble import score_table
from tradesentinel.detectors.evaluate import evaluate
from tradesentinel.detectors.registry import DEFAULT, build_detectors
from tradesentinel.pipeline.demo import build_demo_world
from tradesentinel.pipeline.features import CANONICAL_ORDER, build_features
from tradesentinel.reference import controlled_hs, country_programmes


def naive_iforest(features: pl.DataFrame, seed: int = 0) -> np.ndarray:
    """IsolationForest on raw columns only: log value and log weight (weight missing -> median)."""
    from pyod.models.iforest import IForest

    raw = features.select(
        pl.col("value_usd").log(),
        pl.col("net_weight_kg").log().fill_null(pl.col("net_weight_kg").log().median()),
    ).to_numpy()
    return IForest(n_estimators=100, random_state=seed, n_jobs=2).fit(raw).decision_function(raw)


def _pipeline_seconds(scale: float, names: tuple[str, ...]) -> dict[str, float]:
    """Seconds of each stage, from flows in memory to the scores table, at one demo-world scale."""
    flows = build_demo_world(scale=scale).flows.sort(CANONICAL_ORDER)
    started = time.perf_counter()
    features = build_features(flows, programmes=country_programmes(), controlled=controlled_hs()).collect()
    seconds = {"rows": float(features.height), "features": time.perf_counter() - started}
    _, detector_seconds = score_table(features, build_detectors(names))
    return seconds | detector_seconds | {"total": time.perf_counter() - started}


def run(scales: tuple[float, ...] = (0.5, 1.7), names: tuple[str, ...] = DEFAULT) -> dict:
    """Quality on the default world, then timings at each scale."""
    world = build_demo_world()
    flows = world.flows.sort(CANONICAL_ORDER)
    features = build_features(flows, programmes=country_programmes(), controlled=controlled_hs()).collect()
    table, seconds = score_table(features, build_detectors(names))
    table = table.join(features.select("flow_id"), on="flow_id")
    naive = pl.DataFrame({"flow_id": features["flow_id"], "score_naive_iforest_raw": naive_iforest(features)})
    quality = evaluate(table.join(naive, on="flow_id"), world.labels)
    timings = [_pipeline_seconds(scale, names) for scale in scales]
    return {"quality": quality, "default_seconds": seconds, "rows": features.height, "timings": timings}


def markdown(result: dict) -> str:
    """Quality and timing tables for docs/BENCHMARKS.md."""
    q = result["quality"]
    overall = q.filter(pl.col("kind") == "all").sort("average_precision", descending=True)
    lines = [
        f"Default demo world: {result['rows']:,} rows; inspection budget 1%.",
        "",
        "| detector | average precision | precision@1000 | recall at 1% budget |",
        "|---|---|---|---|",
    ]
    for r in overall.iter_rows(named=True):
        lines.append(
            f"| {r['detector']} | {r['average_precision']:.3f} | {r['precision_at_1000']:.3f} | "
            f"{r['recall_at_budget']:.3f} |"
        )
    kinds = q.filter(pl.col("kind") != "all").pivot(on="kind", index="detector", values="recall_at_budget")
    lines += [
        "",
        "Recall at the 1% budget per anomaly kind:",
        "",
        "| detector | " + " | ".join(kinds.columns[1:]) + " |",
        "|---" * len(kinds.columns) + "|",
    ]
    for r in kinds.iter_rows():
        lines.append(f"| {r[0]} | " + " | ".join(f"{v:.2f}" for v in r[1:]) + " |")
    lines += [
        "",
        "Pipeline time (features + every detector + ensemble + reasons for the top 5,000):",
        "",
        "| rows | total | "
        + " | ".join(k for k in result["timings"][0] if k not in ("rows", "total"))
        + " |",
        "|---" * (len(result["timings"][0])) + "|",
    ]
    for t in result["timings"]:
        parts = [f"{v:.1f} s" for k, v in t.items() if k not in ("rows", "total")]
        lines.append(f"| {t['rows']:,.0f} | **{t['total']:.0f} s** | " + " | ".join(parts) + " |")
    return "\n".join(lines)
