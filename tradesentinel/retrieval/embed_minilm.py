"""The baseline embedder: all-MiniLM-L6-v2 itself through sentence-transformers (torch), loaded lazily.

The slowest of the three (about a hundred sanctions-length documents a second on two quiet cores)
and the reference the faster ones are measured against; select it with TRADESENTINEL_EMBEDDER=minilm.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import numpy as np

from tradesentinel.retrieval.embed import (
    EmbeddingModelError,
    LocalEmbedder,
    default_model_path,
)

log = logging.getLogger(__name__)


class MiniLMEmbedding(LocalEmbedder):
    """Sentence-transformers embedding with the local model; the model loads on first use."""

    name = "minilm"
    dimension = 384

    def __init__(
        self,
        model_path: str | Path | None = None,
        batch_size: int = 64,
        threads: int | None = 1,
        max_tokens: int = 128,
    ):
        super().__init__()
        self.model_path = Path(model_path) if model_path else None
        self.batch_size = batch_size
        self.max_tokens = max_tokens  # word pieces the model reads per text: cost grows with it
        self.threads = threads  # torch threads; 1 keeps latency steady on a busy machine (None: torch's)
        self._model: Any = None

    @property
    def loaded(self) -> bool:
        """Whether the model has been loaded (a re-index with nothing changed never loads it)."""
        return self._model is not None

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

    def _encode(self, texts: list[str]) -> np.ndarray:
        return self._load().encode(
            texts,
            batch_size=self.batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=False,
        )

    def chunk(self) -> int:
        return self.batch_size * 8
