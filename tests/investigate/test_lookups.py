"""HS lookups (exact, with parents; word search) and news by countries and names, over the stored tables."""

from __future__ import annotations

import polars as pl
import pytest

from tradesentinel.errors import InvalidArgumentError, NotFoundError
from tradesentinel.investigate.hs import hs_lookup, hs_search
from tradesentinel.investigate.news import news
from tradesentinel.investigate.tables import TableStore


@pytest.fixture(scope="module")
def tables(qs_world) -> TableStore:
    return TableStore(qs_world)


def test_a_code_at_any_level_is_described_exactly_with_its_parents(tables):
    rows = {r["hs_code"]: r["description"] for r in tables.table("hs_codes").iter_rows(named=True)}
    found = hs_lookup(tables, "851130")
    assert found.description == rows["851130"] and [p.hs_code for p in found.parents] == ["85", "8511"]
    assert hs_lookup(tables, "8703").description == rows["8703"] and hs_lookup(tables, "85").parents == []
    assert hs_lookup(tables, "854231").controlled and not hs_lookup(tables, "8703").controlled


def test_an_unknown_code_is_not_found_never_a_neighbour(tables):
    with pytest.raises(NotFoundError, match="HS 990101 is not in"):
        hs_lookup(tables, "990101")
    with pytest.raises(InvalidArgumentError):
        hs_lookup(tables, "85x")


def test_word_search_finds_the_code_that_names_the_product(tables):
    assert hs_search(tables, "smartphones")[0].hs_code.startswith("8517")
    assert hs_search(tables, "xyzzy plugh") == []


def test_news_naming_every_country_newest_first(tables):
    table = tables.table("news")
    a, b = table["countries"][0][:2]
    found = news(tables, countries=(a, b))
    both = table.filter(pl.col("countries").list.contains(a) & pl.col("countries").list.contains(b))
    assert found.total == both.height and [i.date for i in found.items] == sorted(
        (i.date for i in found.items), reverse=True
    )
    one = table.filter(pl.col("countries").list.contains(a) | pl.col("countries").list.contains(b)).height
    assert found.partial == one - both.height
    assert news(tables, countries=("ISL", "NZL")).total == 0
