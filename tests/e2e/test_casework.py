"""Carrying work past one screen, in a real browser: Explorer pages, deep links, the map's arcs and
click-through, cases with an audit log, the offline API docs, and a named user's login."""

from __future__ import annotations

import re
import time
from urllib.parse import parse_qs, urlparse

import httpx
import pytest

from tests.loopback import serving

PLOT_TRACES = "sel => document.querySelector(sel + ' .js-plotly-plot').data.map(t => t.name || t.type)"


def _query(page) -> dict[str, list[str]]:
    return parse_qs(urlparse(page.url).query)


def _wait_for_url(page, key: str, value: str, timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if _query(page).get(key) == [value]:
            return
        time.sleep(0.2)
    raise AssertionError(f"the URL never showed {key}={value}: {page.url}")


def test_explorer_pages_through_every_match_and_the_url_follows(page, base_url):
    page.get_by_role("tab", name="Explorer").click()
    count = page.locator("#ex-count")
    count.get_by_text("page 1 of").wait_for()
    total = int(re.search(r"([\d,]+)\*?\*? anomalies match", count.inner_text()).group(1).replace(",", ""))
    api = httpx.get(f"{base_url}/anomalies", params={"limit": 100}).json()  # the default view: flagged
    assert total == api["total"] > 100  # the whole filtered set, not the first 200
    page.locator("#ex-next").click()
    count.get_by_text("page 2 of").wait_for()
    second = api["items"][50]["flow_id"]
    page.locator("#ex-table").get_by_text(second, exact=True).filter(visible=True).first.wait_for()
    _wait_for_url(page, "p", "2")
    page.locator("#ex-sort input").click()
    page.get_by_role("option", name="value at stake").click()
    count.get_by_text("sorted by value at stake").wait_for()
    _wait_for_url(page, "sort", "value_at_stake")
    table = page.locator("#ex-table")
    table.get_by_text(re.compile(r"^\$\d{1,3}(,\d{3})+$")).filter(
        visible=True
    ).first.wait_for()  # USD, formatted
    table.get_by_text(re.compile(r"^[A-Z][a-z].* \([A-Z]{3}\)$")).filter(
        visible=True
    ).first.wait_for()  # named


def test_deep_links_open_the_view_they_name(page, base_url):
    top = httpx.get(f"{base_url}/anomalies", params={"limit": 1}).json()["items"][0]
    page.goto(
        f"{base_url}/?tab=explorer&country={top['partner'].lower()}&hs={top['hs_code'][:4]}&from=2019-01"
    )
    page.locator("#ex-count").get_by_text("anomalies match").wait_for()
    assert page.locator("#ex-country textarea").input_value() == top["partner"]
    assert page.get_by_role("tab", name="Explorer").get_attribute("aria-selected") == "true"
    page.goto(f"{base_url}/?flow_id={top['flow_id']}")
    page.locator(f"#ex-explanation .explanation[data-flow-id='{top['flow_id']}']").wait_for()
    page.goto(
        f"{base_url}/?tab=timeline&reporter={top['reporter']}&partner={top['partner']}&hs={top['hs_code'][:4]}"
    )
    page.locator("#tl-plot .js-plotly-plot").wait_for()
    assert page.locator("#tl-dir input").input_value() == top["flow"]  # the corridor's real direction
    page.goto(f"{base_url}/#explorer")
    page.locator("#ex-count").get_by_text("anomalies match").wait_for()
    assert page.get_by_role("tab", name="Explorer").get_attribute("aria-selected") == "true"


def test_map_draws_corridor_arcs_and_a_click_opens_the_explorer(page):
    page.get_by_role("tab", name="Map").click()
    page.locator("#map-draw").click()
    page.locator("#map-plot path.choroplethlocation").first.wait_for()
    names = page.evaluate(PLOT_TRACES, "#map-plot")
    assert "corridors" in names and "direction" in names and any(n.startswith("arcs-") for n in names)
    title = page.locator("#map-plot .gtitle").text_content()
    assert "corridors" in title and "flagged flows" in title
    page.locator("#map-normalise input").check()
    page.locator("#map-plot .gtitle").get_by_text("normalised by trade volume").wait_for()
    # the redrawn plot is a new element: its click-through is bound within the page's 500 ms poll
    page.wait_for_function("() => document.querySelector('#map-plot .js-plotly-plot')?._tsBound === true")
    page.evaluate(
        """() => { const gd = document.querySelector('#map-plot .js-plotly-plot');
        const t = gd.data.find(d => d.name === 'corridors');
        gd.emit('plotly_click', {points: [{data: t, customdata: t.customdata[0]}]}); }"""
    )
    page.wait_for_url(re.compile(r"tab=explorer.*partner="))
    page.locator("#ex-count").get_by_text("anomalies match").wait_for()
    assert page.locator("#ex-reporter textarea").input_value() != ""


def test_a_case_is_opened_from_a_flow_worked_and_exported(page, base_url):
    top = httpx.get(f"{base_url}/anomalies", params={"limit": 1}).json()["items"][0]
    page.goto(f"{base_url}/?tab=cases")
    page.locator("#case-title textarea, #case-title input").first.fill("Probe of the top flow")
    page.locator("#case-flow textarea, #case-flow input").first.fill(top["flow_id"])
    page.locator("#case-open").click()
    view = page.locator("#case-view .case")
    view.wait_for()
    assert "Probe of the top flow" in view.inner_text() and top["flow_id"] in view.inner_text()
    page.locator("#case-status input").click()
    page.get_by_role("option", name="escalated").click()
    page.locator("#case-disposition input").click()
    page.get_by_role("option", name="true_hit").click()
    page.locator("#case-save").click()
    page.locator("#case-view").get_by_text("status escalated").wait_for()
    page.locator("#case-note textarea").fill("Mirror gap confirmed with customs")
    page.locator("#case-add-note").click()
    page.locator("#case-view .notes").get_by_text("Mirror gap confirmed").wait_for()
    audit = page.locator("#case-view table.audit").inner_text()
    assert "local" in audit and "status" in audit and "note" in audit  # who did what
    page.locator("#case-html").click()
    page.locator("#case-file a").first.wait_for()
    assert page.locator("#cases-table").get_by_text("Probe of the top flow").count() >= 1


def test_api_docs_load_with_nothing_leaving_loopback(browser, base_url):
    context = browser.new_context()
    page = context.new_page()
    requested: list[str] = []
    page.on("request", lambda request: requested.append(request.url))
    page.goto(f"{base_url}/docs")
    page.locator(".swagger-ui .info .title").wait_for(timeout=30_000)
    assert "tradesentinel" in page.locator(".swagger-ui .info .title").inner_text()
    page.locator(".opblock-summary-path", has_text="/anomalies").first.wait_for()
    outside = [u for u in requested if not u.startswith(("http://127.0.0.1", "data:", "blob:"))]
    assert not outside, outside
    context.close()


@pytest.fixture(scope="module")
def keyed_url(scored_world, tmp_path_factory):
    """The app with a named user, alice, whose key is also her UI password."""
    from tests.api.fakes import FakeAssistant
    from tradesentinel.app import create_app
    from tradesentinel.cases.db import Database
    from tradesentinel.cases.users import KeyRing

    settings = scored_world.model_copy(
        update={"db_url": f"sqlite:///{tmp_path_factory.mktemp('keyed')}/c.db"}
    )
    db = Database(settings)
    key = KeyRing(db).add("alice")
    with serving(create_app(settings, assistant=FakeAssistant(), db=db)) as url:
        yield url, key


def test_a_named_user_logs_in_and_the_audit_log_names_her(browser, keyed_url):
    url, key = keyed_url
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    page.set_default_timeout(30_000)
    page.goto(url)
    page.get_by_label("username").fill("alice")
    page.get_by_label("password").fill("not her key")
    page.get_by_role("button", name="Login").click()
    page.get_by_text("ncorrect").first.wait_for()  # "Incorrect credentials"
    page.get_by_label("username").fill("alice")
    page.get_by_label("password").fill(key)
    page.get_by_role("button", name="Login").click()
    page.get_by_role("tab", name="Cases").click()
    page.locator("#case-title textarea, #case-title input").first.fill("Alice's case")
    page.locator("#case-reporter input, #case-reporter textarea").first.fill("KGZ")
    page.locator("#case-partner input, #case-partner textarea").first.fill("RUS")
    page.locator("#case-open").click()
    page.locator("#case-view table.audit").get_by_text("alice", exact=True).wait_for()
    assert httpx.get(f"{url}/cases", headers={"X-API-Key": key}).json()[0]["created_by"] == "alice"
    assert httpx.get(f"{url}/cases").status_code == 401
    context.close()
