"""Models made locally from the packaged all-MiniLM-L6-v2, once, on first use: nothing is downloaded.

- `static`: model2vec-style static token vectors. Every word piece of MiniLM's vocabulary goes
  through the transformer once ([CLS] piece [SEP], mean-pooled), the vectors are centred and
  rotated onto their principal axes (PCA, all 384 kept) and weighted down by Zipf frequency
  (SIF), as model2vec's `distill` does; then the shipped refinement (`static_refine.npz`,
  fitted offline to MiniLM's own sentence vectors by benchmarks/fit_static.py) maps them into
  MiniLM's sentence space and replaces the vectors of the pieces it learnt. model2vec's own `distill` needs an older transformers than ours and
  would ask the hub for the model card; this does the same arithmetic on the local files.
- `onnx-int8`: MiniLM with its mean pooling and normalisation exported to ONNX, then its matrix
  products quantised to int8 per channel (ONNX Runtime's dynamic quantisation).

Each model lives in its own folder under the models dir with a `meta.json` naming its recipe and
source; a folder whose meta does not match is made again. Folders are written under a temporary
name and renamed, and a lock file keeps two processes from making the same model at once.
"""

from __future__ import annotations

import fcntl
import json
import logging
import shutil
import time
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from tradesentinel.retrieval.embed import EmbeddingModelError, default_model_path

log = logging.getLogger(__name__)
STATIC_RECIPE = "static-minilm-v1"
ONNX_RECIPE = "onnx-minilm-int8-v1"
REFINEMENT = Path(__file__).resolve().parent / "data" / "static_refine.npz"
"""Token vectors fitted offline to MiniLM's sentence vectors (benchmarks/fit_static.py)."""
SIF = 1e-4


def source_fingerprint(source: Path) -> str:
    """What identifies the source model cheaply: its folder name, weight size and config."""
    weights = source / "model.safetensors"
    if not weights.exists():
        raise EmbeddingModelError(f"{source}: no model.safetensors there")
    return f"{source.name}:{weights.stat().st_size}:{(source / 'config.json').read_text().strip()[:2000]}"


def _meta(recipe: str, source: Path) -> dict[str, str]:
    meta = {"recipe": recipe, "source": source_fingerprint(source)}
    if recipe == STATIC_RECIPE and REFINEMENT.exists():
        meta["refinement"] = str(REFINEMENT.stat().st_size)
    return meta


def _is_current(folder: Path, meta: dict[str, str]) -> bool:
    try:
        return json.loads((folder / "meta.json").read_text()) == meta
    except (OSError, ValueError):
        return False


