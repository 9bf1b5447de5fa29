"""Assistant quality and latency on the DEMO world: verified citations vs the evidence-only baseline.

The question set is generated from the demo world's own tables (top-ranked anomalies, fictitious
DEMO sanctions entries and news, HS codes), each with the document its answer must cite (the
gold evidence), plus off-topic questions that should find nothing. Every question is answered
twice in the same run: by the embedded model (llamacpp) and by the evidence-only baseline (none).

Support is judged per (sentence, cited passage) by an automatic lexical judge that is stricter
than the verifier: every number, country, organisation and date of the sentence must be in that
one passage, and at least 70% of its content words. It is not a human judgement.
"""

from __future__ import annotations

import os
import re
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import polars as pl

from tradesentinel.assistant.answer import answer_question
from tradesentinel.assistant.llm import open_backend
from tradesentinel.assistant.mentions import content_words
from tradesentinel.assistant.types import Answer
from tradesentinel.assistant.verify import citations_in, passage_text, split_sentences, unsupported_claim
from tradesentinel.config import Settings

JUDGE_WORD_SHARE = 0.7
FLOW_WORDS = {"X": "exports to", "M": "imports from", "RX": "re-exports to", "RM": "re-imports from"}
OFF_TOPIC = [
    "What is the boiling point of water on Mars?",
    "Who won the football world cup in 1966?",
    "Recommend a recipe for lemon cake.",
]


def prepare_world(data_dir: Path, scale: float) -> Settings:
    """Build, score and index the demo world under `data_dir` with the CLI, as a user would.

    A world already indexed there is reused: indexing embeds every HS code, which takes minutes.
    """
    if not (data_dir / "chroma").exists() or not (data_dir / "scores.parquet").exists():
        env = os.environ | {"TRADESENTINEL_DATA_DIR": str(data_dir)}
        exe = str(Path(sys.executable).with_name("tradesentinel"))
        demo = ["demo", "--scale", str(scale), "--detectors", "statistical,sanctions,lightgbm"]
        subprocess.run([exe, *demo], env=env, check=True, capture_output=True)
    return Settings(data_dir=data_dir)


def _country(iso3: str) -> str:
    from tradesentinel.retrieval.documents import country_name

    return country_name(iso3)


