"""The real models in tests: one load per session, shared by the tests and by the code they drive."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from tradesentinel.retrieval.embed_minilm import MiniLMEmbedding


@contextmanager
def sharing_embedder(model: MiniLMEmbedding) -> Iterator[MiniLMEmbedding]:
    """While open, every evidence store that the code under test opens itself (the CLI's, the app's)
    embeds with `model`: the session's real model instead of a fresh load per store."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr("tradesentinel.retrieval.store.open_embedder", lambda *args, **kwargs: model)
        yield model
