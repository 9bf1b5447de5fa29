"""The analyst UI in a real browser: map, timeline, explorer and chat do what an analyst sees."""

from __future__ import annotations

import httpx

PLOT_DATA = "sel => document.querySelector(sel + ' .js-plotly-plot').data.map(t => [t.name || t.type, (t.x || t.z || []).length])"


def _top(base_url: str) -> dict:
    return httpx.get(f"{base_url}/anomalies", params={"limit": 1}).json()["items"][0]


def test_demo_data_is_labelled(page):
    assert "DEMO data" in page.locator("#demo-banner").inner_text()


def test_map_colours_countries(page):
    page.get_by_role("tab", name="Map").click()
    page.locator("#map-draw").click()
    shapes = page.locator("#map-plot path.choroplethlocation")
    shapes.first.wait_for()
    fills = shapes.evaluate_all("els => els.map(e => getComputedStyle(e).fill)")
    coloured = [f for f in fills if f not in ("none", "rgb(255, 255, 255)", "")]
    assert len(coloured) >= 5 and len(set(coloured)) >= 2  # several countries, more than one shade
    assert "DEMO data" in page.locator("#map-plot").inner_text()


def test_timeline_marks_anomalies_and_events(page, base_url):
    top = _top(base_url)
    page.get_by_role("tab", name="Timeline").click()
    page.locator("#tl-flow input, #tl-flow textarea").first.fill(top["flow_id"])
    page.locator("#tl-show").click()
    page.locator("#tl-plot .js-plotly-plot .scatterlayer").first.wait_for()
    traces = dict(page.evaluate(PLOT_DATA, "#tl-plot"))
    assert traces["anomaly"] >= 1 and traces["value (USD)"] > traces["anomaly"]
    assert traces["news"] >= 1  # the test world's news item names both countries of the corridor
    assert traces["sanctions"] == 0  # its designation names one of them and no goods: left out, and counted
    assert "left out" in page.locator("#tl-plot").inner_text()
    assert page.locator("#tl-plot .scatterlayer .trace path.point").count() >= 1


def test_explorer_row_shows_its_explanation(page, base_url):
    top = _top(base_url)
    page.get_by_role("tab", name="Explorer").click()
    page.locator("#ex-table").get_by_text(top["flow_id"], exact=True).filter(visible=True).first.click()
    explanation = page.locator(f"#ex-explanation .explanation[data-flow-id='{top['flow_id']}']")
    explanation.wait_for()
    text = explanation.inner_text()
    assert "Reasons: observed vs expected" in text and "Test Trading LLC" in text and "[1]" in text


def test_chat_answer_cites_evidence(page):
    """The chat wiring (streaming, linked citations, evidence panel) with the assistant's contract double."""
    page.locator("#question textarea").fill("Which sanctioned parties are linked to the top anomalies?")
    page.locator("#ask").click()
    citation = page.locator("#chatbot a.cite").nth(1)
    citation.wait_for()
    assert page.locator("#evidence details").count() == 2
    assert page.locator("#ev-1-2").evaluate("e => e.open") is False
    citation.click()
    assert page.locator("#ev-1-2").evaluate("e => e.open") is True
    assert "Customs probe" in page.locator("#ev-1-2").inner_text()


def test_each_answer_keeps_its_own_citations_and_the_chat_survives_a_reload(browser, base_url):
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.goto(base_url)
    for n, question in enumerate(("Who is listed?", "And its news?"), 1):
        page.locator("#question textarea").fill(question)
        page.locator("#ask").click()
        page.locator(f"#chatbot a.cite[href='#ev-{n}-1']").first.wait_for()
    first = page.locator("#chatbot a.cite[href='#ev-1-2']").first
    first.click()
    assert page.locator("#ev-1-2").evaluate("e => e.open") is True
    assert page.locator("#ev-2-2").evaluate("e => e.open") is False
    page.reload()
    page.locator("#chatbot a.cite[href='#ev-2-1']").first.wait_for()
    assert page.locator("#chatbot").inner_text().count("Test Trading LLC is listed") == 2
    page.close()
