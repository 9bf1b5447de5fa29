"""Deep links: what a URL asks the UI to show, and the link that brings a view back."""

from __future__ import annotations

from urllib.parse import parse_qs

from tradesentinel.ui.explorer import form_values
from tradesentinel.ui.links import link_query, parse_link


def test_urls_name_tabs_filters_flows_and_cases():
    link = parse_link("?tab=explorer&country=kaz&hs=8542&from=2023-01")
    assert link.tab == "explorer" and link.get("country") == "kaz" and link.get("hs") == "8542"
    assert form_values(link)[:3] == ["KAZ", "8542", "2023-01"]
    assert parse_link("#explorer").tab == "explorer"
    assert parse_link("?flow_id=97554f343020a36d") == parse_link("?flow_id=97554f343020a36d")
    flow = parse_link("?flow_id=97554f343020a36d")
    assert flow.tab == "explorer" and flow.flow_id == "97554f343020a36d"
    timeline = parse_link("?tab=timeline&reporter=KGZ&partner=RUS&hs=8482")
    assert timeline.tab == "timeline" and timeline.get("partner") == "RUS"
    assert parse_link("?case=3").tab == "cases" and parse_link("?case=3").case == 3
    assert parse_link("").tab == "chat" and parse_link("?tab=nonsense").tab == "chat"
    assert parse_link("?flow_id=<script>").flow_id is None
    assert len(parse_link("?country=" + "x" * 5000).get("country")) == 200


def test_a_view_becomes_a_link_that_reopens_it():
    query = link_query("explorer", {"country": "KAZ", "hs": "8542", "kind": "all", "p": "", "min": "0.9"})
    assert parse_qs(query) == {"tab": ["explorer"], "country": ["KAZ"], "hs": ["8542"], "min": ["0.9"]}
    assert form_values(parse_link("?" + query))[:5] == ["KAZ", "8542", "", "", 0.9]


def test_the_page_number_travels_as_p_not_gradios_own_page_parameter():
    assert form_values(parse_link("?tab=explorer&p=3"))[-1] == 3
    assert "page=" not in link_query("explorer", {"p": 3})
