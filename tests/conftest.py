"""Shared fixtures: an isolated data dir per test, and the real fixture files when present."""

from __future__ import annotations

from pathlib import Path

import pytest

from tradesentinel.config import Settings, get_settings

SHARED_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"


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
def scored_world(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """A small scored DEMO world (built once per session) for the API, UI and browser tests."""
    from tests.app_world import build_scored_world

    return build_scored_world(tmp_path_factory.mktemp("world") / "data")
