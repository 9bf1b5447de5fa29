"""The fast embedder: static token vectors distilled from MiniLM, averaged by model2vec.

A text's vector is the mean of its word pieces' vectors (no transformer at run time), so
embedding costs a tokenizer pass and a lookup: thousands of documents a second on one core,
where MiniLM does about a hundred. The vectors are made once from the packaged MiniLM
(`derive.distil_static`) and kept under the models dir. Only the first `max_tokens` word pieces
count: the start of a document (who, what, where, when) is what a question asks about, and a long
tail of remarks would otherwise dilute it (the keyword side still reads all of it). The default,
128, is the window the shipped refinement was fitted on and the one MiniLM reads: a shorter one
cuts sanctions entries before their countries (a Cyrillic alias alone can take 30 pieces). The
window is part of the embedder's name, so an index made with another never mixes its vectors in.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from tradesentinel.retrieval.derive import STATIC_RECIPE, ensure_model
from tradesentinel.retrieval.embed import LocalEmbedder, unit_rows

CHUNK = 4096
"""Texts per model2vec call (progress is reported between calls)."""


class StaticEmbedding(LocalEmbedder):
    """model2vec `StaticModel` over vectors distilled from the local MiniLM; made or loaded on first use."""

    dimension = 384

    def __init__(self, models: Path, max_tokens: int = 128, source: Path | None = None):
        super().__init__()
        self.name = f"{STATIC_RECIPE}-{max_tokens}t"
        self.models = Path(models)
        self.max_tokens = max_tokens
        self.source = source
        self._model: Any = None

    @property
    def loaded(self) -> bool:
        """Whether the vectors have been loaded (a re-index with nothing changed never loads them)."""
        return self._model is not None

    def _load(self) -> Any:
        with self._lock:
            if self._model is None:
                from model2vec import StaticModel
                from tokenizers import Tokenizer

                folder = ensure_model(STATIC_RECIPE, self.models, self.source)
                vectors = np.load(folder / "vectors.npy").astype(np.float32)
                tokenizer = Tokenizer.from_file(str(folder / "tokenizer.json"))
                self._model = StaticModel(vectors, tokenizer, normalize=True, max_length=self.max_tokens)
        return self._model

    def _encode(self, texts: list[str]) -> np.ndarray:
        vectors = self._load().encode(texts, use_multiprocessing=False, batch_size=CHUNK)
        return unit_rows(vectors)  # texts with no known word piece stay zero vectors

    def chunk(self) -> int:
        return CHUNK
