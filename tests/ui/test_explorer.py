"""Explorer tab: filters from the form, pages over the whole filtered set, readable rows, a row's explanation."""

from __future__ import annotations

import polars as pl
import pytest

from tradesentinel.errors import InvalidArgumentError
from tradesentinel.investigate.anomalies import matching
from tradesentinel.investigate.tables import TableStore
from tradesentinel.ui.explorer import (
    PAGE_SIZE,
    anomaly_table,
    explain_flow,
    explorer_filters,
    export_csv,
    summary,
)


@pytest.mark.parametrize(
    ("field", "args", "kwargs"),
    [
        ("country", ("RUSSIA",), {}),
        ("HS prefix", ("", "85a"), {}),
        ("period", ("", "", "2023-13"), {}),
        ("period_to", ("", "", "2024-01", "2023-01"), {}),
        ("partner", (), {"partner": "XX1"}),
    ],
)
def test_bad_form_input_names_the_field(field, args, kwargs):
    with pytest.raises(InvalidArgumentError, match=field):
        explorer_filters(*args, **kwargs)


def test_pages_cover_the_whole_sorted_set(scored_world):
    store = TableStore(scored_world)
    query = explorer_filters(min_score=0.5, sort="value", page_number=3)
    shown, total = anomaly_table(store, query)
    whole = matching(store, query)
    assert total == whole.height > 3 * PAGE_SIZE
    assert shown["flow_id"].to_list() == whole["flow_id"].slice(2 * PAGE_SIZE, PAGE_SIZE).to_list()
    assert whole["value_usd"].is_sorted(descending=True)  # the sort spans every page, not one
    assert "page **3 of" in summary(total, query, "value")
    corridor = matching(store, explorer_filters(min_score=0.5, sort="corridor", order="asc"))
    assert corridor.select("reporter", "partner").rows() == sorted(
        corridor.select("reporter", "partner").rows()
    )


def test_rows_read_as_an_analyst_reads_them(scored_world):
    store = TableStore(scored_world)
    shown, _ = anomaly_table(store, explorer_filters(country="deu", min_score=0.9))
    row = shown.row(0, named=True)
    assert "Germany (DEU)" in (row["reporter"], row["partner"])
    assert row["goods"] and row["value"].startswith("$") and "," in row["value"]


def test_export_writes_every_match(scored_world):
    store = TableStore(scored_world)
    query = explorer_filters(min_score=0.9, page_number=2)
    frame = pl.read_csv(export_csv(store, query), schema_overrides={"hs_code": pl.String})
    assert frame.height == matching(store, query).height and "reasons" in frame.columns


def test_explanation(scored_world):
    store = TableStore(scored_world)
    shown, _ = anomaly_table(store, explorer_filters(min_score=0.9))
    flow_id = shown["flow_id"][0]
    page = explain_flow(store, flow_id)
    assert (
        f'data-flow-id="{flow_id}"' in page
        and "Reasons: observed vs expected" in page
        and "DEMO data" in page
    )
    assert "No scored flow" in explain_flow(store, "ffffffffffffffff")
    row = store.snapshot().anomalies.row(store.snapshot().index[flow_id], named=True)
    words = {"X": "exports to", "M": "imports from", "RX": "re-exports to", "RM": "re-imports from"}[
        row["flow"]
    ]
    assert f"{row['reporter']} {words} {row['partner']}" in page  # an import reads as one