def ensure_model(recipe: str, models: Path, source: Path | None = None) -> Path:
    """The folder of model `recipe` under `models`, made first if absent or stale (minutes on 2 cores)."""
    source = source or default_model_path()
    builders: dict[str, Callable[[Path, Path], None]] = {
        STATIC_RECIPE: distil_static,
        ONNX_RECIPE: export_onnx_int8,
    }
    folder, meta = models / recipe, _meta(recipe, source)
    if _is_current(folder, meta):
        return folder
    models.mkdir(parents=True, exist_ok=True)
    with open(models / f".{recipe}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # another process may be making it: wait, then use theirs
        if _is_current(folder, meta):
            return folder
        started = time.perf_counter()
        log.info("making the %s embedding model from %s under %s (once)", recipe, source, models)
        work = models / f".{recipe}.tmp"
        shutil.rmtree(work, ignore_errors=True)
        work.mkdir()
        builders[recipe](source, work)
        (work / "meta.json").write_text(json.dumps(meta))
        shutil.rmtree(folder, ignore_errors=True)
        work.rename(folder)
        log.info("made %s in %.0f s", recipe, time.perf_counter() - started)
    return folder


def token_vectors(source: Path, batch: int = 1024) -> np.ndarray:
    """MiniLM's mean-pooled output for every word piece alone ([CLS] piece [SEP]): [vocab, 384]."""
    import torch
    from transformers import AutoModel

    model = AutoModel.from_pretrained(str(source)).eval()
    n = model.config.vocab_size
    vocab = json.loads((source / "tokenizer.json").read_text())["model"]["vocab"]
    cls, sep = vocab["[CLS]"], vocab["[SEP]"]
    ids = torch.tensor([[cls, i, sep] for i in range(n)], dtype=torch.long)
    out = np.empty((n, model.config.hidden_size), dtype=np.float32)
    with torch.inference_mode():
        for start in range(0, n, batch):
            part = ids[start : start + batch]
            hidden = model(input_ids=part, attention_mask=torch.ones_like(part)).last_hidden_state
            out[start : start + len(part)] = hidden.mean(dim=1).numpy()
    return out


def static_vectors(raw: np.ndarray) -> np.ndarray:
    """model2vec's post-processing: PCA onto all principal axes (centred, signs fixed), then SIF weights."""
    centred = raw - raw.mean(axis=0)
    _, axes = np.linalg.eigh(centred.T @ centred / (len(raw) - 1))
    scores = centred @ axes[:, ::-1]
    scores *= np.sign(scores[np.argmax(np.abs(scores), axis=0), np.arange(scores.shape[1])])
    inverse_rank = 1 / np.arange(2, len(raw) + 2)
    weights = SIF / (SIF + inverse_rank / inverse_rank.sum())  # Zipf by vocabulary rank, as model2vec
    return (scores * weights[:, None]).astype(np.float32)


def distil_static(source: Path, target: Path) -> None:
    """Write the static model (vectors.npy, tokenizer.json) of `source` into `target`."""
    vectors = refined(static_vectors(token_vectors(source)))
    np.save(target / "vectors.npy", vectors.astype(np.float16))
    shutil.copy(source / "tokenizer.json", target / "tokenizer.json")


def refined(vectors: np.ndarray) -> np.ndarray:
    """The distilled vectors with the shipped refinement put in: every word piece mapped into MiniLM's
    sentence space by the fitted linear map (and bias), and the learnt word pieces replaced by their
    fitted vectors; the plain distilled vectors when no refinement ships."""
    if not REFINEMENT.exists():
        return vectors
    with np.load(REFINEMENT) as fitted:
        out = vectors @ fitted["prior_map"] + fitted["prior_bias"]
        out[fitted["rows"]] = fitted["vectors"].astype(np.float32) * fitted["row_scale"][:, None]
    return out.astype(np.float32)


def export_onnx_int8(source: Path, target: Path) -> None:
    """Export MiniLM with mean pooling and L2 normalisation to ONNX, quantise it to int8 into `target`."""
    import torch
    from onnxruntime.quantization import QuantType, quantize_dynamic
    from transformers import AutoModel

    class Pooled(torch.nn.Module):
        def __init__(self, bert: torch.nn.Module):
            super().__init__()
            self.bert = bert

        def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
            hidden = self.bert(
                input_ids=input_ids,
                attention_mask=attention_mask,
                token_type_ids=torch.zeros_like(input_ids),
            ).last_hidden_state
            weights = attention_mask.unsqueeze(-1).to(hidden.dtype)
            pooled = (hidden * weights).sum(dim=1) / weights.sum(dim=1).clamp(min=1e-9)
            return torch.nn.functional.normalize(pooled, dim=-1)

    model = Pooled(AutoModel.from_pretrained(str(source)).eval()).eval()
    dummy = torch.ones((2, 16), dtype=torch.long)
    full = target / "model_fp32.onnx"
    axes = {"input_ids": {0: "batch", 1: "tokens"}, "attention_mask": {0: "batch", 1: "tokens"}}
    with warnings.catch_warnings():  # the tracer's notes on the pooling code, and its own deprecation
        warnings.simplefilter("ignore")
        _export(model, dummy, full, axes)
    logging.disable(logging.WARNING)  # the quantiser advises pre-processing on the root logger
    try:
        quantize_dynamic(
            str(full),
            str(target / "model.onnx"),
            weight_type=QuantType.QInt8,
            per_channel=True,
            op_types_to_quantize=["MatMul"],  # int8 embeddings (Gather) cost too much accuracy
        )
    finally:
        logging.disable(logging.NOTSET)
    full.unlink()
    shutil.copy(source / "tokenizer.json", target / "tokenizer.json")


def _export(model: Any, dummy: Any, target: Path, axes: dict[str, dict[int, str]]) -> None:
    """torch's (TorchScript) ONNX export of the pooled model, batch and length dynamic."""
    import torch

    torch.onnx.export(
        model,
        (dummy, torch.ones_like(dummy)),
        str(target),
        input_names=["input_ids", "attention_mask"],
        output_names=["embedding"],
        dynamic_axes={**axes, "embedding": {0: "batch"}},
        opset_version=17,
        dynamo=False,
    )