def question_set(settings: Settings, per_kind: int = 8) -> list[dict[str, Any]]:
    """Questions with the doc id each answer must cite; deterministic for a given world."""
    questions = []
    scores = pl.read_parquet(settings.table_path("scores")).sort("rank").head(per_kind)
    for r in scores.iter_rows(named=True):
        questions.append(
            {
                "kind": "anomaly",
                "gold": f"anomaly:{r['flow_id']}",
                "question": f"Why was {_country(r['reporter'])}'s {FLOW_WORDS.get(r['flow'], r['flow'])} "
                f"{_country(r['partner'])} in HS {r['hs_code']} flagged in {r['period']:%B %Y}?",
            }
        )
    sanctions = pl.read_parquet(settings.table_path("sanctions")).sort("entry_id").head(per_kind)
    for r in sanctions.iter_rows(named=True):
        questions.append(
            {
                "kind": "sanctions",
                "gold": f"sanctions:{r['list']}:{r['entry_id']}",
                "question": f"Is {r['name']} on a sanctions list, and which programme?",
            }
        )
    news = pl.read_parquet(settings.table_path("news")).sort("date").head(per_kind)
    for r in news.iter_rows(named=True):
        title = re.sub(r"^DEMO:\s*", "", r["title"]).rstrip(".")
        questions.append(
            {
                "kind": "news",
                "gold": f"news:{r['news_id']}",
                "question": f"What did the news report in {r['date']:%B %Y} about {title[:80]}?",
            }
        )
    hs = pl.read_parquet(settings.table_path("hs_codes")).filter(pl.col("level") == 4).sort("hs_code")
    for r in hs.gather_every(max(1, hs.height // per_kind)).head(per_kind).iter_rows(named=True):
        questions.append(
            {
                "kind": "hs",
                "gold": f"hs:{r['hs_code']}",
                "question": f"What goods does HS heading {r['hs_code']} cover?",
            }
        )
    questions += [{"kind": "off-topic", "gold": None, "question": q} for q in OFF_TOPIC]
    return questions


def judged(answer: Answer) -> dict[str, int]:
    """Counts for one answer: sentences, supported ones, citations, supporting and invalid ones."""
    counts = dict.fromkeys(("sentences", "supported", "citations", "supporting", "invalid"), 0)
    for sentence in split_sentences(answer.text):
        cited = citations_in(sentence)
        if not cited:
            continue
        counts["sentences"] += 1
        body = re.sub(r"\[\d+\]", " ", sentence)
        ok_all = True
        for n in cited:
            counts["citations"] += 1
            if not 1 <= n <= len(answer.evidence):
                counts["invalid"] += 1
                ok_all = False
                continue
            passage = passage_text(answer.evidence[n - 1])
            words = content_words(body)
            share = len(words & content_words(passage)) / max(1, len(words))
            supports = not unsupported_claim(body, [passage]) and share >= JUDGE_WORD_SHARE
            counts["supporting"] += supports
        joined = [passage_text(answer.evidence[n - 1]) for n in cited if 1 <= n <= len(answer.evidence)]
        counts["supported"] += ok_all and bool(joined) and not unsupported_claim(body, joined)
    return counts


def _run_backend(settings: Settings, questions: list[dict[str, Any]], backend_name: str) -> dict[str, Any]:
    from tradesentinel.retrieval.search import open_searcher

    searcher, backend = open_searcher(settings), open_backend(settings, backend_name)
    searcher.search("warm-up: load the embedding model before timing", k=1)
    if backend_name == "llamacpp":
        started = time.perf_counter()
        backend.load()
        load_s = time.perf_counter() - started
    rows = []
    for q in questions:
        cpu = time.process_time()
        answer = answer_question(q["question"], settings, searcher=searcher, backend=backend)
        cpu = time.process_time() - cpu
        ids = [h.doc_id for h in answer.evidence]
        gold = q["gold"]
        rows.append(
            {
                **q,
                **judged(answer),
                "mode": answer.mode,
                "n_cited": len(answer.cited),
                "retrieved_gold": gold in ids,
                "cited_gold": gold in ids and ids.index(gold) + 1 in answer.cited,
                "first_token_s": answer.seconds_first_token,
                "total_s": answer.seconds_total,
                "cpu_s": cpu,
                "text": answer.text,
            }
        )
    frame = pl.DataFrame(rows)
    on_topic = frame.filter(pl.col("gold").is_not_null())
    sentences = max(1, int(on_topic["sentences"].sum()))
    citations = max(1, int(on_topic["citations"].sum()))
    totals = on_topic["total_s"].to_list()
    firsts = [x for x in on_topic["first_token_s"].to_list() if x is not None]
    return {
        "backend": backend_name,
        "questions": on_topic.height,
        "off_topic_none": int(frame.filter(pl.col("gold").is_null() & (pl.col("mode") == "none")).height),
        "llm_answers": int((on_topic["mode"] == "llm").sum()),
        "with_valid_citation": float(((on_topic["n_cited"] > 0) & (on_topic["invalid"] == 0)).mean()),
        "citation_precision": int(on_topic["supporting"].sum()) / citations,
        "citation_recall": float(on_topic["cited_gold"].mean()),
        "retrieval_recall": float(on_topic["retrieved_gold"].mean()),
        "invalid_citations": int(on_topic["invalid"].sum()),
        "unsupported_rate": 1 - int(on_topic["supported"].sum()) / sentences,
        "first_token_median_s": statistics.median(firsts) if firsts else None,
        "total_median_s": statistics.median(totals),
        "total_p90_s": sorted(totals)[int(0.9 * (len(totals) - 1))],
        "total_max_s": max(totals),
        "cpu_median_s": statistics.median(on_topic["cpu_s"].to_list()),
        "load_s": load_s if backend_name == "llamacpp" else None,
        "rows": frame,
    }


def run(workdir: Path, scale: float = 0.2) -> dict[str, Any]:
    """Build and index the demo world in `workdir` (or reuse it), then answer the questions with both backends."""
    settings = prepare_world(workdir, scale)
    questions = question_set(settings)
    load_before = os.getloadavg()[0]
    results = {name: _run_backend(settings, questions, name) for name in ("none", "llamacpp")}
    results["load_average"] = (load_before, os.getloadavg()[0])
    results["n_questions"] = len(questions)
    return results


def markdown(r: dict[str, Any]) -> str:
    """The figures as the table docs/BENCHMARKS.md keeps (baseline: evidence-only answers, same run)."""
    base, llm = r["none"], r["llamacpp"]

    def pct(x: float) -> str:
        return f"{x:.1%}"

    lines = [
        (
            f"{llm['questions']} questions over the DEMO world with gold evidence (+{len(OFF_TOPIC)} off-topic); "
            f"load average {r['load_average'][0]:.1f} -> {r['load_average'][1]:.1f} on this shared machine."
        ),
        "",
        "| measure | embedded model (SmolLM2-135M, llamacpp) | baseline: evidence-only (none) |",
        "|---|---|---|",
        f"| answers written by the model and verified (mode llm) | {llm['llm_answers']} | 0 |",
        f"| answers with >= 1 valid citation | **{pct(llm['with_valid_citation'])}** | {pct(base['with_valid_citation'])} |",
        f"| citations to a passage not in the evidence list | **{llm['invalid_citations']}** | {base['invalid_citations']} |",
        f"| citation precision (cited passage supports the sentence) | **{pct(llm['citation_precision'])}** | {pct(base['citation_precision'])} |",
        f"| unsupported-sentence rate after verification | **{pct(llm['unsupported_rate'])}** | {pct(base['unsupported_rate'])} |",
        f"| citation recall (gold passage cited) | {pct(llm['citation_recall'])} | {pct(base['citation_recall'])} |",
        f"| retrieval recall (gold passage in the evidence list) | {pct(llm['retrieval_recall'])} | {pct(base['retrieval_recall'])} |",
        f"| off-topic questions answered 'nothing relevant' | {llm['off_topic_none']}/{len(OFF_TOPIC)} | {base['off_topic_none']}/{len(OFF_TOPIC)} |",
        f"| first token, median | {llm['first_token_median_s'] or 0:.2f} s | - |",
        f"| full answer, median / p90 / max | **{llm['total_median_s']:.2f}** / {llm['total_p90_s']:.2f} / {llm['total_max_s']:.2f} s | {base['total_median_s']:.2f} / {base['total_p90_s']:.2f} / {base['total_max_s']:.2f} s |",
        f"| CPU time per answer, median (all threads of the process) | {llm['cpu_median_s']:.2f} s | {base['cpu_median_s']:.2f} s |",
        f"| model load (once per process) | {llm['load_s']:.2f} s | - |",
        f"| full-answer time vs baseline (median) | {llm['total_median_s'] / max(base['total_median_s'], 1e-9):.1f}x | 1x |",
    ]
    return "\n".join(lines)
