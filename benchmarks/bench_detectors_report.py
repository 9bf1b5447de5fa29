"""Markdown for docs/BENCHMARKS.md and docs/detectors.md from `bench_detectors.run`'s result."""

from __future__ import annotations

import polars as pl

from benchmarks.bench_detectors import HELD_OUT

KIND_ORDER = ("all", "diversion", "level_shift", "spike", "unit_price", "mirror_under", "unit_error")


def _detector_order(q: pl.DataFrame) -> list[str]:
    names = q["detector"].unique(maintain_order=True).to_list()
    first = [n for n in ("ensemble", "baseline_robust_z") if n in names]
    return first + [n for n in names if n not in first]


def world_table(q: pl.DataFrame, world: str, budget: float) -> str:
    """AP / recall per kind for one world and budget: one row per detector, 'AP / recall' cells."""
    sub = q.filter((pl.col("world") == world) & (pl.col("budget") == budget))
    kinds = [k for k in KIND_ORDER if k in set(sub["kind"])]
    counts = dict(sub.filter(pl.col("detector") == "ensemble").select("kind", "n_positive").iter_rows())
    head = "| detector | " + " | ".join(f"{k} ({counts.get(k, 0):,})" for k in kinds) + " |"
    lines = [head, "|---" * (len(kinds) + 1) + "|"]
    for det in _detector_order(sub):
        cells = []
        for k in kinds:
            r = sub.filter((pl.col("detector") == det) & (pl.col("kind") == k))
            ap, rec = r["average_precision"].item(), r["recall_at_budget"].item()
            cells.append(f"{ap:.3f} / {rec:.2f}")
        name = f"**{det}**" if det == "ensemble" else det
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def targets(q: pl.DataFrame, world: str, budget: float) -> list[str]:
    """The issue's targets on one world: per kind recall >= best single - 0.03, AP >= best - 0.01,
    and on held-out worlds AP >= 0.7, recall >= 0.9; each 'met' or 'NOT met' with the figures."""
    sub = q.filter((pl.col("world") == world) & (pl.col("budget") == budget))
    singles = sub.filter(~pl.col("detector").is_in(["ensemble", "baseline_robust_z"]))
    ens = sub.filter(pl.col("detector") == "ensemble")
    out = []
    for kind in [k for k in KIND_ORDER if k in set(sub["kind"])]:
        best = (
            singles.filter(pl.col("kind") == kind)
            .sort("recall_at_budget", descending=True)
            .row(0, named=True)
        )
        mine = ens.filter(pl.col("kind") == kind)["recall_at_budget"].item()
        ok = mine >= best["recall_at_budget"] - 0.03
        out.append(
            f"recall {kind}: {mine:.3f} vs best single {best['recall_at_budget']:.3f} ({best['detector']}): "
            + ("met" if ok else "NOT met")
        )
    best_ap = (
        singles.filter(pl.col("kind") == "all").sort("average_precision", descending=True).row(0, named=True)
    )
    ap = ens.filter(pl.col("kind") == "all")["average_precision"].item()
    out.append(
        f"AP {ap:.3f} vs best single {best_ap['average_precision']:.3f} ({best_ap['detector']}): "
        + ("met" if ap >= best_ap["average_precision"] - 0.01 else "NOT met")
    )
    if world in HELD_OUT and world != "deflection":
        rec = ens.filter(pl.col("kind") == "all")["recall_at_budget"].item()
        out.append(
            f"absolute: AP {ap:.3f} (>= 0.7: {'met' if ap >= 0.7 else 'NOT met'}), recall {rec:.3f} (>= 0.9: {'met' if rec >= 0.9 else 'NOT met'})"
        )
    return out


def markdown(result: dict) -> str:
    q, facts = result["quality"], result["facts"]
    lines = []
    for world, fact in facts.items():
        for budget in sorted(q.filter(pl.col("world") == world)["budget"].unique().to_list()):
            tag = "held out" if world in HELD_OUT else "tuning"
            lines += [
                f"### {world} ({tag}): {fact['rows']:,} rows, {fact['labels']:,} labelled, budget {budget:.0%}",
                "",
                "Cells: average precision / recall at the budget; column heads give the labelled rows per kind.",
                "",
                world_table(q, world, budget),
                "",
                *[f"- {t}" for t in targets(q, world, budget)],
                f"- scored in {fact['seconds']:.0f} s"
                + (f"; skipped: {fact['notes']}" if fact["notes"] else ""),
                "",
            ]
    lines += ["Pipeline time (features + every detector + ensemble + reasons):", ""]
    timings = result["timings"]
    keys = [k for k in timings[0] if k not in ("rows", "total")]
    lines += ["| rows | total | " + " | ".join(keys) + " |", "|---" * (len(keys) + 2) + "|"]
    for t in timings:
        lines.append(
            f"| {t['rows']:,.0f} | **{t['total']:.0f} s** | "
            + " | ".join(f"{t[k]:.1f} s" for k in keys)
            + " |"
        )
    return "\n".join(lines)
