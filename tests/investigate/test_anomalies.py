"""The anomaly queries the API, the UI and the assistant share: filters, sort, order, paging, counts."""

from __future__ import annotations

from datetime import date

import polars as pl
import pytest

from tradesentinel.errors import InvalidArgumentError, NotFoundError
from tradesentinel.investigate import anomalies
from tradesentinel.investigate.query import AnomalyQuery
from tradesentinel.investigate.tables import TableStore


@pytest.fixture(scope="module")
def tables(scored_world) -> TableStore:
    return TableStore(scored_world)


def test_default_query_lists_the_ranking(tables):
    page = anomalies.anomalies(tables, AnomalyQuery(limit=20))
    assert [a.rank for a in page.items] == list(range(1, 21))
    assert page.total == tables.snapshot().anomalies.height


def test_filters_agree_with_an_independent_polars_filter(tables):
    top = tables.snapshot().anomalies.row(0, named=True)
    query = AnomalyQuery(
        country=top["partner"], hs=top["hs_code"][:2], period_from=date(2021, 1, 1), min_score=0.5
    )
    frame = pl.read_parquet(tables.settings.table_path("scores"))
    expected = frame.filter(
        ((pl.col("reporter") == top["partner"]) | (pl.col("partner") == top["partner"]))
        & pl.col("hs_code").str.starts_with(top["hs_code"][:2])
        & (pl.col("period") >= date(2021, 1, 1))
        & (pl.col("score") >= 0.5)
    )
    assert anomalies.count(tables, query) == expected.height > 0
    found = anomalies.matching(tables, query)
    assert set(found["flow_id"]) == set(expected["flow_id"])


@pytest.mark.parametrize(
    ("sort", "order"), [("value_usd", None), ("score", "asc"), ("period", "desc"), ("rank", "desc")]
)
def test_sort_and_order_cover_the_whole_filtered_set(tables, sort, order):
    query = AnomalyQuery(sort=sort, order=order, limit=5, offset=3)
    whole = anomalies.matching(tables, query)
    column = whole[sort].drop_nulls()
    descending = order == "desc" if order else sort != "rank"
    assert column.is_sorted(descending=descending)
    page = anomalies.anomalies(tables, query)
    assert [a.flow_id for a in page.items] == whole["flow_id"].slice(3, 5).to_list()


def test_loose_inputs_become_a_query_or_a_named_error():
    query = AnomalyQuery.of(country="RUS", hs="", period_from="2023-02", period_to=None, min_score=0.9)
    assert query.period_from == date(2023, 2, 1) and query.hs is None and query.country == "RUS"
    with pytest.raises(InvalidArgumentError, match="period_to"):
        AnomalyQuery.of(period_to="2023-13")
    with pytest.raises(InvalidArgumentError, match="sort"):
        AnomalyQuery.of(sort="colour")


def test_unknown_flow_is_not_found(tables):
    with pytest.raises(NotFoundError, match="no scored flow"):
        anomalies.anomaly(tables, "ffffffffffffffff")


def test_kind_filter_takes_kinds_groups_and_old_names(tables):
    frame = tables.snapshot().anomalies
    for value, kinds in (
        ("sanctions", {"sanctions_exposure", "new_corridor", "diversion"}),
        ("surge", {"spike", "level_shift"}),
    ):
        expected = frame.filter(pl.col("kind").is_in(list(kinds))).height
        assert anomalies.count(tables, AnomalyQuery(kind=value)) == expected
    kind = frame["kind"][0]
    assert anomalies.count(tables, AnomalyQuery(kind=kind)) == frame.filter(pl.col("kind") == kind).height > 0
    with pytest.raises(InvalidArgumentError, match="kind"):
        AnomalyQuery.of(kind="fishy")


def test_corridor_and_value_at_stake_sorts_cover_the_whole_set(tables):
    whole = anomalies.matching(tables, AnomalyQuery(sort="corridor", min_score=0.5))
    pairs = list(zip(whole["reporter"], whole["partner"], strict=True))
    assert pairs == sorted(pairs) and whole.height == anomalies.count(tables, AnomalyQuery(min_score=0.5))
    stake = anomalies.matching(tables, AnomalyQuery(sort="value_at_stake"))
    column = "value_at_stake_usd" if "value_at_stake_usd" in stake.columns else "value_usd"
    assert stake[column].drop_nulls().is_sorted(descending=True)
