"""Browser-test harness: the app served by uvicorn on a free loopback port, and Debian's chromium."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.loopback import serving

CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
ARTIFACTS = Path(__file__).resolve().parents[2] / "artifacts" / "e2e"


def chromium_path() -> str | None:
    """The chromium the browser tests launch: Debian's package where installed, else one on PATH."""
    return CHROMIUM if Path(CHROMIUM).exists() else shutil.which("chromium")


@pytest.fixture(scope="module")
def base_url(scored_world) -> Iterator[str]:
    """The full app (API + Gradio UI) over the scored demo world, served until the module ends; the
    chat's answers come from the assistant's contract double (tests/api/fakes.py)."""
    from tests.api.fakes import FakeAssistant
    from tradesentinel.app import create_app

    with serving(create_app(scored_world, assistant=FakeAssistant())) as url:
        yield url


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    """One headless chromium (Debian's, else the first on PATH) per test module, driven by Playwright."""
    executable = chromium_path()
    if executable is None:
        pytest.skip("chromium is not installed (make test installs it with apt-get where apt is available)")
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser, base_url, request):
    """A fresh page on the app; its screenshot is saved under artifacts/e2e/ after the test."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    page.set_default_timeout(30_000)
    page.goto(base_url)
    yield page
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{request.node.name}.png"), full_page=True)
    context.close()
