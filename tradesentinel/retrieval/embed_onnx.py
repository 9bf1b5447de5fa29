"""MiniLM in ONNX Runtime, int8: the same model as the baseline, exported and quantised locally.

Vectors agree with sentence-transformers' to a cosine of about 0.99; activations are quantised per
batch, so a text embedded alone and in a batch differ by about as much. It runs without torch at
query time (torch is needed once, to export). Texts are sorted by length before batching, so a
batch pads little, and each text is cut at `max_tokens` word pieces as the baseline does.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from tradesentinel.retrieval.derive import ONNX_RECIPE, ensure_model
from tradesentinel.retrieval.embed import LocalEmbedder, Progress


class OnnxEmbedding(LocalEmbedder):
    """MiniLM exported to ONNX with int8 matrix products; made (once) and loaded on first use."""

    name = ONNX_RECIPE
    dimension = 384

    def __init__(
        self,
        models: Path,
        batch_size: int = 64,
        threads: int = 1,
        max_tokens: int = 128,
        source: Path | None = None,
    ):
        super().__init__()
        self.models = Path(models)
        self.batch_size = batch_size
        self.threads = threads
        self.max_tokens = max_tokens
        self.source = source
        self._session: Any = None
        self._tokenizer: Any = None

    @property
    def loaded(self) -> bool:
        """Whether the ONNX session has been opened."""
        return self._session is not None

    def _load(self) -> tuple[Any, Any]:
        with self._lock:
            if self._session is None:
                import onnxruntime as ort
                from tokenizers import Tokenizer

                folder = ensure_model(ONNX_RECIPE, self.models, self.source)
                options = ort.SessionOptions()
                options.intra_op_num_threads = self.threads
                options.inter_op_num_threads = 1
                tokenizer = Tokenizer.from_file(str(folder / "tokenizer.json"))
                tokenizer.enable_truncation(self.max_tokens)
                tokenizer.enable_padding()
                self._tokenizer = tokenizer
                self._session = ort.InferenceSession(
                    str(folder / "model.onnx"), options, providers=["CPUExecutionProvider"]
                )
        return self._session, self._tokenizer

    def embed(self, texts: Sequence[str], progress: Progress | None = None) -> np.ndarray:
        """Unit-length float32 vectors [n, 384] of `texts`, batched by length."""
        out = np.empty((len(texts), self.dimension), dtype=np.float32)
        if not texts:
            return out
        session, tokenizer = self._load()
        order = np.argsort([len(t) for t in texts], kind="stable")
        for start in range(0, len(texts), self.batch_size):
            rows = order[start : start + self.batch_size]
            encoded = tokenizer.encode_batch([texts[i] for i in rows])
            feeds = {
                "input_ids": np.asarray([e.ids for e in encoded], dtype=np.int64),
                "attention_mask": np.asarray([e.attention_mask for e in encoded], dtype=np.int64),
            }
            out[rows] = session.run(None, feeds)[0]
            if progress:
                progress(min(1.0, (start + len(rows)) / len(texts)))
        return out
