"""Timeline tab: a corridor's series with anomalies marked, and its countries' events on the same axis."""

from __future__ import annotations

import pytest

from tradesentinel.errors import NotFoundError, TradeSentinelError
from tradesentinel.investigate.tables import TableStore
from tradesentinel.ui.timeline import Corridor, build_timeline, corridor_from_form, corridor_of


def test_top_flow_timeline_marks_it_and_shows_events(scored_world):
    store = TableStore(scored_world)
    top = store.snapshot().anomalies.row(0, named=True)
    corridor = corridor_of(store, top["flow_id"])
    figure, listing = build_timeline(store, corridor, 0.99)
    traces = {t.name: t for t in figure.data}
    assert top["period"] in list(traces["anomaly"].x)
    assert (
        len(traces["value (USD)"].x) > 12 and len(traces["sanctions"].x) == 1 and len(traces["news"].x) == 1
    )
    assert set(listing["kind"]) == {"anomaly", "sanctions", "news"} and listing["date"].is_sorted()
    with pytest.raises(NotFoundError, match="no scored flow"):
        corridor_of(store, "ffffffffffffffff")


def test_unknown_corridor_is_a_clear_error(scored_world):
    with pytest.raises(TradeSentinelError, match="no scored flows"):
        build_timeline(TableStore(scored_world), Corridor("AAA", "BBB", "M", "010101"), 0.99)


def test_form_names_a_corridor_by_flow_id_or_by_its_parts(scored_world):
    store = TableStore(scored_world)
    top = store.snapshot().anomalies.row(0, named=True)
    by_id = corridor_from_form(store, f" {top['flow_id']} ", "", "", "M", "")
    by_parts = corridor_from_form(
        store, "", top["reporter"].lower(), top["partner"], top["flow"], top["hs_code"]
    )
    assert by_id == by_parts
    with pytest.raises(TradeSentinelError, match="no scored flow"):
        corridor_from_form(store, "ffffffffffffffff", "", "", "M", "")
    with pytest.raises(TradeSentinelError, match="give a flow_id"):
        corridor_from_form(store, "", "RUS", "", "M", "")
