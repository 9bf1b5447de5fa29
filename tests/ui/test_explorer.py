"""Explorer tab: filters from the form, the table, and a row's explanation."""

from __future__ import annotations

import pytest

from tradesentinel.errors import InvalidArgumentError
from tradesentinel.investigate.tables import TableStore
from tradesentinel.ui.explorer import anomaly_table, explain_flow, explorer_filters


@pytest.mark.parametrize(
    ("field", "args"),
    [
        ("country", ("RUSSIA", "", "", "", 0.9, "all")),
        ("HS prefix", ("", "85a", "", "", 0.9, "all")),
        ("period", ("", "", "2023-13", "", 0.9, "all")),
    ],
)
def test_bad_form_input_names_the_field(field, args):
    with pytest.raises(InvalidArgumentError, match=field):
        explorer_filters(*args)


def test_table_and_explanation(scored_world):
    store = TableStore(scored_world)
    shown, total = anomaly_table(store, explorer_filters("", "", "", "", 0.9, "all"))
    assert total >= shown.height > 0 and shown["score"].min() >= 0.9
    flow_id = shown["flow_id"][0]
    page = explain_flow(store, flow_id)
    assert (
        f'data-flow-id="{flow_id}"' in page
        and "Reasons: observed vs expected" in page
        and "DEMO data" in page
    )
    assert "No scored flow" in explain_flow(store, "ffffffffffffffff")
    row = shown.row(0, named=True)
    words = {"X": "exports to", "M": "imports from", "RX": "re-exports to", "RM": "re-imports from"}[
        row["flow"]
    ]
    assert f"{row['reporter']} {words} {row['partner']}" in page  # an import reads as one
