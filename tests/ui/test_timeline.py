"""Timeline tab: a corridor's series with its band, mirror and unit value, and only the events about it."""

from __future__ import annotations

import pytest

from tradesentinel.errors import NotFoundError, TradeSentinelError
from tradesentinel.investigate.corridor import Corridor, about
from tradesentinel.investigate.tables import TableStore
from tradesentinel.ui.timeline import build_timeline, corridor_from_form, corridor_of, follow_flow


def test_top_flow_timeline_marks_it_and_keeps_events_about_its_corridor(scored_world):
    store = TableStore(scored_world)
    top = store.snapshot().anomalies.row(0, named=True)
    corridor = corridor_of(store, top["flow_id"])
    figure, listing = build_timeline(store, corridor, 0.99)
    traces = {t.name: t for t in figure.data}
    assert top["period"] in list(traces["anomaly"].x)
    assert len(traces["value (USD)"].x) > 12 and len(traces["news"].x) == 1  # names both countries
    assert {"expected band", "expected", "mirror (partner's report)", "unit value (USD/kg)"} <= set(traces)
    assert len(traces["sanctions"].x) == 0  # the test entry names one country and no goods
    assert "1 about other goods or corridors left out" in figure.layout.title.text
    assert set(listing["kind"]) == {"anomaly", "news"} and listing["date"].is_sorted()
    with pytest.raises(NotFoundError, match="no scored flow"):
        corridor_of(store, "ffffffffffffffff")


def test_hs_headings_and_chapters_sum_their_codes(scored_world):
    store = TableStore(scored_world)
    top = store.snapshot().anomalies.row(0, named=True)
    six = build_timeline(
        store,
        corridor_from_form(store, "", top["reporter"], top["partner"], top["flow"], top["hs_code"]),
        0.99,
    )
    two = build_timeline(
        store,
        corridor_from_form(
            store, "", top["reporter"].lower(), top["partner"], top["flow"], top["hs_code"][:2]
        ),
        0.99,
    )
    value = lambda fig: sum(v for v in next(t for t in fig.data if t.name == "value (USD)").y)
    assert value(two[0]) >= value(six[0]) > 0
    with pytest.raises(TradeSentinelError, match="2, 4 or 6 digits"):
        corridor_from_form(store, "", "FRA", "USA", "X", "853")


def test_the_direction_follows_the_picked_flow(scored_world):
    store = TableStore(scored_world)
    anomalies = store.snapshot().anomalies
    export = anomalies.filter(anomalies["flow"] == "X").row(0, named=True)
    assert follow_flow(store, export["flow_id"]) == (
        export["reporter"],
        export["partner"],
        "X",
        export["hs_code"],
    )


def test_events_about_other_goods_are_left_out():
    bearings = Corridor("KGZ", "RUS", "X", "8482")
    words = {"bearings", "roller"}
    assert about("Kyrgyz re-exports of ball bearings (HS 8482) to Russia", ["KGZ"], bearings, words)
    assert about("Customs probe into KGZ-RUS shipments", ["KGZ", "RUS"], bearings, words)
    assert not about("KGZ re-exports of chips (HS 8542) to Russia", ["KGZ", "RUS"], bearings, words)
    assert not about("New trade office opens in Bishkek", ["KGZ"], bearings, words)


def test_unknown_corridor_is_a_clear_error(scored_world):
    with pytest.raises(TradeSentinelError, match="no scored flows"):
        build_timeline(TableStore(scored_world), Corridor("AAA", "BBB", "M", "010101"), 0.99)
    with pytest.raises(TradeSentinelError, match="give a flow_id"):
        corridor_from_form(TableStore(scored_world), "", "RUS", "", "M", "")
