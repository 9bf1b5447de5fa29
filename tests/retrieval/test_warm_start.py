"""`serve` warms the assistant up in the background: the first question finds the searcher and models loaded."""

from __future__ import annotations

import time
from typing import ClassVar

import pytest
from fastapi.testclient import TestClient

from tests.retrieval.conftest import HashEmbedding
from tradesentinel.app import create_app
from tradesentinel.assistant.service import Assistant
from tradesentinel.config import Settings
from tradesentinel.retrieval.index import build_index
from tradesentinel.retrieval.store import EvidenceStore


class CountingEmbedding(HashEmbedding):
    instances: ClassVar[list[CountingEmbedding]] = []

    def __init__(self) -> None:
        super().__init__()
        CountingEmbedding.instances.append(self)


@pytest.fixture
def indexed(small_world: Settings, monkeypatch: pytest.MonkeyPatch) -> Settings:
    build_index(small_world, store=EvidenceStore(small_world, HashEmbedding()))
    CountingEmbedding.instances.clear()
    monkeypatch.setattr("tradesentinel.retrieval.store.open_embedder", lambda settings: CountingEmbedding())
    return small_world.model_copy(update={"llm_backend": "none"})


def _until(condition, seconds: float = 60.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return False


@pytest.mark.parametrize("ui", [False, True])
def test_serving_warms_the_assistant_before_the_first_question(indexed: Settings, ui: bool) -> None:
    assistant = Assistant(indexed)
    with TestClient(create_app(indexed, ui=ui, assistant=assistant, warm_up=True)) as client:
        assert _until(lambda: assistant._searcher is not None and assistant._backend is not None)
        embedder = assistant._searcher.embedder
        assert embedder.embedded == ["warm-up"]  # the query path ran once, before any question
        answer = client.post("/ask", json={"question": "coffee from Brazil to the Netherlands"})
        assert answer.status_code == 200
    assert len(CountingEmbedding.instances) == 1  # opened once: the question reused the warm searcher


def test_without_warm_up_nothing_loads_until_asked(indexed: Settings) -> None:
    assistant = Assistant(indexed)
    with TestClient(create_app(indexed, ui=False, assistant=assistant)):
        time.sleep(0.2)
        assert assistant._searcher is None and not CountingEmbedding.instances


def test_a_failed_warm_up_does_not_stop_the_server(small_world: Settings) -> None:
    assistant = Assistant(small_world.model_copy(update={"llm_backend": "none"}))  # nothing indexed yet
    thread = assistant.warm_up()
    thread.join(60)
    assert not thread.is_alive() and assistant._searcher is None
