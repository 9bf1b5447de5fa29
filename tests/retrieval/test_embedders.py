"""The embedders behind the `Embedder` protocol: made offline from the packaged MiniLM, unit vectors,
close to MiniLM where they should be, and the index never mixing the vectors of two of them."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from tests.retrieval.conftest import HashEmbedding
from tradesentinel.config import Settings
from tradesentinel.errors import InvalidArgumentError
from tradesentinel.retrieval.catalog import EmbedderMismatchError
from tradesentinel.retrieval.embed import Embedder, open_embedder
from tradesentinel.retrieval.index import build_index
from tradesentinel.retrieval.search import open_searcher
from tradesentinel.retrieval.store import EvidenceStore

TEXTS = [
    "OFAC-SDN sanctions list entry 1: BANCO NACIONAL DE CUBA (entity). Programmes: CUBA.",
    "Kazakhstan (KAZ) re-export to Russia (RUS), HS 854231 (processors and controllers), period 2022-06.",
    "News 2022-06-01: integrated circuits shipped on to Russia through Central Asia.",
]


def make_offline(models: Path, name: str) -> None:
    """Make (or find) embedder `name` under `models` in a fresh process with the hub switched off."""
    code = (
        "import sys; from pathlib import Path; from tradesentinel.config import Settings; "
        "from tradesentinel.retrieval.embed import open_embedder; "
        f"e = open_embedder(Settings(models_dir=Path(sys.argv[1])), {name!r}); print(e.embed(['x']).shape)"
    )
    env = {
        **os.environ,
        "HF_HUB_OFFLINE": "1",
        "TRANSFORMERS_OFFLINE": "1",
        "HF_HOME": str(models / "hf-empty"),
    }
    done = subprocess.run(
        [sys.executable, "-c", code, str(models)],
        check=False,
        env=env,
        capture_output=True,
        text=True,
        timeout=1200,
    )
    assert done.returncode == 0, done.stderr[-2000:]


def test_a_fake_embedder_satisfies_the_protocol_without_subclassing() -> None:
    fake = HashEmbedding()
    assert isinstance(fake, Embedder) and type(fake).__mro__ == (HashEmbedding, object)
    vectors = fake.embed(TEXTS)
    assert vectors.shape == (3, fake.dimension) and np.allclose(np.linalg.norm(vectors, axis=1), 1.0)


def test_an_unknown_embedder_is_refused() -> None:
    with pytest.raises(InvalidArgumentError, match="choose from static, onnx-int8, minilm"):
        open_embedder(Settings(), "word2vec")


@pytest.mark.parametrize("name", ["static", "onnx-int8"])
def test_fast_embedders_are_made_offline_and_agree_with_minilm(name: str, models_dir: Path, minilm) -> None:
    make_offline(models_dir, name)
    embedder = open_embedder(Settings(models_dir=models_dir), name)
    assert isinstance(embedder, Embedder) and not embedder.loaded
    vectors = embedder.embed(TEXTS)
    assert vectors.shape == (3, 384) and np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-4)
    assert float(embedder.embed_one(TEXTS[0]) @ vectors[0]) > 0.98  # int8: activations quantised per batch
    reference = minilm.embed(TEXTS)
    agreement = (vectors * reference).sum(axis=1)
    if name == "onnx-int8":  # the same model, quantised: nearly the same vectors
        assert agreement.min() > 0.95
    else:  # another model: similar texts stay similar (the CUBA entry is nearest to itself)
        sims = vectors @ vectors.T
        assert np.argmax(sims[1, [0, 2]]) == 1  # the re-export is nearer to the chips news than to the bank


def test_switching_embedders_re_embeds_once_and_never_mixes(small_world: Settings) -> None:
    first, second = HashEmbedding("hash-a"), HashEmbedding("hash-b")
    build_index(small_world, collections=["news", "sanctions"], store=EvidenceStore(small_world, first))
    with pytest.raises(EmbedderMismatchError, match="embedded with another embedder.*hash-a.*hash-b"):
        open_searcher(small_world, second)  # refuses to compare hash-b queries with hash-a vectors
    report = build_index(
        small_world, collections=["news", "sanctions"], store=EvidenceStore(small_world, second)
    )
    assert all(r.switched_from == "hash-a" and r.added == r.n_docs for r in report.synced)
    assert len(second.embedded) == sum(r.n_docs for r in report.synced)  # every document once
    store = EvidenceStore(small_world, second)
    assert store.collection("news").metadata["embedder"] == "hash-b"
    again = build_index(small_world, collections=["news", "sanctions"], store=store)
    assert not any(r.changed or r.switched_from for r in again.synced)
    assert open_searcher(small_world, HashEmbedding("hash-b")).search("Kazakhstan", k=2)


def test_an_unchanged_reindex_does_not_load_the_model(small_world: Settings, models_dir: Path) -> None:
    class Refusing(HashEmbedding):
        """Embeds like HashEmbedding until told the model must not be touched."""

        locked = False

        def embed(self, texts, progress=None):
            assert not self.locked, "the model was asked to embed on an unchanged re-index"
            return super().embed(texts, progress)

    embedder = Refusing("hash-refusing")
    build_index(small_world, store=EvidenceStore(small_world, embedder))
    embedder.locked = True
    report = build_index(small_world, store=EvidenceStore(small_world, embedder))
    assert not any(r.changed for r in report.synced)
    static = open_embedder(Settings(models_dir=models_dir / "never-made"), "static")
    assert not static.loaded and not (models_dir / "never-made").exists()  # opening made nothing
