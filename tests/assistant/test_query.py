"""Question understanding: what the question is about becomes retrieval filters."""

from __future__ import annotations

from datetime import date

import pytest

from tradesentinel.assistant.query import understand


@pytest.mark.parametrize(
    ("question", "start", "end"),
    [
        ("What changed in 2023?", date(2023, 1, 1), date(2023, 12, 31)),
        ("Anomalies in March 2022", date(2022, 3, 1), date(2022, 3, 31)),
        ("flows in Feb 2024", date(2024, 2, 1), date(2024, 2, 29)),
        ("spikes in 2022-11", date(2022, 11, 1), date(2022, 11, 30)),
        ("Q2 2023 re-exports", date(2023, 4, 1), date(2023, 6, 30)),
        ("trend 2021-2023", date(2021, 1, 1), date(2023, 12, 31)),
        ("between 2023 and 2021", date(2021, 1, 1), date(2023, 12, 31)),
        ("new corridors since 2022", date(2022, 1, 1), None),
        ("before 2022", None, date(2021, 12, 31)),
        ("Which flows look odd?", None, None),
    ],
)
def test_periods(question, start, end):
    intent = understand(question)
    assert (intent.period_from, intent.period_to) == (start, end)


def test_countries_hs_codes_and_entities_become_filters():
    intent = understand("Did Acme Trading LLC ship HS 8542 from Germany to Kazakhstan in March 2022?")
    assert intent.countries == ("DEU", "KAZ")
    assert intent.hs_codes == ("8542",)
    assert intent.entities == ("Acme Trading LLC",)
    filters = intent.filters()
    assert filters.countries == ("DEU", "KAZ") and filters.hs_prefix == "8542"
    assert filters.period_from == date(2022, 3, 1)


def test_a_year_is_not_an_hs_code_but_a_lone_six_digit_code_is():
    assert understand("imports of 854231 in 2023").hs_codes == ("854231",)
    assert understand("imports in 2023").hs_codes == ()


def test_quoted_names_are_entities_and_unconstrained_questions_filter_nothing():
    intent = understand('Is "Volga Shipping" on a list?')
    assert intent.entities[0] == "Volga Shipping"
    assert not understand("what is unusual?").is_constrained()
