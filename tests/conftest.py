"""Shared fixtures: an isolated data dir per test, and the real fixture files when present."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tradesentinel.config import Settings, get_settings

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
