"""AnomalyQuery validation: periods as YYYY or YYYY-MM, ordered ranges, known countries and HS codes."""

from __future__ import annotations

from datetime import date

import pytest

from tradesentinel.errors import InvalidArgumentError
from tradesentinel.investigate.query import AnomalyQuery


def test_years_cover_january_to_december_and_countries_ignore_case():
    query = AnomalyQuery.of(period_from="2023", period_to="2023", country=" kaz ", reporter="Rus")
    assert (query.period_from, query.period_to) == (date(2023, 1, 1), date(2023, 12, 1))
    assert (query.country, query.reporter) == ("KAZ", "RUS")


@pytest.mark.parametrize(
    ("field", "fields"),
    [
        ("period_to", {"period_from": "2024-01", "period_to": "2023-01"}),
        ("period_to", {"period_from": "2024", "period_to": "2023-06"}),
        ("country", {"country": "XXX"}),
        ("partner", {"partner": "QQQ"}),
        ("hs", {"hs": "0000"}),
        ("hs", {"hs": "77"}),
    ],
)
def test_impossible_filters_name_their_parameter(field, fields):
    with pytest.raises(InvalidArgumentError, match=field):
        AnomalyQuery.of(**fields)


def test_sort_keys_fall_back_and_break_ties_by_rank():
    assert AnomalyQuery(sort="value_at_stake").sort_keys(["value_usd"]) == ["value_usd", "rank"]
    assert AnomalyQuery(sort="value_at_stake").sort_keys(["value_at_stake_usd", "value_usd"])[0] == (
        "value_at_stake_usd"
    )
    corridor = AnomalyQuery(sort="corridor")
    assert corridor.sort_keys([]) == ["reporter", "partner", "rank"] and not corridor.descending()
