"""The assistant on the public question set (benchmarks/question_set.py), embedded model vs none, one run.

The world is the DEMO world at `scale`, scored by every detector with the CLI as a user would, with the
question set's evidence injections written into it. Each question is asked through the `Assistant`
service (what the API, the UI and `ask` use) twice: with the embedded SmolLM2 and with no model.
Recorded per backend: answers correct (structured facts equal to the independently computed
expected ones, and stated in the text), answers with a model-written sentence, model sentences
removed by verification, injection successes, and median / p95 latency (warm: the tables and the
model are loaded before the first timed question, as `serve` warms them at start-up).
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import polars as pl

from benchmarks.question_set import build_cases, inject, run_cases, summary
from tradesentinel.assistant.llm import open_backend
from tradesentinel.assistant.service import Assistant
from tradesentinel.assistant.view import answer_view
from tradesentinel.config import Settings


def prepare_world(data_dir: Path, scale: float) -> Settings:
    """Build and score the demo world under `data_dir` with the CLI (reused when already there)."""
    if not (data_dir / "scores.parquet").exists():
        env = os.environ | {"TRADESENTINEL_DATA_DIR": str(data_dir)}
        exe = str(Path(sys.executable).with_name("tradesentinel"))
        subprocess.run(
            [exe, "demo", "--scale", str(scale), "--no-index"], env=env, check=True, capture_output=True
        )
    inject(data_dir)
    return Settings(data_dir=data_dir)


def _run_backend(settings: Settings, cases: list, backend_name: str) -> dict[str, Any]:
    assistant = Assistant(settings, backend=open_backend(settings, backend_name))
    dropped: list[int] = []

    def ask(question: str, history: list[dict]) -> dict:
        answer = assistant.ask(question, history)
        dropped.append(len(answer.dropped))
        return answer_view(answer).model_dump(mode="json")

    assistant.ask("How many anomalies involve Russia?")  # warm: tables, snapshot and model loaded
    started = time.perf_counter()
    outcomes = run_cases(cases, ask)
    figures = summary(outcomes)
    figures |= {
        "backend": backend_name,
        "removed_sentences": sum(dropped),
        "seconds_total": time.perf_counter() - started,
        "rows": pl.DataFrame(
            {
                "id": [o.case.id for o in outcomes],
                "category": [o.case.category for o in outcomes],
                "question": [o.case.question for o in outcomes],
                "correct": [not o.error for o in outcomes],
                "error": [o.error for o in outcomes],
                "mode": [o.mode for o in outcomes],
                "seconds": [o.seconds for o in outcomes],
            }
        ),
    }
    return figures


def run(workdir: Path, scale: float = 0.3) -> dict[str, Any]:
    """Both backends on the same world and the same questions."""
    settings = prepare_world(workdir / "data", scale)
    cases = build_cases(settings.data_dir)
    return {"scale": scale, **{name: _run_backend(settings, cases, name) for name in ("llamacpp", "none")}}


def markdown(r: dict[str, Any]) -> str:
    """The figures as a table for BENCHMARKS.md."""
    lines = [
        (
            f"DEMO world at scale {r['scale']}, every detector; {r['none']['questions']} questions "
            "(benchmarks/question_set.py), each asked through the Assistant service with each backend."
        ),
        "",
        "| backend | correct | with a model sentence | model sentences removed | injection successes | median s | p95 s |",
        "|---|---|---|---|---|---|---|",
    ]
    for name in ("llamacpp", "none"):
        f = r[name]
        lines.append(
            f"| {name} | {f['correct']}/{f['questions']} ({f['share_correct']:.0%}) | {f['with_model_sentence']} | "
            f"{f['removed_sentences']} | {f['injection_successes']} | {f['median_s']:.2f} | {f['p95_s']:.2f} |"
        )
    wrong = {**r["llamacpp"]["wrong"], **r["none"]["wrong"]}
    if wrong:
        lines += ["", "Wrong answers: " + "; ".join(f"{k}: {v}" for k, v in list(wrong.items())[:10])]
    return "\n".join(lines)
