"""The Chat tab with the real assistant and evidence index: a small demo world indexed with the real
embedding model (the session's, loaded once) and answered by the embedded llama.cpp model."""

from __future__ import annotations

import httpx
import pytest

from tests.loopback import serving
from tests.models import sharing_embedder


@pytest.fixture(scope="module")
def live_url(tmp_path_factory, minilm) -> str:
    from tradesentinel.app import create_app
    from tradesentinel.config import Settings
    from tradesentinel.detectors.stages import score_flows
    from tradesentinel.pipeline.run import build_demo
    from tradesentinel.retrieval.index import build_index

    settings = Settings(data_dir=tmp_path_factory.mktemp("live") / "data")
    build_demo(settings, scale=0.05)
    score_flows(settings, ["statistical", "sanctions"])
    with sharing_embedder(minilm):
        build_index(settings, top=50, collections=["anomalies", "sanctions", "news"])  # HS codes: hundreds
        with serving(create_app(settings)) as url:
            yield url


def test_ask_api_answers_with_verified_citations(live_url):
    body = httpx.post(
        f"{live_url}/ask", json={"question": "Which parties in Kazakhstan are sanctioned?"}, timeout=300
    ).json()
    assert body["evidence"] and set(body["citations"]) <= {e["n"] for e in body["evidence"]}
    assert body["mode"] in ("facts", "llm") and body["intent"] == "parties"


def test_chat_shows_a_cited_answer(browser, live_url):
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.goto(live_url)
    page.locator("#question textarea").fill("Which parties in Kazakhstan are sanctioned?")
    page.locator("#ask").click()
    citation = page.locator("#chatbot a.cite").first
    citation.wait_for(timeout=300_000)
    target = citation.get_attribute("href")
    citation.click()
    assert page.locator(target).evaluate("e => e.open") is True
    page.screenshot(path="artifacts/e2e/test_chat_live.png", full_page=True)
    page.close()
